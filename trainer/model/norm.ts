/**
 * BatchNorm2d over the last axis of a channel-last tensor, with PyTorch's semantics: eps 1e-5;
 * training normalises with the batch statistics and moves the running mean and the unbiased running
 * variance by momentum 0.1; evaluation uses the running statistics.
 */
import * as tf from '@tensorflow/tfjs';
import { constant } from './init.ts';
import type { ParamStore } from './params.ts';

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

export class BatchNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  /** `scale` is the initial weight: 1 in general, 1e-6 for a graph conv's output BN (official bn_init). */
  constructor(store: ParamStore, name: string, channels: number, scale: number | Float32Array = 1) {
    this.weight = store.param(`${name}.weight`, [channels], typeof scale === 'number' ? constant([channels], scale) : scale);
    this.bias = store.param(`${name}.bias`, [channels], constant([channels], 0));
    this.runningMean = store.buffer(`${name}.running_mean`, [channels], constant([channels], 0));
    this.runningVar = store.buffer(`${name}.running_var`, [channels], constant([channels], 1));
  }

  /** `record` false skips the running-statistics update (a checkpoint replay of the same batch). */
  apply<T extends tf.Tensor>(x: T, training: boolean, record = true): T {
    if (!training) return tf.batchNorm(x, this.runningMean, this.runningVar, this.bias, this.weight, BN_EPS) as T;
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    if (record) this.track(mean, variance, x.size / x.shape[x.shape.length - 1]);
    // Scale and offset are always passed: tfjs's batchNorm gradient needs them on every backend.
    return tf.batchNorm(x, mean, variance, this.bias, this.weight, BN_EPS) as T;
  }

  /** Moves the running statistics; not differentiated (running stats are not on the loss path). */
  track(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    tf.tidy(() => {
      const unbiased = variance.mul(count / Math.max(count - 1, 1));
      this.runningMean.assign(this.runningMean.mul(1 - BN_MOMENTUM).add(mean.mul(BN_MOMENTUM)));
      this.runningVar.assign(this.runningVar.mul(1 - BN_MOMENTUM).add(unbiased.mul(BN_MOMENTUM)));
    });
  }
}
