/**
 * The few tensor operations CTR-GCN is made of, written for the tfjs `wasm` backend: activations
 * are channel-last [B, T, V, C] (B = samples × persons), every 1×1 convolution is a plain 2-D
 * matMul, the temporal kernel runs on conv2d, and the matMul's gradient is spelled with explicit
 * transposes because the wasm backend is fast only for untransposed 2-D matMul (measured: about
 * 40 GFLOP/s, against about 3 for a batched matMul or one with a transpose flag, a scalar loop).
 * The wasm backend's Slice, SplitV, Unpack and small-row Concat run in JavaScript (Slice first
 * copies its whole input), so the ops here avoid them on large tensors.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * x [rows, in] · w [in, out] with a gradient made of explicit transposes and plain 2-D matMuls
 * (tfjs's own MatMul gradient uses transpose flags, which the wasm backend runs as a scalar loop).
 *
 * Every gradient function here runs in tf.tidy: tfjs calls custom gradients outside any scope of
 * their own, so their temporaries would otherwise live until the whole backward pass ends.
 */
export const matMul2d = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) =>
      tf.tidy(() => [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws) as tf.Tensor2D), tf.matMul(tf.transpose(xs) as tf.Tensor2D, dy as tf.Tensor2D)]),
  };
}) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/**
 * Column means of [rows, C] as one average pool over all rows, which XNNPACK runs on wasm: tf.sum
 * transposes first, and a ones-row matMul repacks its large operand for every new tensor, both many
 * times slower there.
 */
export function columnMeans(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, C] = x.shape;
  return tf.avgPool(x.reshape([1, 1, rows, C]) as tf.Tensor4D, [1, rows], 1, 'valid').reshape([1, C]) as tf.Tensor2D;
}

/** Column sums of [rows, C] as [C]: a bias gradient, by way of columnMeans (tf.sum is slow on wasm). */
function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  return columnMeans(x).mul(x.shape[0]).reshape([-1]) as tf.Tensor1D;
}

/**
 * x [rows, in] · w [in, out] + b [out], as matMul2d, with the bias gradient by columnSums
 * (tfjs's own gradient of the broadcast add reduces with tf.sum, slow on wasm).
 */
const matMulBias = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) =>
      tf.tidy(() => {
        const d = dy as tf.Tensor2D;
        return [tf.matMul(d, tf.transpose(ws) as tf.Tensor2D), tf.matMul(tf.transpose(xs) as tf.Tensor2D, d), columnSums(d)];
      }),
  };
}) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** Rows × channels view of a channel-last tensor, then back: what every 1×1 conv is. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const shape = x.shape;
  const rows = x.reshape([-1, shape[shape.length - 1]]) as tf.Tensor2D;
  const y = b ? matMulBias(rows, w, b) : matMul2d(rows, w);
  return y.reshape([...shape.slice(0, -1), w.shape[1]]);
}

/** An official conv weight [out, in, k, 1] as the im2col matrix [k · in, out] (row index k·in + i). */
export function convMatrix(w: tf.Tensor): tf.Tensor2D {
  const [out, inC, k] = w.shape;
  if (k === 1) return tf.transpose(w.reshape([out, inC])) as tf.Tensor2D;
  return tf.transpose(w, [2, 1, 0, 3]).reshape([k * inC, out]) as tf.Tensor2D;
}

/** 1×1 convolution of [B, T, V, in] with an official weight [out, in, 1, 1]. */
export function conv1x1(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  return linear(x, convMatrix(w), b as tf.Tensor1D) as tf.Tensor4D;
}

/**
 * Frames 0, 2, 4, … of [B, T, V, C] by reshape + slice (tfjs has no StridedSlice gradient):
 * what a stride-2 conv over time keeps when it pads so that its output has ceil(T / 2) frames.
 */
export function evenFrames(x: tf.Tensor4D): tf.Tensor4D {
  const [B, T, V, C] = x.shape;
  const padded = T % 2 ? tf.pad(x, [[0, 0], [0, 1], [0, 0], [0, 0]]) : x;
  const half = (T + 1) >> 1;
  return padded.reshape([B, half, 2, V * C]).slice([0, 0, 0, 0], [B, half, 1, V * C]).reshape([B, half, V, C]);
}

/**
 * Temporal convolution (kernel k × 1, dilation d, "same" padding d·(k−1)/2, stride 1 or 2) of
 * [B, T, V, in] with an official weight [out, in, k, 1]. The forward pass is tfjs's conv2d (XNNPACK
 * on wasm, no im2col copy); the gradient is spelled out because the wasm backend has no
 * Conv2DBackpropFilter: the input gradient is the same convolution of the (zero-interleaved, for
 * stride 2) output gradient with the flipped, transposed kernel, and the weight gradient is a
 * convolution of the input with that output gradient (see temporalConvGrads).
 */
export function temporalConv(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor, dilation: number, stride: number): tf.Tensor4D {
  return temporalConvOp(dilation, stride)(x, w, b);
}

type TemporalConvFn = (x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor) => tf.Tensor4D;
const temporalConvOps = new Map<string, TemporalConvFn>();

function temporalConvOp(dilation: number, stride: number): TemporalConvFn {
  const key = `${dilation}/${stride}`;
  let op = temporalConvOps.get(key);
  if (!op) {
    op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [x, w, b, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.GradSaveFunc];
      save([x, w]);
      const filter = tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D; // [k, 1, in, out]
      return {
        value: tf.add(convTime(x, filter, dilation, stride), b),
        gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) => tf.tidy(() => temporalConvGrads(dy as tf.Tensor4D, xs as tf.Tensor4D, ws as tf.Tensor4D, dilation, stride)),
      };
    }) as unknown as TemporalConvFn;
    temporalConvOps.set(key, op);
  }
  return op;
}

