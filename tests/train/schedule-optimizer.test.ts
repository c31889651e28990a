import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { ctrgcnSchedule, learningRate } from '../../trainer/train/schedule.ts';
import { Sgd } from '../../trainer/train/optimizer.ts';
import { resolveConfig } from '../../trainer/train/config.ts';

await tf.setBackend('cpu');

describe('learning-rate schedule (CTR-GCN recipe)', () => {
  const s = ctrgcnSchedule(64);
  it('warms up linearly over 5 epochs, then decays ×0.1 at epochs 35 and 55', () => {
    expect([0, 1, 2, 3, 4].map((e) => learningRate(s, e))).toEqual([0.02, 0.04, 0.06, 0.08, 0.1].map((v) => expect.closeTo(v, 12)));
    expect(learningRate(s, 5)).toBeCloseTo(0.1, 12);
    expect(learningRate(s, 34)).toBeCloseTo(0.1, 12);
    expect(learningRate(s, 35)).toBeCloseTo(0.01, 12);
    expect(learningRate(s, 54)).toBeCloseTo(0.01, 12);
    expect(learningRate(s, 55)).toBeCloseTo(0.001, 12);
    expect(learningRate(s, 64)).toBeCloseTo(0.001, 12);
  });
  it('scales the base rate with the batch size', () => {
    expect(ctrgcnSchedule(16).baseLr).toBeCloseTo(0.025, 12);
    expect(learningRate(ctrgcnSchedule(16), 40)).toBeCloseTo(0.0025, 12);
  });
});

describe('--preset ucla: the authors\' NW-UCLA recipe (config/ucla/default.yaml)', () => {
  it('CTR-GCN on 52 frames, batch 16 at lr 0.1, weight decay 1e-4, 5 passes per epoch, 65 epochs with the decay at 50, no validation split', () => {
    const c = resolveConfig({ data: 'cache', out: 'run', preset: 'ucla' });
    expect(c).toMatchObject({ width: 1, blocks: 10, frames: 52, batch: 16, epochs: 65, repeat: 5, protocol: 'ucla', valFraction: 0 });
    expect(c.sgd).toEqual({ momentum: 0.9, weightDecay: 1e-4, nesterov: true });
    expect(c.schedule).toEqual({ baseLr: 0.1, warmupEpochs: 5, milestones: [50], decay: 0.1 });
    expect(learningRate(c.schedule, 0)).toBeCloseTo(0.02, 12);
    expect(learningRate(c.schedule, 49)).toBeCloseTo(0.1, 12);
    expect(learningRate(c.schedule, 50)).toBeCloseTo(0.01, 12);
  });
  it('a shorter run keeps the schedule\'s shape; explicit options still win', () => {
    expect(resolveConfig({ data: 'cache', out: 'run', preset: 'ucla', epochs: 26 }).schedule).toEqual({ baseLr: 0.1, warmupEpochs: 2, milestones: [20], decay: 0.1 });
    const c = resolveConfig({ data: 'cache', out: 'run', preset: 'ucla', batch: 32, width: 0.25, valFraction: 0.2 });
    expect(c.schedule.baseLr).toBeCloseTo(0.2, 12);
    expect(c).toMatchObject({ width: 0.25, valFraction: 0.2, protocol: 'ucla' });
    expect(resolveConfig({ data: 'cache', out: 'run', preset: 'ucla', repeat: 1 }).repeat).toBe(1);
    expect(() => resolveConfig({ data: 'cache', out: 'run', preset: 'ucla', repeat: 0 })).toThrow(/repeat.*expected a positive integer, found 0/);
  });
  it('other runs keep the NTU recipe\'s optimiser, one pass per epoch and the ntu preprocessing', () => {
    expect(resolveConfig({ data: 'cache', out: 'run' })).toMatchObject({ repeat: 1, protocol: 'ntu', sgd: { momentum: 0.9, weightDecay: 4e-4, nesterov: true } });
  });
});

