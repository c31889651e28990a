/**
 * BatchNorm2d over the last axis of a channel-last tensor, with PyTorch's semantics: eps 1e-5;
 * training normalises with the batch statistics and moves the running mean and the unbiased running
 * variance by momentum 0.1; evaluation uses the running statistics.
 */
import * as tf from '@tensorflow/tfjs';
import { constant } from './init.ts';
import { columnMeans } from './ops.ts';
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
    const C = x.shape[x.shape.length - 1];
    const y = batchNormTrain(x.reshape([-1, C]) as tf.Tensor2D, this.weight, this.bias, (mean, variance, n) => {
      if (record) this.track(mean, variance, n);
    });
    return y.reshape(x.shape) as T;
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

/**
 * Training-mode batch-norm of [rows, C] with batch statistics, as one custom-gradient op: tfjs's
 * own batchNorm gradient tiles full-size tensors and reduces with tf.sum, several times slower on
 * wasm; every reduction here is the backend's column-mean kernel (an average pool on wasm).
 * With x̂ = (x − mean)·inv, inv = 1/sqrt(var + eps), the gradient is
 *   dβ = Σ dy,  dγ = Σ dy·x̂,  dx = γ·inv/n · (n·dy − dβ − x̂·dγ).
 * `stats` receives the batch mean and biased variance (for the running statistics).
 */
function batchNormTrain(
  x: tf.Tensor2D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  stats: (mean: tf.Tensor, variance: tf.Tensor, n: number) => void,
): tf.Tensor2D {
  const n = x.shape[0];
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, g, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = columnMeans(xs);
    const centred = tf.sub(xs, mean);
    const variance = columnMeans(tf.square(centred) as tf.Tensor2D);
    const inv = tf.rsqrt(tf.add(variance, BN_EPS));
    const xhat = tf.mul(centred, inv) as tf.Tensor2D;
    stats(mean.reshape([-1]), variance.reshape([-1]), n);
    save([xhat, inv, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, [xh, iv, gs]: tf.Tensor[]) =>
        tf.tidy(() => {
          // With the column means m(dy) = dβ / n and m(dy·x̂) = dγ / n: dx = γ·inv · (dy − m(dy) − x̂·m(dy·x̂)).
          const meanDy = columnMeans(dy as tf.Tensor2D);
          const meanDyXhat = columnMeans(tf.mul(dy, xh) as tf.Tensor2D);
          const dx = tf.mul(tf.sub(tf.sub(dy, meanDy), tf.mul(xh, meanDyXhat)), tf.mul(gs, iv));
          return [dx, meanDyXhat.mul(n).reshape([-1]), meanDy.mul(n).reshape([-1])];
        }),
    };
  }) as unknown as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor2D;
  return op(x, gamma, beta);
}