/** conv2d over time with "same" padding; tfjs refuses stride 2 with dilation 2, so that case keeps even frames. */
function convTime(x: tf.Tensor4D, filter: tf.Tensor4D, dilation: number, stride: number): tf.Tensor4D {
  const pad = (dilation * (filter.shape[0] - 1)) >> 1;
  const padding: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pad, pad], [0, 0], [0, 0]];
  if (stride === 2 && dilation > 1) return evenFrames(tf.conv2d(x, filter, 1, padding, 'NHWC', [dilation, 1]));
  return tf.conv2d(x, filter, [stride, 1], padding, 'NHWC', [dilation, 1]);
}

function temporalConvGrads(dy: tf.Tensor4D, x: tf.Tensor4D, w: tf.Tensor4D, dilation: number, stride: number): tf.Tensor[] {
  const T = x.shape[1];
  const [out, , k] = w.shape;
  const pad = (dilation * (k - 1)) >> 1;
  // Stride 2 is the stride-1 output at even frames: put zeros back at the odd ones.
  const dyFull = stride === 2 ? interleaveZeros(dy, T) : dy;
  const flipped = tf.reverse(tf.transpose(w, [2, 3, 0, 1]), 0) as tf.Tensor4D; // [k, 1, out, in]
  const dx = convTime(dyFull, flipped, dilation, 1);
  // The weight gradient is itself a convolution, of the padded input with the output gradient
  // over (t, v) with the samples as channels: dW[i, j, o] = Σ_{b,t,v} x[b, j·d + t, v, i] · dyFull[b, t, v, o],
  // one XNNPACK conv2d whose output is the k taps (no im2col columns, no slices: wasm's Slice
  // copies its whole input in JavaScript).
  const padded = tf.pad(x, [[0, 0], [pad, pad], [0, 0], [0, 0]]);
  const input = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D; // [in, T + 2·pad, V, B]
  const filter = tf.transpose(dyFull, [1, 2, 0, 3]) as tf.Tensor4D; // [T, V, B, out]
  const dw = tf.conv2d(input, filter, [dilation, 1], 'valid'); // [in, k, 1, out]
  const dwOfficial = tf.transpose(dw, [3, 0, 1, 2]);
  return [dx, dwOfficial, columnSums(dy.reshape([-1, out]) as tf.Tensor2D)];
}

/**
 * Concatenation of equally shaped tensors along their last axis. tfjs's wasm Concat (and the
 * SplitV of its gradient) copies one innermost row at a time in JavaScript, slow for a few channels
 * per row; stacking along a new first axis copies whole tensors, and the transpose that interleaves
 * them runs inside wasm.
 */
export function concatChannels(xs: tf.Tensor[]): tf.Tensor {
  const shape = xs[0].shape;
  const C = shape[shape.length - 1];
  const stacked = stackParts(xs).reshape([xs.length, -1, C]);
  return tf.transpose(stacked, [1, 0, 2]).reshape([...shape.slice(0, -1), xs.length * C]);
}

/** [B, ceil(T/2), V, C] → [B, T, V, C] with the values at even frames and zeros at odd ones. */
function interleaveZeros(x: tf.Tensor4D, T: number): tf.Tensor4D {
  const [B, half, V, C] = x.shape;
  const spread = tf.pad(x.reshape([B, half, 1, V * C]), [[0, 0], [0, 0], [0, 1], [0, 0]]).reshape([B, 2 * half, V, C]) as tf.Tensor4D;
  if (2 * half === T) return spread;
  // Odd T: drop the last (zero) frame, as one contiguous block per sample.
  return spread.reshape([B, 2 * half * V * C]).slice([0, 0], [B, T * V * C]).reshape([B, T, V, C]);
}

/**
 * Max-pool 3 × 1 over time with padding 1 and the given stride, on non-negative input (it follows a
 * ReLU). tfjs's "same" padding ignores the padded frames, as PyTorch's −inf padding does; stride 2
 * keeps the even frames of the stride-1 pool (PyTorch's windows are centred on frames 0, 2, 4, …,
 * "same" with stride 2 would centre them on 1, 3, 5, …). MaxPool and its gradient are wasm kernels.
 */
export function maxPoolTime3(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const y = tf.maxPool(x, [3, 1], 1, 'same');
  return stride === 2 ? evenFrames(y) : y;
}

/**
 * tf.stack along a new first axis, whose gradient selects each part as a one-hot row times the
 * stacked gradient, a 2-D matMul (exact for finite values: the other rows are multiplied by 0).
 * tfjs's own gradient slices (Unpack), and the wasm Slice copies its whole input in JavaScript
 * once per part.
 */
export function stackParts(xs: tf.Tensor[]): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const parts = args.slice(0, -1) as tf.Tensor[];
    return {
      value: tf.stack(parts),
      gradFunc: (dy: tf.Tensor) =>
        tf.tidy(() => {
          const rows = dy.reshape([parts.length, -1]) as tf.Tensor2D;
          return parts.map((p, i) => tf.matMul(tf.oneHot([i], parts.length).toFloat() as tf.Tensor2D, rows).reshape(p.shape));
        }),
    };
  }) as unknown as (...parts: tf.Tensor[]) => tf.Tensor;
  return op(...xs);
}
