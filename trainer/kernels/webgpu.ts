/**
 * The kernels of the tfjs `webgpu` backend. The wasm formulations work around kernels that run in
 * JavaScript or as scalar loops there (trainer/kernels/wasm.ts); on WebGPU every one of those ops (a
 * matMul with transpose flags, a reduction, Concat and its SplitV gradient, Unpack, a batched
 * matMul) is a compute shader, so most kernels here are the plain tfjs ops: the workarounds would
 * only add passes (explicit transposes, an average pool and a multiply for a sum, a one-hot matMul
 * per stacked part).
 */
import * as tf from '@tensorflow/tfjs';
import type { Kernels } from './kernels.ts';

/**
 * The CTR-GC aggregation as one batched matMul over (b, c): out_bc [U, T] = R_bc [U, W] · x_bc [W, T],
 * with the gradients dR_bc = dy_bc · x_bcᵀ and dx_bc = R_bcᵀ · dy_bc, two more batched matMuls whose
 * transposes are flags. wasm's formulation (depthwise convs) was the costliest kernel family of a
 * synth-quick step on lavapipe (a third of the kernel time); on lavapipe this one is no faster
 * (docs/training.md), and it is kept for GPUs, where tfjs's tiled matMul is its most optimised
 * shader and the depthwise shader loops serially over the 1 × W or 1 × T window (not yet measured
 * on a hardware GPU).
 */
function aggregate(R: tf.Tensor4D, x: tf.Tensor4D, known?: tf.Tensor4D): tf.Tensor4D {
  const [B, T, W, C] = x.shape;
  const U = R.shape[2];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [r, xs, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    const rb = tf.transpose(r, [1, 3, 2, 0]).reshape([B * C, U, W]) as tf.Tensor3D; // [(b, c), u, w]
    const xb = tf.transpose(xs, [0, 3, 2, 1]).reshape([B * C, W, T]) as tf.Tensor3D; // [(b, c), w, t]
    save([rb, xb]);
    const value = known ? tf.clone(known) : (tf.transpose(tf.matMul(rb, xb).reshape([B, C, U, T]), [0, 3, 2, 1]) as tf.Tensor4D);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [rs, xsb]: tf.Tensor[]) =>
        tf.tidy(() => {
          const dyb = tf.transpose(dy, [0, 3, 2, 1]).reshape([B * C, U, T]) as tf.Tensor3D; // [(b, c), u, t]
          const dR = tf.transpose(tf.matMul(dyb, xsb as tf.Tensor3D, false, true).reshape([B, C, U, W]), [3, 0, 2, 1]);
          const dx = tf.transpose(tf.matMul(rs as tf.Tensor3D, dyb, true, false).reshape([B, C, W, T]), [0, 3, 2, 1]);
          return [dR, dx];
        }),
    };
  }) as unknown as (R: tf.Tensor4D, x: tf.Tensor4D) => tf.Tensor4D;
  return op(R, x);
}

export const webgpuKernels: Kernels = {
  matMul2d: (x, w) => tf.matMul(x, w),
  matMulBias: (x, w, b) => tf.add(tf.matMul(x, w), b),
  columnMeans: (x) => tf.mean(x, 0, true),
  columnSums: (x) => tf.sum(x, 0),
  concatChannels: (xs) => tf.concat(xs, -1),
  stackParts: (xs) => tf.stack(xs),
  aggregate,
};
