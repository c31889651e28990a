import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { DiffusionBranch } from '../../trainer/cocodiff/branch.ts';
import { Dense } from '../../trainer/cocodiff/dense.ts';
import { createCoCoDiffBranch, DEFAULT_COCODIFF_OPTIONS, weightedLoss, type CoCoDiffOptions } from '../../trainer/cocodiff/index.ts';
import type { ClassEmbeddings } from '../../trainer/text/embeddings-file.ts';

const F = 16;
const K = 3;
const DIM = 10;
const N = 6;
const OPTIONS: CoCoDiffOptions = { ...DEFAULT_COCODIFF_OPTIONS, steps: 100, denoiserWidth: 24, denoiserBlocks: 2 };

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
  it('gradients reach every denoiser and text weight (fine + coarse) and the classifier (CE on x̂0), but not a detached backbone', () => {
    const branch = new DiffusionBranch(OPTIONS, F, text(1), 7);
    const classifier = new Dense('fc', F, K, new Rng(2));
    const { feature, labels } = batch(3);
    const vars = [...branch.trainableVariables(), ...classifier.variables()];
    const step = () =>
      tf.variableGrads(() => {
        const l = branch.losses(feature as tf.Tensor2D, labels, (f) => classifier.apply(f));
        return weightedLoss(l, branch.options);
      }, [...vars, feature]);
    // One step first: the blocks' zero-initialised output layers block the inner gradients at step 0.
    tf.train.sgd(0.1).applyGradients(Object.fromEntries(Object.entries(step().grads).filter(([n]) => n !== feature.name)));
    const { grads } = step();
    for (const v of vars) expect(norm(grads[v.name]), v.name).toBeGreaterThan(0);
    expect(norm(grads[feature.name])).toBe(0);
  });

  it('without detachTarget the backbone feature gets gradients too', () => {
    const branch = new DiffusionBranch({ ...OPTIONS, detachTarget: false }, F, text(1), 7);
    const { feature, labels } = batch(3);
    const { grads } = tf.variableGrads(() => branch.losses(feature as tf.Tensor2D, labels, (f) => f).fine, [feature]);
    expect(norm(grads[feature.name])).toBeGreaterThan(0);
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
    expect(noCoarse.trainableVariables().length).toBe(full.trainableVariables().length - 3); // proj weight, bias, logit scale
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
