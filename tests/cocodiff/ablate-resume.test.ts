/**
 * `cocodiff ablate` through its command, and its promise that re-running the same command continues
 * an interrupted ablation: finished runs are kept, a run whose checkpoint exists is resumed rather
 * than retrained, and new seeds are added; the table's mean ± std is that of the runs' own metrics.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import * as ablate from '../../cli/commands/ablate.ts';
import type { AblationReport } from '../../trainer/cocodiff/ablation.ts';
import { writeSyntheticDataset } from '../../trainer/data/synth/index.ts';

let root: string;
let data: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cocodiff-ablate-'));
  data = join(root, 'synth');
  await writeSyntheticDataset(data, { perClass: 3, classes: 2, seed: 8 });
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

/** Runs `cocodiff ablate …`; returns its progress lines (stderr). */
async function cli(...args: string[]): Promise<string[]> {
  const program = new Command('cocodiff').exitOverride();
  ablate.register(program);
  const progress: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void progress.push(a.join(' ')));
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    await program.parseAsync(['node', 'cocodiff', 'ablate', '--data', data, '--preset', 'synth-quick', '--epochs', '1', '--batch', '4', '--backend', 'wasm', '--variants', '0', ...args]);
  } finally {
    err.mockRestore();
    log.mockRestore();
  }
  return progress;
}

it('continues an interrupted ablation: resumes a checkpointed run, keeps finished ones, adds seeds', async () => {
  const out = join(root, 'ablation');
  const report = (): AblationReport => JSON.parse(readFileSync(join(out, 'ablation.json'), 'utf8'));
  const run1 = join(out, 'baseline', 'seed-1');
  const metrics = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8');

  const first = await cli('--out', out, '--seeds', '1');
  expect(first.some((l) => l.startsWith('ablate: baseline, seed 1 →'))).toBe(true);
  const finished = report().runs;
  expect(finished.map((r) => [r.variant, r.seed])).toEqual([['baseline', 1]]);
  const metrics1 = metrics(run1);

  // Interrupted after the run's last checkpoint, before the report was written: the run is resumed
  // from its checkpoint (no epoch trained again) and reports what it reported the first time.
  rmSync(join(out, 'ablation.json'));
  const again = await cli('--out', out, '--seeds', '1');
  expect(again.some((l) => /^ablate: baseline, seed 1 \(resuming\)/.test(l))).toBe(true);
  expect(metrics(run1)).toBe(metrics1);
  const resumed = report().runs;
  expect(resumed.map(({ lastTop1, bestTop1 }) => ({ lastTop1, bestTop1 }))).toEqual(finished.map(({ lastTop1, bestTop1 }) => ({ lastTop1, bestTop1 })));

  // One more seed: seed 1 is neither retrained nor resumed, seed 2 is trained.
  const checkpointTime = statSync(join(run1, 'checkpoints', 'last', 'state.json')).mtimeMs;
  const more = await cli('--out', out, '--seeds', '2');
  expect(more.filter((l) => l.includes('seed 1'))).toEqual([]);
  expect(more.some((l) => l.startsWith('ablate: baseline, seed 2 →'))).toBe(true);
  expect(statSync(join(run1, 'checkpoints', 'last', 'state.json')).mtimeMs).toBe(checkpointTime);
  const runs = report().runs;
  expect(runs.map((r) => r.seed)).toEqual([1, 2]);
  expect(runs[0]).toEqual(resumed[0]);

  // The table: mean ± sample std of the last epoch's test top-1 read from each run's metrics.jsonl.
  const top1 = [1, 2].map((s) => 100 * (JSON.parse(metrics(join(out, 'baseline', `seed-${s}`)).trim().split('\n').at(-1)!) as { testTop1: number }).testTop1);
  const mean = (top1[0] + top1[1]) / 2;
  const std = Math.abs(top1[0] - top1[1]) / Math.SQRT2;
  expect(readFileSync(join(out, 'ablation.md'), 'utf8')).toContain(`| baseline | \`(none)\` | 2 | ${mean.toFixed(1)} ± ${std.toFixed(1)} |`);
}, 300_000);
