/**
 * The branch's three loss terms on fixed small tensors, against the same terms computed here by hand
 * (plain float64 arithmetic from the formulas, no tfjs), under the reference settings and under the
 * defaults. The branch's noise and timesteps come from its generator, whose state is set through
 * restore(); the test replays the same draws, so every intermediate (x_t, x̂0, the de-standardised
 * features, the contrastive logits) is known. A disagreement with another implementation can be
 * located term by term here.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { DiffusionBranch } from '../../trainer/cocodiff/branch.ts';
import { TIME_EMBEDDING_DIM } from '../../trainer/cocodiff/denoiser.ts';
import { DEFAULT_COCODIFF_OPTIONS, lossWeights, REFERENCE_COCODIFF_OPTIONS, weightedLoss, type CoCoDiffOptions } from '../../trainer/cocodiff/index.ts';
import type { ClassEmbeddings } from '../../trainer/text/embeddings-file.ts';

type M = number[][];

const F = 3; // feature
const W = 4; // denoiser width
const TEXT = 2; // text dimension
const FEATURES: M = [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7], [-0.4, 0.9, 1.1], [2.2, -0.5, 0.4]];
const LABELS = [0, 1, 0, 2];
const CLASSIFIER: M = [[0.3, -0.2, 0.5], [-0.6, 0.4, 0.1], [0.2, 0.7, -0.3]]; // [F, 3 classes]
const FINE: M = [[1, 2], [-1, 0.5], [0.3, -2]];
const COARSE: M = [[0.5, 1], [2, -1], [-0.7, -0.2]];
const NOISE_STATE = [11, 22, 33, 44];

// Plain matrix helpers.
const matmul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const addRow = (a: M, bias: number[]): M => a.map((row) => row.map((v, j) => v + bias[j]));
const normalise = (a: M): M => a.map((row) => { const n = Math.sqrt(row.reduce((s, v) => s + v * v, 0) + 1e-12); return row.map((v) => v / n); });
const layerNorm = (a: M): M => a.map((row) => {
  const mean = row.reduce((s, v) => s + v, 0) / row.length;
  const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
  return row.map((v) => (v - mean) / Math.sqrt(variance + 1e-5));
});
const logSoftmax = (row: number[]): number[] => { const m = Math.max(...row); const l = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) + m; return row.map((v) => v - l); };

/** Deterministic, non-trivial weights (the zero-initialised block outputs included), by the variable's position. */
function fixedWeights(shape: number[], salt: number): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: n }, (_, i) => 0.4 * Math.sin(1.3 * i + 0.7 * salt + 0.1));
}
const asMatrix = (flat: number[], [rows, cols]: number[]): M => Array.from({ length: rows }, (_, r) => flat.slice(r * cols, (r + 1) * cols));

interface Setup { options: CoCoDiffOptions; weights: Map<string, number[]>; shapes: Map<string, number[]> }

/** The branch with fixed weights and noise state, and its losses on the fixed batch. */
function branchLosses(options: CoCoDiffOptions) {
  const text: ClassEmbeddings = { dim: TEXT, fine: Float32Array.from(FINE.flat()), coarse: Float32Array.from(COARSE.flat()), source: 'test' };
  const branch = new DiffusionBranch(options, F, text, 1);
  const state = branch.state();
  const weights = new Map<string, number[]>();
  const shapes = new Map<string, number[]>();
  branch.trainable().forEach(([name, v], i) => {
    if (name === 'coarse.logit_scale') return; // keeps log(1/0.07): the temperature's own start
    const values = fixedWeights(v.shape, i);
    weights.set(name, values);
    shapes.set(name, v.shape);
    state.get(name)!.dispose();
    state.set(name, tf.tensor(values, v.shape));
  });
  state.get('rng')!.dispose();
  state.set('rng', tf.tensor1d(Int32Array.from(NOISE_STATE), 'int32'));
  branch.restore(state);
  tf.dispose([...state.values()]);
  const feature = tf.tensor2d(FEATURES);
  const labels = tf.tensor1d(LABELS, 'int32');
  const w = tf.tensor2d(CLASSIFIER);
  const l = branch.losses(feature, labels, (g) => tf.matMul(g, w));
  const values = { fine: l.fine.dataSync()[0], coarse: l.coarse.dataSync()[0], ceGen: l.ceGen.dataSync()[0] };
  const total = weightedLoss(l, lossWeights(options, 0))!.dataSync()[0];
  tf.dispose([feature, labels, w, l.fine, l.coarse, l.ceGen]);
  branch.dispose();
  return { values, total, setup: { options, weights, shapes } as Setup };
}

