/**
 * The few tensor operations CTR-GCN is made of, written for the tfjs `wasm` backend: activations
 * are channel-last [B, T, V, C] (B = samples × persons), every convolution is a plain 2-D matMul
 * (im2col for the temporal kernel), and the matMul's gradient is spelled with explicit transposes
 * because the wasm backend is fast only for untransposed 2-D matMul (see DESIGN.md).
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

/** Rows × channels view of a channel-last tensor, then back: what every 1×1 conv is. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const shape = x.shape;
  const inC = shape[shape.length - 1];
  let y: tf.Tensor = matMul2d(x.reshape([-1, inC]) as tf.Tensor2D, w);
  if (b) y = tf.add(y, b);
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
 * stride 2) output gradient with the flipped, transposed kernel, and the weight gradient is one
 * 2-D matMul of the im2col columns with the output gradient.
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
  const [B, T, V, C] = x.shape;
  const [out, , k] = w.shape;
  const pad = (dilation * (k - 1)) >> 1;
  // Stride 2 is the stride-1 output at even frames: put zeros back at the odd ones.
  const dyFull = stride === 2 ? interleaveZeros(dy, T) : dy;
  const flipped = tf.reverse(tf.transpose(w, [2, 3, 0, 1]), 0) as tf.Tensor4D; // [k, 1, out, in]
  const dx = convTime(dyFull, flipped, dilation, 1);
  const padded = tf.pad(x, [[0, 0], [pad, pad], [0, 0], [0, 0]]);
  const taps: tf.Tensor4D[] = [];
  for (let i = 0; i < k; i++) taps.push(padded.slice([0, i * dilation, 0, 0], [B, T, V, C]));
  let cols = tf.concat(taps, 3);
  if (stride === 2) cols = evenFrames(cols);
  const dw = tf.matMul(tf.transpose(cols.reshape([-1, k * C])), dy.reshape([-1, out])); // [k·in, out]
  const dwOfficial = tf.transpose(dw.reshape([k, C, out, 1]), [2, 1, 0, 3]);
  return [dx, dwOfficial, tf.sum(dy, [0, 1, 2])];
}

/** [B, ceil(T/2), V, C] → [B, T, V, C] with the values at even frames and zeros at odd ones. */
function interleaveZeros(x: tf.Tensor4D, T: number): tf.Tensor4D {
  const [B, half, V, C] = x.shape;
  const spread = tf.pad(x.reshape([B, half, 1, V * C]), [[0, 0], [0, 0], [0, 1], [0, 0]]).reshape([B, 2 * half, V, C]) as tf.Tensor4D;
  return 2 * half === T ? spread : (spread.slice([0, 0, 0, 0], [B, T, V, C]) as tf.Tensor4D);
}

/**
 * Max-pool 3 × 1 over time with padding 1 and the given stride, on non-negative input (it follows a
 * ReLU), where zero padding equals PyTorch's −inf padding. Built from shifted slices and
 * `maximum`, whose gradients every backend has.
 */
export function maxPoolTime3(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  const [B, T, V, C] = x.shape;
  const padded = tf.pad(x, [[0, 0], [1, 1], [0, 0], [0, 0]]);
  const at = (i: number): tf.Tensor4D => padded.slice([0, i, 0, 0], [B, T, V, C]);
  const y = tf.maximum(tf.maximum(at(0), at(1)), at(2)) as tf.Tensor4D;
  return stride === 2 ? evenFrames(y) : y;
}
