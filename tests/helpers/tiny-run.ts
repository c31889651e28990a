/**
 * One tiny synthetic set and one tiny trained run, shared by the suites that need *some* data or
 * *some* trained model rather than a particular one. Each is built at most once per worker: test
 * files share their worker's modules (vitest.config.ts), so the promises below outlive a file.
 * They live under the folder tests/global-setup.ts made for this test run and removes after it.
 *
 * Suites read them and never change them: one that resumes, exports into or damages a run copies
 * it first.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { writeSyntheticDataset } from '../../trainer/data/synth/index.ts';
import type { TrainOptions } from '../../trainer/train/config.ts';
import { runTraining } from '../../trainer/train/train.ts';

/** The synthetic set: 5 classes, 6 recordings each. */
export const TINY_DATA = { classes: 5, perClass: 6, seed: 9 } as const;

/** How the run was trained: one epoch of a one-unit, eighth-width synth-quick model on 8 frames. */
export const TINY_TRAINING = {
  preset: 'synth-quick', width: 0.125, blocks: 1, frames: 8, batch: 4, epochs: 1, seed: 2, backend: 'wasm', quiet: true,
} as const satisfies Omit<TrainOptions, 'data' | 'out'>;

export interface TinyDataset {
  /** The cache directory. */
  data: string;
  classes: string[];
}

export interface TinyRun extends TinyDataset {
  /** The run directory (checkpoints/last, run.json, metrics). */
  run: string;
  /** The run's model artifact. */
  artifact: string;
}

let worker: Promise<string> | undefined;
let dataset: Promise<TinyDataset> | undefined;
let trained: Promise<TinyRun> | undefined;

/** This worker's folder under the test run's. */
const workerDir = (): Promise<string> => (worker ??= mkdtemp(join(inject('sharedFixtures'), 'worker-')));

export function tinyDataset(): Promise<TinyDataset> {
  return (dataset ??= (async () => {
    const data = join(await workerDir(), 'synth');
    const { classes } = await writeSyntheticDataset(data, TINY_DATA);
    return { data, classes };
  })());
}

export function tinyRun(): Promise<TinyRun> {
  return (trained ??= (async () => {
    const d = await tinyDataset();
    const run = join(await workerDir(), 'run');
    const { artifactDir } = await runTraining({ ...TINY_TRAINING, data: d.data, out: run });
    return { ...d, run, artifact: artifactDir };
  })());
}
