/**
 * The noising and DDIM equations against values computed here by hand, in double precision, for
 * a fixed random stream: x0 and the noise come from seeded Rngs, ᾱ from the linear schedule's
 * definition (β from 1e-4 to 0.02 over 1000 steps, ᾱ_t = Π (1 − β_i)) written out again.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { selectBackend } from '../../trainer/backend.ts';
import { ddimStep, noise } from '../../trainer/cocodiff/diffusion.ts';
import { noiseSchedule } from '../../trainer/cocodiff/schedule.ts';

const [ROWS, DIM] = [4, 6];
/** ᾱ_t of the linear schedule, from its definition. */
const alphaBarByHand = (t: number) => {
  let p = 1;
  for (let i = 0; i <= t; i++) p *= 1 - (1e-4 + ((0.02 - 1e-4) * i) / 999);
  return p;
};
const normals = (seed: number): number[][] => {
  const rng = new Rng(seed);
  return Array.from({ length: ROWS }, () => Array.from({ length: DIM }, () => Math.fround(rng.normal())));
};
const worst = (got: tf.Tensor2D, want: number[][]) => {
  const g = got.arraySync();
  return Math.max(...want.flatMap((row, i) => row.map((w, d) => Math.abs(g[i][d] - w) / Math.max(1, Math.abs(w)))));
};

beforeAll(async () => {
  await selectBackend('cpu');
});

const { alphaBar } = noiseSchedule('linear', 1000);

it('the schedule\'s ᾱ is the product of (1 − β) of the linear β', () => {
  for (const t of [0, 1, 250, 500, 999]) expect(Math.abs(alphaBar[t] - alphaBarByHand(t)) / alphaBarByHand(t)).toBeLessThan(1e-12);
});

describe('noising q(x_t | x0)', () => {
  it('is √ᾱ_t·x0 + √(1−ᾱ_t)·ε, each row at its own t', () => {
    const x0 = normals(1);
    const eps = normals(2);
    const t = [0, 137, 500, 999];
    const want = x0.map((row, i) => row.map((x, d) => Math.sqrt(alphaBarByHand(t[i])) * x + Math.sqrt(1 - alphaBarByHand(t[i])) * eps[i][d]));
    expect(worst(noise(tf.tensor2d(x0), t, alphaBar, tf.tensor2d(eps)), want)).toBeLessThan(1e-6);
  });
});

describe('one DDIM step', () => {
  const x0 = normals(3);
  const eps = normals(4);
  const tau = [900, 600, 300, 40];
  const next = [600, 300, 40, 0];
  const xAt = (t: number[]) => x0.map((row, i) => row.map((x, d) => Math.sqrt(alphaBarByHand(t[i])) * x + Math.sqrt(1 - alphaBarByHand(t[i])) * eps[i][d]));
  /**
   * The DDIM step written out: ε̂ = (x − √ᾱ·x̂0)/√(1−ᾱ), σ = η·√((1−ᾱ')/(1−ᾱ)·(1−ᾱ/ᾱ')), and
   * x' = √ᾱ'·x̂0 + √(1−ᾱ'−σ²)·ε̂ + σ·z (z unused at η = 0).
   */
  const ddimByHand = (x: number[][], x0Hat: number[][], eta: number, z?: number[][]) => x.map((row, i) => row.map((xi, d) => {
    const [a, b] = [alphaBarByHand(tau[i]), alphaBarByHand(next[i])];
    const sigma = eta * Math.sqrt(((1 - b) / (1 - a)) * (1 - a / b));
    const epsHat = (xi - Math.sqrt(a) * x0Hat[i][d]) / Math.sqrt(1 - a);
    return Math.sqrt(b) * x0Hat[i][d] + Math.sqrt(1 - b - sigma * sigma) * epsHat + (z ? sigma * z[i][d] : 0);
  }));

  it('η = 0 with the true x0: lands exactly on q(x_τ\' | x0) with the same noise, and draws nothing', () => {
    let drawn = 0;
    const x = ddimStep(tf.tensor2d(xAt(tau)), tf.tensor2d(x0), tau, next, alphaBar, 0, (r, d) => { drawn++; return tf.zeros([r, d]); });
    expect(worst(x, xAt(next))).toBeLessThan(2e-5);
    expect(drawn).toBe(0);
  });

  it('η = 0 with a wrong x̂0: √ᾱ\'·x̂0 + √(1−ᾱ\')·(x − √ᾱ·x̂0)/√(1−ᾱ)', () => {
    const x = normals(5);
    const x0Hat = normals(6);
    const want = ddimByHand(x, x0Hat, 0);
    expect(worst(ddimStep(tf.tensor2d(x), tf.tensor2d(x0Hat), tau, next, alphaBar, 0, () => { throw new Error('no noise at η = 0'); }), want)).toBeLessThan(2e-5);
  });

  it('η = 1: σ = √((1−ᾱ\')/(1−ᾱ)·(1−ᾱ/ᾱ\')), the direction shrinks to √(1−ᾱ\'−σ²), and σ·z is added', () => {
    const x = normals(7);
    const x0Hat = normals(8);
    const z = normals(9);
    const want = ddimByHand(x, x0Hat, 1, z);
    const got = ddimStep(tf.tensor2d(x), tf.tensor2d(x0Hat), tau, next, alphaBar, 1, (r, d) => {
      expect([r, d]).toEqual([ROWS, DIM]);
      return tf.tensor2d(z);
    });
    expect(worst(got, want)).toBeLessThan(2e-5);
  });

  it('η = 0.5 scales σ by η', () => {
    const x = normals(10);
    const x0Hat = normals(11);
    const z = normals(12);
    const want = ddimByHand(x, x0Hat, 0.5, z);
    expect(worst(ddimStep(tf.tensor2d(x), tf.tensor2d(x0Hat), tau, next, alphaBar, 0.5, () => tf.tensor2d(z)), want)).toBeLessThan(2e-5);
  });
});
