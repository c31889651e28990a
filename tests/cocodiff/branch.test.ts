import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { DiffusionBranch } from '../../trainer/cocodiff/branch.ts';
import { Dense } from '../../trainer/cocodiff/dense.ts';
import { Denoiser } from '../../trainer/cocodiff/denoiser.ts';
import { createCoCoDiffBranch, DEFAULT_COCODIFF_OPTIONS, lossWeights, weightedLoss, type CoCoDiffOptions } from '../../trainer/cocodiff/index.ts';
import { timestepRange } from '../../cli/cocodiff-options.ts';
import type { ClassEmbeddings } from '../../trainer/text/embeddings-file.ts';

const F = 16;
const K = 3;
const DIM = 10;
const N = 6;
const OPTIONS: CoCoDiffOptions = { ...DEFAULT_COCODIFF_OPTIONS, steps: 100, genT: [0, 99], denoiserWidth: 24, denoiserBlocks: 2 };

function text(seed: number): ClassEmbeddings {
  const rng = new Rng(seed);
  const rows = () => Float32Array.from({ length: K * DIM }, () => rng.normal());
  return { dim: DIM, coarse: rows(), fine: rows(), source: 'test' };
}

function batch(seed: number) {
  const rng = new Rng(seed);
  const feature = tf.variable(tf.tensor2d(Float32Array.from({ length: N * F }, () => rng.normal()), [N, F]));
  const labels = tf.tensor1d([0, 0, 1, 1, 2, 2], 'int32');
  return { feature, labels };
}

const norm = (t: tf.Tensor) => tf.norm(t).dataSync()[0];

