/**
 * The kernels of the tfjs `wasm` backend (XNNPACK, SIMD). Measured there (tfjs 4.22): only an
 * untransposed 2-D matMul is fast (about 40 GFLOP/s; a transpose flag falls to a scalar loop of
 * about 3, and tfjs's own matMul gradient uses transpose flags); tf.sum transposes first; Slice,
 * SplitV, Unpack and small-row Concat run in JavaScript (Slice copies its whole input first). So
 * gradients here are explicit transposes and plain 2-D matMuls, reductions are average pools, and
 * concatenation goes through a stack and one transpose.
 *
 * They are plain tfjs ops underneath, so they run on every backend; backends without kernels of
 * their own use these (trainer/backend.ts).
 *
 * Every gradient function here runs in tf.tidy: tfjs calls custom gradients outside any scope of
 * their own, so their temporaries would otherwise live until the whole backward pass ends.
 */
import * as tf from '@tensorflow/tfjs';
import type { Kernels } from './kernels.ts';

/** x · w with the gradients dx = dy · wᵀ and dw = xᵀ · dy, each one flagless 2-D matMul. */
const matMul2d = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, [xs, ws]: tf.Tensor[]) =>
      tf.tidy(() => [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws) as tf.Tensor2D), tf.matMul(tf.transpose(xs) as tf.Tensor2D, dy as tf.Tensor2D)]),
  };
}) as unknown as Kernels['matMul2d'];

/**
 * Column means as one average pool over all rows, which XNNPACK runs: tf.sum transposes first, and
 * a ones-row matMul repacks its large operand for every new tensor, both many times slower here.
 */
function columnMeans(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, C] = x.shape;
  return tf.avgPool(x.reshape([1, 1, rows, C]) as tf.Tensor4D, [1, rows], 1, 'valid').reshape([1, C]) as tf.Tensor2D;
}

/** Column sums by way of columnMeans (tf.sum transposes first). */
function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  return columnMeans(x).mul(x.shape[0]).reshape([-1]) as tf.Tensor1D;
}

/** As matMul2d, with the bias gradient by columnSums (tfjs's gradient of the broadcast add reduces with tf.sum). */
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
}) as unknown as Kernels['matMulBias'];

/**
 * tf.stack whose gradient selects each part as a one-hot row times the stacked gradient, a 2-D
 * matMul (exact for finite values: the other rows are multiplied by 0); tfjs's own gradient is an
 * Unpack, whose Slice copies the whole input once per part.
 */
function stackParts(xs: tf.Tensor[]): tf.Tensor {
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

/**
 * tf.concat along the last axis copies (and its SplitV gradient splits) one innermost row at a time
 * in JavaScript, slow for a few channels per row; stacking copies whole tensors, and the transpose
 * that interleaves them runs inside wasm.
 */
function concatChannels(xs: tf.Tensor[]): tf.Tensor {
  const shape = xs[0].shape;
  const C = shape[shape.length - 1];
  const stacked = stackParts(xs).reshape([xs.length, -1, C]);
  return tf.transpose(stacked, [1, 0, 2]).reshape([...shape.slice(0, -1), xs.length * C]);
}

/**
 * The CTR-GC aggregation out[b, t, u, c] = Σ_w R[w, b, u, c] · x[b, t, w, c] is a separate small
 * matMul per (b, c), which tfjs's batched matMul runs on wasm as a scalar loop. A depthwise conv with
 * (b, c) as its channels, a 1 × W kernel and U as the channel multiplier computes the same sums on
 * XNNPACK, several times faster. The gradients are two more depthwise convs of the same kind (the
 * wasm backend has no depthwise gradient kernels):
 *   dx[b, t, w, c] = Σ_u dy[b, t, u, c] · R[w, b, u, c]   (kernel over u)
 *   dR[w, b, u, c] = Σ_t x[b, t, w, c] · dy[b, t, u, c]   (kernel over t)
 * The transposes around the convs move whole rows of c or (b, c) where the layouts allow it.
 */
function aggregate(R: tf.Tensor4D, x: tf.Tensor4D, known?: tf.Tensor4D): tf.Tensor4D {
  const [B, T, W, C] = x.shape;
  const U = R.shape[2];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [r, xs, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    const filter = tf.transpose(r, [0, 1, 3, 2]).reshape([1, W, B * C, U]) as tf.Tensor4D; // [·, w, (b, c), u]
    const input = tf.transpose(xs.reshape([B, T * W, C]), [1, 0, 2]).reshape([1, T, W, B * C]) as tf.Tensor4D; // [·, t, w, (b, c)]
    save([filter, input]);
    const value = known ? tf.clone(known) : tf.transpose(tf.depthwiseConv2d(input, filter, 1, 'valid').reshape([T, B, C, U]), [1, 0, 3, 2]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [f, xin]: tf.Tensor[]) =>
        tf.tidy(() => {
          const dyT = tf.transpose(dy.reshape([B, T * U, C]), [1, 0, 2]).reshape([T, U, B * C]); // [t, u, (b, c)]
          const fT = tf.transpose(f.reshape([W, B * C, U]), [2, 1, 0]).reshape([1, U, B * C, W]) as tf.Tensor4D;
          const dxT = tf.depthwiseConv2d(dyT.reshape([1, T, U, B * C]) as tf.Tensor4D, fT, 1, 'valid').reshape([T, B, C, W]);
          const dx = tf.transpose(dxT, [1, 0, 3, 2]);
          const xW = tf.transpose(xin.reshape([T, W, B * C]), [1, 0, 2]).reshape([1, W, T, B * C]) as tf.Tensor4D;
          const dyF = tf.transpose(dyT, [0, 2, 1]).reshape([1, T, B * C, U]) as tf.Tensor4D;
          const dR = tf.transpose(tf.depthwiseConv2d(xW, dyF, 1, 'valid').reshape([W, B, C, U]), [0, 1, 3, 2]);
          return [dR, dx];
        }),
    };
  }) as unknown as (R: tf.Tensor4D, x: tf.Tensor4D) => tf.Tensor4D;
  return op(R, x);
}

export const wasmKernels: Kernels = { matMul2d, matMulBias, columnMeans, columnSums, concatChannels, stackParts, aggregate };