/** The same three terms from the formulas. */
function byHand({ options: o, weights, shapes }: Setup) {
  const p = (name: string) => asMatrix(weights.get(name)!, shapes.get(name)!);
  const bias = (name: string) => weights.get(name)!;
  const dense = (x: M, name: string) => addRow(matmul(x, p(`${name}.weight`)), bias(`${name}.bias`));
  // Linear DDPM schedule.
  const alphaBar: number[] = [];
  let prod = 1;
  for (let t = 0; t < o.steps; t++) alphaBar.push(prod *= 1 - (1e-4 + ((0.02 - 1e-4) * t) / (o.steps - 1)));
  // The first batch sets the running statistics: its own mean and (biased) variance.
  const N = FEATURES.length;
  const mean = FEATURES[0].map((_, j) => FEATURES.reduce((s, r) => s + r[j], 0) / N);
  const variance = FEATURES[0].map((_, j) => FEATURES.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / N);
  const x0 = FEATURES.map((r) => r.map((v, j) => (v - mean[j]) / Math.sqrt(variance[j] + 1e-5)));
  const unstandardise = (x: M) => x.map((r) => r.map((v, j) => v * Math.sqrt(variance[j] + 1e-5) + mean[j]));
  // The branch's draws, in its order: t over the schedule, their noise, t in the generation range, their noise.
  const rng = new Rng(NOISE_STATE);
  const draw = (lo: number, hi: number) => Array.from({ length: N }, () => lo + rng.int(hi - lo + 1));
  const noised = (t: number[]) => x0.map((r, i) => r.map((v) => Math.sqrt(alphaBar[t[i]]) * v + Math.sqrt(1 - alphaBar[t[i]]) * rng.normal()));
  const fineText = normalise(FINE);
  const denoise = (xt: M, t: number[]): M => {
    const half = TIME_EMBEDDING_DIM / 2;
    const cond = t.map((ti, i) => {
      const angles = Array.from({ length: half }, (_, k) => ti * Math.exp((-Math.log(10000) * k) / half));
      return [...angles.map(Math.sin), ...angles.map(Math.cos), ...fineText[LABELS[i]]];
    });
    let h = dense(xt, 'denoiser.in');
    for (let b = 0; b < o.denoiserBlocks; b++) {
      const pre = dense(layerNorm(h), `denoiser.blocks.${b}.fc`).map((r, i) => r.map((v, j) => v + dense(cond, `denoiser.blocks.${b}.cond`)[i][j]));
      const out = dense(pre.map((r) => r.map((v) => v / (1 + Math.exp(-v)))), `denoiser.blocks.${b}.out`);
      h = h.map((r, i) => r.map((v, j) => v + out[i][j]));
    }
    return dense(layerNorm(h), 'denoiser.final');
  };
  const tAll = draw(0, o.steps - 1);
  const xtAll = noised(tAll);
  const fineHat = denoise(xtAll, tAll);
  const fine = fineHat.flat().reduce((s, v, k) => s + (v - x0.flat()[k]) ** 2, 0) / (N * F);
  const tGen = draw(o.genT[0], o.genT[1]);
  const x0Hat = denoise(noised(tGen), tGen);
  const generated = unstandardise(x0Hat);
  // Coarse: cosine logits between projected x̂0 (de-standardised with coarseOn 'features') and the (projected) coarse text.
  const z = normalise(dense(o.coarseOn === 'features' ? generated : x0Hat, 'coarse.proj'));
  const coarseRows = normalise(COARSE);
  const textRows = LABELS.map((y) => coarseRows[y]);
  const c = o.coarseDim > 0 ? normalise(dense(textRows, 'coarse.text_proj')) : textRows;
  const logits = matmul(z, c[0].map((_, j) => c.map((r) => r[j]))).map((r) => r.map((v) => v / 0.07));
  const target = LABELS.map((yi) => { const same = LABELS.map((yj): number => (yi === yj ? 1 : 0)); const n = same.reduce((a, b) => a + b, 0); return same.map((v) => v / n); });
  const kl = (lg: M) => lg.reduce((s, row, i) => { const lq = logSoftmax(row); return s + target[i].reduce((a, pv, j) => a + (pv > 0 ? pv * (Math.log(pv) - lq[j]) : 0), 0); }, 0) / N;
  const coarse = (kl(logits) + kl(logits[0].map((_, j) => logits.map((r) => r[j])))) / 2;
  const ceGen = matmul(generated, CLASSIFIER).reduce((s, row, i) => s - logSoftmax(row)[LABELS[i]], 0) / N;
  return { fine, coarse, ceGen };
}

/** Float32 against float64 through a few layers: relative 1e-4 plus a small absolute floor. */
function expectClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThan(1e-4 * Math.abs(expected) + 1e-5);
}

describe('CoCoDiff losses by hand', () => {
  for (const [name, options] of [['reference settings', REFERENCE_COCODIFF_OPTIONS], ['defaults', DEFAULT_COCODIFF_OPTIONS]] as const) {
    it(`fine, coarse and generated-feature CE equal the formulas (${name})`, () => {
      const small = { ...options, denoiserWidth: W, denoiserBlocks: 2, coarseDim: options.coarseDim > 0 ? 2 : 0 };
      const { values, total, setup } = branchLosses(small);
      const hand = byHand(setup);
      expectClose(values.fine, hand.fine);
      expectClose(values.coarse, hand.coarse);
      expectClose(values.ceGen, hand.ceGen);
      // The weighted sum at epoch 0: λ_gen without warm-up under the reference, 0 during the defaults' warm-up.
      const gen = options.lambdaGenWarmup > 0 ? 0 : options.lambdaGen;
      expectClose(total, options.lambdaFine * hand.fine + options.lambdaCoarse * hand.coarse + gen * hand.ceGen);
      // The terms are not trivially small: a wrong formula would show.
      expect(Math.min(hand.fine, hand.coarse, hand.ceGen)).toBeGreaterThan(0.01);
    });
  }

  it('the reference settings differ from the defaults where the PyTorch reference does', () => {
    const r = REFERENCE_COCODIFF_OPTIONS;
    expect([r.lambdaFine, r.lambdaCoarse, r.lambdaGen, r.lambdaGenWarmup, r.coarseOn, r.coarseDim]).toEqual([1, 0.5, 0.5, 0, 'features', 256]);
    expect([r.optimizer, r.lr, r.weightDecay, r.steps, r.schedule, r.genT, r.genSteps, r.denoiserWidth, r.denoiserBlocks]).toEqual(['adamw', 1e-3, 1e-4, 1000, 'linear', [100, 400], 1, 512, 3]);
    expect(lossWeights(r, 0)).toEqual({ gen: 0.5, fine: 1, coarse: 0.5 });
  });
});
