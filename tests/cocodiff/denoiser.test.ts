import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { Denoiser } from '../../trainer/cocodiff/denoiser.ts';

const F = 12;
const TEXT = 8;
const N = 5;
const rand = (rng: Rng, shape: [number, number]) =>
  tf.tensor2d(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal()), shape);
const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];

/** A few steps of x0 regression, so the zero-initialised block outputs carry the conditioning. */
function trained(rng: Rng, textDim: number): Denoiser {
  const d = new Denoiser({ featureDim: F, width: 16, blocks: 2, textDim }, rng);
  const vars = d.layers().flatMap((l) => l.variables());
  const opt = tf.train.sgd(0.05);
  const xt = rand(rng, [N, F]);
  const x0 = rand(rng, [N, F]);
  const text = textDim ? rand(rng, [N, textDim]) : null;
  for (let i = 0; i < 3; i++) {
    opt.minimize(() => tf.mean(tf.square(tf.sub(d.predict(xt, [10, 200, 400, 600, 900], text), x0))) as tf.Scalar, false, vars);
  }
  return d;
}

describe('denoiser', () => {
  it('maps [N, F] to [N, F]', () => {
    const d = new Denoiser({ featureDim: F, width: 16, blocks: 3, textDim: TEXT }, new Rng(1));
    const rng = new Rng(2);
    const out = d.predict(rand(rng, [N, F]), [0, 1, 2, 3, 999], rand(rng, [N, TEXT]));
    expect(out.shape).toEqual([N, F]);
    expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('changing the fine text changes x̂0 (the text enters the blocks)', () => {
    const rng = new Rng(3);
    const d = trained(rng, TEXT);
    const xt = rand(rng, [N, F]);
    const t = [50, 50, 50, 50, 50];
    const a = d.predict(xt, t, rand(rng, [N, TEXT]));
    const b = d.predict(xt, t, rand(rng, [N, TEXT]));
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-4);
    // Same text, same output: the difference above comes from the text alone.
    const text = rand(rng, [N, TEXT]);
    expect(maxAbsDiff(d.predict(xt, t, text), d.predict(xt, t, text))).toBe(0);
  });

  it('changing the timestep changes x̂0', () => {
    const rng = new Rng(4);
    const d = trained(rng, 0);
    const xt = rand(rng, [N, F]);
    expect(maxAbsDiff(d.predict(xt, [1, 1, 1, 1, 1], null), d.predict(xt, [700, 700, 700, 700, 700], null))).toBeGreaterThan(1e-4);
  });

  it('refuses text it was not built for', () => {
    const d = new Denoiser({ featureDim: F, width: 16, blocks: 1, textDim: 0 }, new Rng(5));
    expect(() => d.predict(tf.zeros([1, F]) as tf.Tensor2D, [0], tf.zeros([1, TEXT]) as tf.Tensor2D)).toThrow();
  });
});
