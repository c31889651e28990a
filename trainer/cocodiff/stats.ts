/**
 * Running per-dimension mean and variance of the backbone's features, the frame the diffusion works
 * in: raw pooled features sit far from 0 with a small spread between samples, so noising them at
 * unit variance would drown what distinguishes one sample from another in a few steps. The statistics
 * take no gradient (standardising with them is an affine map of constants), live in checkpoints with
 * the rest of the branch, and are never exported: inference has no branch.
 */
import * as tf from '@tensorflow/tfjs';

/** Exponential average, as batch-norm keeps its running statistics; the first batch initialises them. */
const MOMENTUM = 0.1;
const EPSILON = 1e-5;

export class FeatureStats {
  readonly mean: tf.Variable;
  readonly variance: tf.Variable;
  /** Batches seen (a float, so the whole state is one dtype). */
  readonly count: tf.Variable;

  constructor(dim: number) {
    this.mean = tf.variable(tf.zeros([dim]), false);
    this.variance = tf.variable(tf.ones([dim]), false);
    this.count = tf.variable(tf.scalar(0), false);
  }

  /**
   * Folds one batch [N, F] into the statistics; the values only, never the gradient: the moments
   * only reach variables through assign(), which the gradient tape does not follow. It all stays on
   * the device (a GPU backend cannot read values synchronously): the first batch's rate 1 is chosen
   * by a comparison of `count`, and 1 − 0.1 rounds to the same float32 as the constant 0.9.
   */
  update(features: tf.Tensor2D): void {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(features, 0);
      const rate = tf.where(tf.equal(this.count, 0), tf.scalar(1), tf.scalar(MOMENTUM));
      const keep = tf.sub(1, rate);
      this.mean.assign(tf.add(tf.mul(this.mean, keep), tf.mul(mean, rate)));
      this.variance.assign(tf.add(tf.mul(this.variance, keep), tf.mul(variance, rate)));
      this.count.assign(tf.add(this.count, 1));
    });
  }

  standardise(x: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(tf.sub(x, this.mean), tf.rsqrt(tf.add(this.variance, EPSILON)));
  }

  unstandardise(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.mul(x, tf.sqrt(tf.add(this.variance, EPSILON))), this.mean);
  }

  named(): Array<[string, tf.Variable]> {
    return [['stats.mean', this.mean], ['stats.variance', this.variance], ['stats.count', this.count]];
  }
}