describe('SGD as torch.optim.SGD computes it', () => {
  it('Nesterov momentum with weight decay added to the gradient, by hand over two steps', () => {
    const p = tf.variable(tf.tensor1d([1, -2]), true, 'sgd-test-a');
    const opt = new Sgd([p], { momentum: 0.9, weightDecay: 0.1, nesterov: true });
    const g = [0.5, 0.25];
    // Hand computation (float64), per element: g' = g + wd·p; buf = m·buf + g'; d = g' + m·buf; p -= lr·d.
    const expected = [1, -2];
    const buf = [0, 0];
    for (let step = 0; step < 2; step++) {
      opt.step({ [p.name]: tf.tensor1d(g) }, 0.1);
      for (let i = 0; i < 2; i++) {
        const gd = g[i] + 0.1 * expected[i];
        buf[i] = 0.9 * buf[i] + gd;
        expected[i] -= 0.1 * (gd + 0.9 * buf[i]);
      }
      const got = Array.from(p.dataSync());
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    }
    opt.dispose();
    p.dispose();
  });

  it('first Nesterov step equals the closed form 1 − lr·(1 + m)·(g + wd·p)', () => {
    const p = tf.variable(tf.scalar(1), true, 'sgd-test-b');
    const opt = new Sgd([p], { momentum: 0.9, weightDecay: 0.1, nesterov: true });
    opt.step({ [p.name]: tf.scalar(0.5) }, 0.1);
    expect(p.dataSync()[0]).toBeCloseTo(0.886, 6);
    opt.dispose();
    p.dispose();
  });

  it('plain momentum (no Nesterov) steps by the buffer itself', () => {
    const p = tf.variable(tf.scalar(1), true, 'sgd-test-c');
    const opt = new Sgd([p], { momentum: 0.9, weightDecay: 0, nesterov: false });
    opt.step({ [p.name]: tf.scalar(1) }, 0.1); // buf 1, p 0.9
    opt.step({ [p.name]: tf.scalar(1) }, 0.1); // buf 1.9, p 0.71
    expect(p.dataSync()[0]).toBeCloseTo(0.71, 6);
    opt.dispose();
    p.dispose();
  });

  it('skips a variable without gradient entirely (no decay, no momentum), as PyTorch skips grad None', () => {
    const a = tf.variable(tf.scalar(1), true, 'sgd-test-d');
    const b = tf.variable(tf.scalar(1), true, 'sgd-test-e');
    const opt = new Sgd([a, b], { momentum: 0.9, weightDecay: 0.5, nesterov: true });
    opt.step({ [a.name]: tf.scalar(1) }, 0.1);
    expect(b.dataSync()[0]).toBe(1);
    expect(a.dataSync()[0]).toBeLessThan(1);
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('minimises a quadratic through tf.variableGrads, and its state restores into a fresh optimiser', async () => {
    const w = tf.variable(tf.tensor1d([3, -4]), true, 'sgd-test-f');
    const opt = new Sgd([w], { momentum: 0.9, weightDecay: 0, nesterov: true });
    const lossOf = (): tf.Scalar => tf.sum(tf.square(w));
    const step = (o: Sgd): void => {
      const { value, grads } = tf.variableGrads(lossOf, [w]);
      o.step(grads, 0.05);
      value.dispose();
      tf.dispose(grads);
    };
    for (let i = 0; i < 3; i++) step(opt);
    const w3 = Array.from(w.dataSync());
    const saved = await opt.state();
    // Continue twice with the original optimiser ...
    step(opt);
    step(opt);
    const direct = Array.from(w.dataSync());
    // ... and from the saved state with a new one: identical numbers.
    w.assign(tf.tensor1d(w3));
    const again = new Sgd([w], { momentum: 0.9, weightDecay: 0, nesterov: true });
    again.restore(saved);
    step(again);
    step(again);
    expect(Array.from(w.dataSync())).toEqual(direct);
    for (let i = 0; i < 40; i++) step(again);
    expect(tf.tidy(() => lossOf().dataSync()[0])).toBeLessThan(1e-3);
    opt.dispose();
    again.dispose();
    w.dispose();
  });
});