describe('CoCoDiff branch', () => {
  it('gradients reach every denoiser and text weight once the zero-initialised block outputs have moved', () => {
    const branch = new DiffusionBranch(OPTIONS, F, text(1), 7);
    const classifier = new Dense('fc', F, K, new Rng(2));
    const { feature, labels } = batch(3);
    const vars = [...branch.trainable().map(([, v]) => v), ...classifier.variables()];
    const step = () =>
      tf.variableGrads(() => {
        const l = branch.losses(feature as tf.Tensor2D, labels, (f) => classifier.apply(f));
        return weightedLoss(l, lossWeights(branch.options, 10))!;
      }, vars);
    // One step first: the blocks' zero-initialised output layers block the inner gradients at step 0.
    tf.train.sgd(0.1).applyGradients(step().grads);
    const { grads } = step();
    for (const v of vars) expect(norm(grads[v.name]), v.name).toBeGreaterThan(0);
  });

  it('λ: terms at 0 are left out, all at 0 add nothing, and λ_gen warms up linearly from 0', () => {
    const l = { ceGen: tf.scalar(2), fine: tf.scalar(3), coarse: tf.scalar(5) };
    expect(weightedLoss(l, { gen: 0, fine: 0, coarse: 0 })).toBeNull();
    expect(weightedLoss(l, { gen: 1, fine: 0, coarse: 0.1 })!.dataSync()[0]).toBeCloseTo(2.5, 6);
    const o = { ...OPTIONS, lambdaGen: 2, lambdaGenWarmup: 4 };
    expect([0, 1, 2, 4, 9].map((e) => lossWeights(o, e).gen)).toEqual([0, 0.5, 1, 2, 2]);
    expect(lossWeights({ ...o, lambdaGenWarmup: 0 }, 0).gen).toBe(2);
  });

  it('classifies genPerSample generated features per real one', () => {
    const branch = new DiffusionBranch({ ...OPTIONS, genPerSample: 3, genSteps: 4 }, F, text(1), 7);
    const { feature, labels } = batch(3);
    const seen: number[][] = [];
    const l = branch.losses(feature as tf.Tensor2D, labels, (f) => {
      seen.push(f.shape);
      return tf.zeros([f.shape[0], K]) as tf.Tensor2D;
    });
    expect(seen).toEqual([[3 * N, F]]);
    expect(l.ceGen.dataSync()[0]).toBeCloseTo(Math.log(K), 5);
  });

  it('switches: no coarse text → zero coarse loss and no projection; no gen CE → classifier unused; no text at all needs none', () => {
    const { feature, labels } = batch(4);
    const full = new DiffusionBranch(OPTIONS, F, text(1), 7);
    const noCoarse = new DiffusionBranch({ ...OPTIONS, coarseText: false }, F, text(1), 7);
    expect(noCoarse.trainable().length).toBe(full.trainable().length - 3); // proj weight, bias, logit scale
    expect(noCoarse.losses(feature as tf.Tensor2D, labels, (f) => f).coarse.dataSync()[0]).toBe(0);
    let called = false;
    const noCe = new DiffusionBranch({ ...OPTIONS, genCe: false }, F, text(1), 7);
    expect(noCe.losses(feature as tf.Tensor2D, labels, (f) => ((called = true), f)).ceGen.dataSync()[0]).toBe(0);
    expect(called).toBe(false);
    const plain = new DiffusionBranch({ ...OPTIONS, fineText: false, coarseText: false }, F, null, 7);
    expect(plain.losses(feature as tf.Tensor2D, labels, (f) => f).fine.dataSync()[0]).toBeGreaterThan(0);
    expect(() => new DiffusionBranch(OPTIONS, F, null, 7)).toThrow(/text/);
  });

  it('state() and restore() continue the same run: weights and noise', () => {
    const { feature, labels } = batch(5);
    const a = new DiffusionBranch(OPTIONS, F, text(1), 7);
    a.losses(feature as tf.Tensor2D, labels, (f) => f); // advance the noise stream
    const saved = a.state();
    const b = new DiffusionBranch(OPTIONS, F, text(1), 99);
    b.restore(saved);
    const la = a.losses(feature as tf.Tensor2D, labels, (f) => f);
    const lb = b.losses(feature as tf.Tensor2D, labels, (f) => f);
    expect(lb.fine.dataSync()[0]).toBe(la.fine.dataSync()[0]);
    expect(lb.coarse.dataSync()[0]).toBe(la.coarse.dataSync()[0]);
  });

  it('the fine loss sees every timestep, generated features only --gen-t, walked down by DDIM', () => {
    const spy = vi.spyOn(Denoiser.prototype, 'predict');
    try {
      const branch = new DiffusionBranch({ ...OPTIONS, genT: [20, 30], genSteps: 3, genPerSample: 4 }, F, text(1), 7);
      const { feature, labels } = batch(6);
      const fineT: number[] = [];
      const genT: number[][] = [];
      for (let i = 0; i < 20; i++) {
        spy.mockClear();
        branch.losses(feature as tf.Tensor2D, labels, (f) => f);
        expect(spy).toHaveBeenCalledTimes(4); // the fine pass, then 3 DDIM steps
        fineT.push(...Array.from(spy.mock.calls[0][1]));
        genT.push(...[1, 2, 3].map((c) => Array.from(spy.mock.calls[c][1])));
      }
      expect(Math.min(...fineT)).toBeLessThan(20);
      expect(Math.max(...fineT)).toBeGreaterThan(30);
      const starts = genT.filter((_, i) => i % 3 === 0).flat();
      expect(Math.min(...starts)).toBe(20);
      expect(Math.max(...starts)).toBe(30);
      for (let i = 0; i < genT.length; i += 3) genT[i].forEach((t, r) => expect(genT[i + 1][r]).toBeLessThanOrEqual(t));
    } finally {
      spy.mockRestore();
    }
  });

  it('η adds noise between DDIM steps only: same seed, same loss at η = 0 twice; η = 1 differs; one step ignores η', () => {
    const { feature, labels } = batch(7);
    const ceGen = (o: Partial<CoCoDiffOptions>) =>
      new DiffusionBranch({ ...OPTIONS, genT: [40, 90], ...o }, F, text(1), 7).losses(feature as tf.Tensor2D, labels, (f) => f.slice([0, 0], [-1, K])).ceGen.dataSync()[0];
    expect(ceGen({ genSteps: 4, eta: 0 })).toBe(ceGen({ genSteps: 4, eta: 0 }));
    expect(ceGen({ genSteps: 4, eta: 1 })).not.toBe(ceGen({ genSteps: 4, eta: 0 }));
    expect(ceGen({ genSteps: 1, eta: 1 })).toBe(ceGen({ genSteps: 1, eta: 0 }));
  });

  it('--gen-t parses MIN:MAX and refuses anything else or a range past the schedule', async () => {
    expect(timestepRange('100:400')).toEqual([100, 400]);
    expect(() => timestepRange('400:100')).toThrow(/--gen-t: expected MIN:MAX/);
    expect(() => timestepRange('1-5')).toThrow(/--gen-t/);
    const ctx = { featureDim: F, classes: ['a'], runDir: '.', seed: 1 };
    await expect(createCoCoDiffBranch({ ...OPTIONS, fineText: false, coarseText: false, genT: [0, 100] }, ctx)).rejects.toThrow(/^genT: 0:100: expected integers MIN:MAX with 0 ≤ MIN ≤ MAX < 100/);
  });

  it('createCoCoDiffBranch reads precomputed embeddings and rejects bad options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cocodiff-branch-'));
    const file = join(dir, 'emb.json');
    writeFileSync(file, JSON.stringify({ dim: 4, classes: { jump: [1, 0, 0, 0], kick: [[0, 1, 0, 0], [0, 0, 1, 0]] } }));
    const ctx = { featureDim: F, classes: ['jump', 'kick'], runDir: dir, seed: 1, embeddingsFile: file };
    const branch = await createCoCoDiffBranch(OPTIONS, ctx);
    const l = branch.losses(tf.ones([2, F]) as tf.Tensor2D, tf.tensor1d([0, 1], 'int32'), (f) => tf.zeros([f.shape[0], 2]) as tf.Tensor2D);
    expect(Number.isFinite(l.coarse.dataSync()[0])).toBe(true);
    await expect(createCoCoDiffBranch({ ...OPTIONS, genSteps: 0 }, ctx)).rejects.toThrow(/genSteps/);
    await expect(createCoCoDiffBranch({ ...OPTIONS, schedule: 'square' as 'linear' }, ctx)).rejects.toThrow(/schedule/);
  });
});
