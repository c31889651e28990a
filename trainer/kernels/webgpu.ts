/**
 * The kernels of the tfjs `webgpu` backend: the plain tfjs ops themselves. The wasm formulations
 * work around kernels that run in JavaScript or as scalar loops there (trainer/kernels/wasm.ts); on
 * WebGPU every one of those ops (a matMul with transpose flags, a reduction, Concat and its SplitV
 * gradient, Unpack) is a compute shader, so the workarounds would only add passes: explicit
 * transposes, an average pool and a multiply for a sum, a one-hot matMul per stacked part.
 */
import * as tf from '@tensorflow/tfjs';
import type { Kernels } from './kernels.ts';

export const webgpuKernels: Kernels = {
  matMul2d: (x, w) => tf.matMul(x, w),
  matMulBias: (x, w, b) => tf.add(tf.matMul(x, w), b),
  columnMeans: (x) => tf.mean(x, 0, true),
  columnSums: (x) => tf.sum(x, 0),
  concatChannels: (xs) => tf.concat(xs, -1),
  stackParts: (xs) => tf.stack(xs),
};
