/**
 * A short real training run on a tiny synthetic cache: the loss falls, every run file appears, and
 * the artifact loads back into a model that computes bit-identical logits.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact } from '../../common/artifact.ts';
import { Rng } from '../../common/rng.ts';
import { readPredictions } from '../../trainer/train/predictions-file.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { writeSyntheticDataset } from '../../trainer/data/synth/index.ts';
import { CtrGcnModel } from '../../trainer/model/ctrgcn.ts';
import { readCheckpoint } from '../../trainer/train/run-state.ts';
import type { EpochMetrics } from '../../trainer/train/config.ts';
import { exportRun } from '../../trainer/train/export.ts';
import { runTraining, type TrainResult } from '../../trainer/train/train.ts';
import type { Tensor } from '../../common/artifact.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-train-'));
const data = join(root, 'synth');
const runDir = join(root, 'run');
let result: TrainResult;
const epochs: EpochMetrics[] = [];

beforeAll(async () => {
  await writeSyntheticDataset(data, { perClass: 8, classes: 5, seed: 5 });
  result = await runTraining({
    data, out: runDir, width: 0.125, blocks: 2, frames: 16, batch: 8, epochs: 6, lr: 0.3, seed: 1,
    backend: 'wasm', quiet: true, onEpoch: (m) => epochs.push(m),
  });
}, 240_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('a short synthetic training run', () => {
  it('lowers the training loss', () => {
    expect(epochs.map((m) => m.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    const first = epochs[0].loss;
    const lastTwo = Math.min(epochs[4].loss, epochs[5].loss);
    expect(lastTwo).toBeLessThan(0.8 * first);
    expect(epochs.every((m) => Number.isFinite(m.valLoss) && m.valTop1! >= 0 && m.valTop1! <= m.valTop5!)).toBe(true);
    expect(epochs.some((m) => 'testTop1' in m)).toBe(false); // the test split is not looked at per epoch
  });

  it('follows the CTR-GCN schedule: 5 linear warm-up epochs, then the base rate', () => {
    expect(epochs.map((m) => m.lr)).toEqual([0.06, 0.12, 0.18, 0.24, 0.3, 0.3].map((v) => expect.closeTo(v, 9)));
  });

  it('writes metrics.jsonl, curves.svg, confusion.svg/json; chooses the epoch on validation and scores the test split once', async () => {
    const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(epochs);
    const bestVal = Math.max(...epochs.map((m) => m.valTop1!));
    const lowestLoss = Math.min(...epochs.filter((m) => m.valTop1 === bestVal).map((m) => m.valLoss!));
    const chosen = epochs.find((m) => m.valTop1 === bestVal && m.valLoss === lowestLoss)!;
    expect(result.chosen.epoch).toBe(chosen.epoch);
    expect(result.chosen.reason).toMatch(/^highest validation top-1 of 6 epochs \(\d+\.\d %/);
    const saved = JSON.parse(await readFile(join(runDir, 'result.json'), 'utf8'));
    expect(saved.chosen).toEqual(result.chosen);
    expect(saved.test).toEqual(result.test);
    expect(saved.valSamples + saved.trainSamples).toBe((await readCache(data)).index.splits.train.samples.length);
    expect(saved.valSubjects.length).toBeGreaterThan(0);
    const curves = await readFile(join(runDir, 'curves.svg'), 'utf8');
    expect(curves).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect((curves.match(/<polyline /g) ?? []).length).toBe(5); // 3 loss series + 2 accuracy series
    const confusion = JSON.parse(await readFile(join(runDir, 'confusion.json'), 'utf8'));
    expect(confusion.top1).toBe(result.test.top1);
    expect(confusion.samples).toBe(result.test.samples);
    expect(confusion.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(confusion.samples);
    const svg = await readFile(join(runDir, 'confusion.svg'), 'utf8');
    for (const c of confusion.classes) expect(svg).toContain(`>${c}</text>`);
    // Each test sample's answer, in the split's order, for `cocodiff compare`: the same top-1 and top-5.
    const test = (await readCache(data)).index.splits.test.samples;
    const answers = (await readPredictions(runDir)).lines;
    expect(answers.map((r) => [r.sample, r.label])).toEqual(test.map((s) => [s.name, confusion.classes[s.label]]));
    expect(answers.filter((r) => r.top5[0] === r.label).length / test.length).toBe(result.test.top1);
    expect(answers.filter((r) => r.top5.includes(r.label)).length / test.length).toBe(result.test.top5);
  });

  it('writes an artifact of the best epoch that reloads to bit-identical logits, with no CoCoDiff or optimiser state', async () => {
    const artifact = await readArtifact(result.artifactDir);
    const best = await readCheckpoint<{ epoch: number }>(join(runDir, 'checkpoints', 'best'));
    expect(artifact.model.provenance.epoch).toBe(best.state.epoch);
    expect(best.state.epoch).toBe(result.chosen.epoch);
    expect(artifact.model.metrics.testTop1).toBe(result.test.top1);
    expect((artifact.model.provenance.selection as { reason: string }).reason).toBe(result.chosen.reason);
    // The streaming window is the median training recording, not the network's 16 frames.
    const lengths = (await readCache(data)).index.splits.train.samples.map((e) => e.frames).sort((a, b) => a - b);
    expect(lengths[0]).not.toBe(lengths[lengths.length - 1]);
    expect(artifact.model.preprocessing).toEqual({ windowFrames: lengths[lengths.length >> 1], testCropRatio: 0.95, centre: true, protocol: 'ntu' });

    const reference = CtrGcnModel.create({ backbone: artifact.model.backbone, input: artifact.model.input, layout: artifact.model.layout, numClasses: 5 }, 99);
    expect([...artifact.weights.keys()].sort()).toEqual([...reference.weightShapes().keys()].sort());
    reference.loadNamedWeights(best.groups.model as Map<string, Tensor>);
    const loaded = CtrGcnModel.fromArtifact(artifact);
    const rng = new Rng(7);
    const x = tf.tensor(Float32Array.from({ length: 2 * 3 * 16 * 25 * 2 }, () => rng.normal()), [2, 3, 16, 25, 2]);
    const logits = (m: CtrGcnModel) => tf.tidy(() => m.classify(m.features(x, false), false).dataSync());
    expect(Array.from(logits(loaded))).toEqual(Array.from(logits(reference)));
    tf.dispose(x);
    loaded.dispose();
    reference.dispose();
  });

  it('exports the last epoch on demand, and refuses what is not a run', async () => {
    const out = join(root, 'last-artifact');
    const m = await exportRun(runDir, out, 'last');
    expect(m.provenance.epoch).toBe(6);
    expect(m.metrics.valTop1).toBe(epochs[5].valTop1);
    if (result.chosen.epoch !== 6) expect(m.metrics.testTop1).toBeUndefined(); // the test split was scored on the chosen epoch only
    await expect(exportRun(join(root, 'nowhere'), join(root, 'x'))).rejects.toThrow(/not a training run/);
  });

  it('refuses to overwrite the run without --resume', async () => {
    await expect(runTraining({ data, out: runDir, epochs: 1, backend: 'wasm', quiet: true })).rejects.toThrow(/^out: .* already holds a training run; continue it with resume, or choose another out$/);
  });
});
