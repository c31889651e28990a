import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Adam } from '../../trainer/train/adam.ts';

/** Adam on one scalar, by hand (β1 0.9, β2 0.999, ε 1e-8). */
function reference(p: number, grads: number[], lr: number, wd: number): number {
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    p -= (lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
  });
  return p;
}

describe('the branch optimiser (Adam / AdamW)', () => {
  it('computes PyTorch\'s AdamW update, with no decay on the names it is told to spare', () => {
    const w = tf.variable(tf.scalar(2));
    const temperature = tf.variable(tf.scalar(2));
    const adam = new Adam([['w', w], ['coarse.logit_scale', temperature]], { lr: 0.1, weightDecay: 0.5 }, new Set(['coarse.logit_scale']));
    for (const g of [0.3, -1.2, 0.7]) adam.step({ [w.name]: tf.scalar(g), [temperature.name]: tf.scalar(g) });
    expect(w.dataSync()[0]).toBeCloseTo(reference(2, [0.3, -1.2, 0.7], 0.1, 0.5), 5);
    expect(temperature.dataSync()[0]).toBeCloseTo(reference(2, [0.3, -1.2, 0.7], 0.1, 0), 5);
    expect(w.dataSync()[0]).not.toBeCloseTo(temperature.dataSync()[0], 3);
  });

  it('skips variables without a gradient, and state() / restore() continue the same run', async () => {
    const make = () => tf.variable(tf.tensor1d([1, -1]));
    const a = make();
    const idle = tf.variable(tf.scalar(5));
    const opt = new Adam([['a', a], ['idle', idle]], { lr: 0.01, weightDecay: 0.1 });
    opt.step({ [a.name]: tf.tensor1d([0.5, 0.2]) });
    expect(idle.dataSync()[0]).toBe(5);
    const b = tf.variable(tf.tensor(a.dataSync(), [2]));
    const resumed = new Adam([['a', b], ['idle', tf.variable(tf.scalar(5))]], { lr: 0.01, weightDecay: 0.1 });
    resumed.restore(await opt.state());
    opt.step({ [a.name]: tf.tensor1d([-0.3, 0.9]) });
    resumed.step({ [b.name]: tf.tensor1d([-0.3, 0.9]) });
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => resumed.restore(new Map())).toThrow(/no "a.m"/);
  });
});
