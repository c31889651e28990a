/**
 * `cocodiff ablate` through its command, and its promise that a half-finished run resumes from its
 * last checkpoint: an ablation whose run was interrupted after its first epoch, re-run with the same
 * command, resumes that run and ends with exactly what an uninterrupted ablation reports.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import * as ablate from '../../cli/commands/ablate.ts';
import type { AblationReport } from '../../trainer/cocodiff/ablation.ts';
import { writeSyntheticDataset } from '../../trainer/data/synth/index.ts';
import { runTraining } from '../../trainer/train/train.ts';

let root: string;
let data: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cocodiff-ablate-'));
  data = join(root, 'synth');
  await writeSyntheticDataset(data, { perClass: 9, classes: 3, seed: 3 });
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

const SETTINGS = { epochs: 2, batch: 3, width: 0.125, blocks: 1, frames: 8, trainPerClass: 2 };

/** Runs `cocodiff ablate …` (baseline, seed 1); returns its progress lines (stderr). */
async function cli(out: string): Promise<string[]> {
  const program = new Command('cocodiff').exitOverride();
  ablate.register(program);
  const progress: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void progress.push(a.join(' ')));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await program.parseAsync(['node', 'cocodiff', 'ablate', '--data', data, '--out', out, '--variants', 'baseline', '--seeds', '1', '--backend', 'wasm',
      ...Object.entries(SETTINGS).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(v)])]);
  } finally {
    err.mockRestore();
    log.mockRestore();
  }
  return progress;
}

it('re-running the command resumes a half-finished run from its checkpoint and reports what an uninterrupted ablation reports', async () => {
  const straight = join(root, 'straight');
  const split = join(root, 'split');
  await cli(straight);

  // The same run, stopped after its first epoch (as Ctrl-C would), in the second ablation's directory.
  const stop = new AbortController();
  await expect(runTraining({
    data, out: join(split, 'baseline', 'seed-1'), ...SETTINGS, seed: 1, subsetSeed: 1, backend: 'wasm', quiet: true,
    signal: stop.signal, onEpoch: () => stop.abort(),
  })).rejects.toThrow(/interrupted/);
  const progress = await cli(split);
  expect(progress).toContain('ablate: 0 of 1 runs already finished');
  expect(progress.some((l) => /^ablate: baseline, seed 1 \(resuming\) → /.test(l))).toBe(true);

  const report = (dir: string): AblationReport => JSON.parse(readFileSync(join(dir, 'ablation.json'), 'utf8'));
  const noTime = (r: AblationReport) => r.runs.map(({ wallSeconds: _, msPerStep: __, runDir: ___, ...rest }) => rest);
  expect(noTime(report(split))).toEqual(noTime(report(straight)));
  const epochs = (dir: string) => readFileSync(join(dir, 'baseline', 'seed-1', 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => { const { seconds: _, msPerStep: __, ...m } = JSON.parse(l); return m; });
  expect(epochs(split)).toHaveLength(2);
  expect(epochs(split)).toEqual(epochs(straight));
}, 300_000);
