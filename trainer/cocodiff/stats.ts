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

  /** Folds one batch [N, F] into the statistics; the values only, never the gradient. */
  update(features: tf.Tensor2D): void {
    tf.tidy(() => {
      const x = tf.tensor2d(features.dataSync() as Float32Array, features.shape);
      const { mean, variance } = tf.moments(x, 0);
      const first = this.count.dataSync()[0] === 0;
      const rate = first ? 1 : MOMENTUM;
      this.mean.assign(tf.add(tf.mul(this.mean, 1 - rate), tf.mul(mean, rate)));
      this.variance.assign(tf.add(tf.mul(this.variance, 1 - rate), tf.mul(variance, rate)));
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
