/**
 * What a trainer backend provides: the few tensor operations whose fastest (or only working)
 * formulation differs between tfjs backends. Model code calls them through trainer/model/ops.ts,
 * which picks the running backend's kernels from the registry (trainer/backend.ts), as tfjs itself
 * lets a backend register its own kernel for an op. Every kernel computes what the plain tfjs op
 * named in its comment computes, forward and gradient (tests/model/backends.test.ts checks each
 * registered backend against those ops).
 */
import type * as tf from '@tensorflow/tfjs';

export interface Kernels {
  /** x [rows, in] · w [in, out]: `tf.matMul(x, w)`. */
  matMul2d(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D;
  /** x [rows, in] · w [in, out] + b [out]: `tf.add(tf.matMul(x, w), b)`. */
  matMulBias(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D;
  /** Column means of [rows, C] as [1, C]: `tf.mean(x, 0, true)`. */
  columnMeans(x: tf.Tensor2D): tf.Tensor2D;
  /** Column sums of [rows, C] as [C] (a bias gradient): `tf.sum(x, 0)`. */
  columnSums(x: tf.Tensor2D): tf.Tensor1D;
  /** Equally shaped tensors side by side along their last axis: `tf.concat(xs, -1)`. */
  concatChannels(xs: tf.Tensor[]): tf.Tensor;
  /** Equally shaped tensors along a new first axis: `tf.stack(xs)`. */
  stackParts(xs: tf.Tensor[]): tf.Tensor;
  /**
   * CTR-GC's aggregation over joints, out[b, t, u, c] = Σ_w R[w, b, u, c] · x[b, t, w, c] for R
   * [W, B, U, C] and x [B, T, W, C]; `known`, that output from an earlier call on the same R and x
   * (a checkpoint replay), is returned as the value instead of computing it again.
   */
  aggregate(R: tf.Tensor4D, x: tf.Tensor4D, known?: tf.Tensor4D): tf.Tensor4D;
}
