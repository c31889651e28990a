/**
 * Resume equals an uninterrupted run (bit-identical weights, momentum, RNG and metrics on the same
 * backend, CoCoDiff branch included); a non-finite loss stops the run and keeps the last good checkpoint.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact } from '../../common/artifact.ts';
import { DEFAULT_COCODIFF_OPTIONS } from '../../trainer/cocodiff/types.ts';
import { CtrGcnModel } from '../../trainer/model/ctrgcn.ts';
import { readCheckpoint } from '../../trainer/train/run-state.ts';
import type { TrainOptions } from '../../trainer/train/config.ts';
import type { TrainState } from '../../trainer/train/session.ts';
import { runTraining } from '../../trainer/train/train.ts';
import { tinyDataset } from '../helpers/tiny-run.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-resume-'));
let data: string;
beforeAll(async () => void ({ data } = await tinyDataset()), 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

// Diffusion without text needs no text encoder: the branch's weights, momentum and noise generator
// still have to survive the resume.
const base = (out: string): TrainOptions => ({
  data, out, preset: 'synth-quick', width: 0.125, blocks: 1, frames: 8, batch: 8, epochs: 2, seed: 3, backend: 'wasm', quiet: true,
  cocodiff: { ...DEFAULT_COCODIFF_OPTIONS, fineText: false, coarseText: false, denoiserWidth: 16, denoiserBlocks: 1, steps: 50, genT: [5, 30] },
});

describe('resume', () => {
  it('continues from the last checkpoint to exactly what an uninterrupted run computes', async () => {
    const straight = join(root, 'straight');
    const split = join(root, 'split');
    await runTraining(base(straight));

    const stop = new AbortController();
    await expect(runTraining({ ...base(split), signal: stop.signal, onEpoch: () => stop.abort() })).rejects.toThrow(/: interrupted at epoch 2 step 1; the run keeps its last checkpoint \(after epoch 1\), from which resuming it continues$/);
    const half = await readCheckpoint<TrainState>(join(split, 'checkpoints', 'last'));
    expect(half.state.epoch).toBe(1);
    await runTraining({ data: '', out: split, resume: true, backend: 'wasm', quiet: true });

    const a = await readCheckpoint<TrainState>(join(straight, 'checkpoints', 'last'));
    const b = await readCheckpoint<TrainState>(join(split, 'checkpoints', 'last'));
    expect(b.state.epoch).toBe(2);
    expect(b.state.rng).toEqual(a.state.rng);
    const noTime = (h: TrainState['history']) => h.map(({ seconds: _, msPerStep: __, ...m }) => m);
    expect(noTime(b.state.history)).toEqual(noTime(a.state.history));
    expect(Object.keys(b.groups).sort()).toEqual(['branch', 'branchOptimizer', 'model', 'optimizer']);
    expect(b.groups.branch.size).toBeGreaterThan(0);
    for (const group of ['model', 'optimizer', 'branch', 'branchOptimizer']) {
      expect([...b.groups[group].keys()]).toEqual([...a.groups[group].keys()]);
      for (const [name, t] of a.groups[group]) {
        const u = b.groups[group].get(name)!;
        expect(new Uint8Array(u.data.buffer), `${group}/${name}`).toEqual(new Uint8Array(t.data.buffer));
      }
    }
  }, 240_000);

  it('keeps CoCoDiff out of the artifact: only the backbone and classifier weights', async () => {
    const artifact = await readArtifact(join(root, 'straight', 'artifact'));
    const plain = CtrGcnModel.create({ backbone: artifact.model.backbone, input: artifact.model.input, layout: artifact.model.layout, numClasses: artifact.model.classes.length }, 1);
    expect([...artifact.weights.keys()].sort()).toEqual([...plain.weightShapes().keys()].sort());
    plain.dispose();
  });

  it('refuses to resume a directory without a checkpoint', async () => {
    await expect(runTraining({ data, out: join(root, 'empty'), resume: true, backend: 'wasm', quiet: true })).rejects.toThrow(/nothing to resume/);
  });
});

describe('non-finite loss', () => {
  it('stops with the epoch and step, keeping the last good checkpoint', async () => {
    const out = join(root, 'explode');
    const run = runTraining({ data, out, width: 0.125, blocks: 1, frames: 8, batch: 8, epochs: 2, lr: 1e30, seed: 3, backend: 'wasm', quiet: true });
    await expect(run).rejects.toThrow(/^non-finite loss at epoch 1 step \d+; last good checkpoint kept at .*checkpoints\/last \(after epoch 0\)$/);
    const ck = await readCheckpoint<TrainState>(join(out, 'checkpoints', 'last'));
    expect(ck.state.epoch).toBe(0);
    for (const t of ck.groups.model.values()) expect(t.data.every(Number.isFinite)).toBe(true);
  }, 120_000);
});
