/** The running feature statistics against hand-computed means and variances. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { selectBackend } from '../../trainer/backend.ts';
import { FeatureStats } from '../../trainer/cocodiff/stats.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

it('the first batch sets mean and (population) variance, later ones move them by 0.1; standardising uses them with eps 1e-5', () => {
  const s = new FeatureStats(2);
  s.update(tf.tensor2d([[1, 10], [3, 14]]));
  expect(Array.from(s.mean.dataSync())).toEqual([2, 12]);
  expect(Array.from(s.variance.dataSync())).toEqual([1, 4]);
  s.update(tf.tensor2d([[5, 0], [5, 2]])); // mean (5, 1), variance (0, 1)
  const mean = [0.9 * 2 + 0.1 * 5, 0.9 * 12 + 0.1 * 1];
  const variance = [0.9 * 1 + 0.1 * 0, 0.9 * 4 + 0.1 * 1];
  Array.from(s.mean.dataSync()).forEach((m, i) => expect(m).toBeCloseTo(mean[i], 5));
  Array.from(s.variance.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(variance[i], 5));
  expect(s.count.dataSync()[0]).toBe(2);
  const x = tf.tensor2d([[4, 7]]);
  const z = s.standardise(x).dataSync();
  [0, 1].forEach((i) => expect(z[i]).toBeCloseTo(([4, 7][i] - mean[i]) / Math.sqrt(variance[i] + 1e-5), 4));
  const back = s.unstandardise(s.standardise(x)).dataSync();
  [0, 1].forEach((i) => expect(back[i]).toBeCloseTo([4, 7][i], 4));
});

it('takes no gradient and travels in checkpoints under its own names', () => {
  const s = new FeatureStats(3);
  expect([s.mean, s.variance, s.count].map((v) => v.trainable)).toEqual([false, false, false]);
  expect(s.named().map(([name]) => name)).toEqual(['stats.mean', 'stats.variance', 'stats.count']);
  expect(s.named().map(([, v]) => v)).toEqual([s.mean, s.variance, s.count]);
});

