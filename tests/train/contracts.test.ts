/**
 * `train` refuses what would only fail later or silently do something else: a frame count the
 * model's temporal strides do not divide (else `compile` fails), absurd frame counts, and
 * `--resume` flags that contradict the run (they used to be ignored without a word).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as train from '../../cli/commands/train.ts';
import { errorMessage } from '../../cli/error-message.ts';
import { readCheckpoint } from '../../trainer/train/run-state.ts';
import type { TrainState } from '../../trainer/train/session.ts';
import { runTraining } from '../../trainer/train/train.ts';
import { TINY_TRAINING, tinyRun } from '../helpers/tiny-run.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-contracts-'));
let data: string;
// A copy of the shared run: the last test extends it.
const run = join(root, 'run');
beforeAll(async () => {
  const tiny = await tinyRun();
  data = tiny.data;
  await cp(tiny.run, run, { recursive: true });
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

/** Runs `cocodiff train ARGS`; a failure throws the line the CLI prints (library options named as flags). */
async function cli(...args: string[]): Promise<void> {
  const program = new Command('cocodiff').exitOverride();
  train.register(program);
  const quiet = [vi.spyOn(console, 'log').mockImplementation(() => {}), vi.spyOn(console, 'error').mockImplementation(() => {})];
  try {
    await program.parseAsync(['node', 'cocodiff', 'train', ...args]);
  } catch (err) {
    throw new Error(errorMessage(err, program));
  } finally {
    for (const q of quiet) q.mockRestore();
  }
}

describe('train contracts', () => {
  it('refuses a frame count the temporal strides do not divide, and absurd ones, before training', async () => {
    // synth-quick with 3 units has two stride-2 units: T must be a multiple of 4.
    await expect(cli('--data', data, '--out', join(root, 'r30'), '--preset', 'synth-quick', '--frames', '30', '--backend', 'wasm', '--quiet'))
      .rejects.toThrow('--frames: 30 frames do not divide by the model\'s total temporal stride 4 (units with stride 2: 2); use a multiple of 4, e.g. 28 or 32');
    await expect(cli('--data', data, '--out', join(root, 'rbig'), '--frames', '100000', '--backend', 'wasm', '--quiet'))
      .rejects.toThrow('--frames: expected an integer in 1..1024, found "100000"');
  });

  it.each([
    [['--batch', '3'], `--batch 3 (the run has ${TINY_TRAINING.batch})`],
    // synth-quick's base rate at batch 4.
    [['--lr', '0.5'], '--lr 0.5 (the run has 0.025)'],
    [['--width', '1'], `--width 1 (the run has ${TINY_TRAINING.width})`],
    [['--frames', '16'], `--frames 16 (the run has ${TINY_TRAINING.frames})`],
    [['--seed', '9'], `--seed 9 (the run has ${TINY_TRAINING.seed})`],
    [['--cocodiff'], '--cocodiff (and its options)'],
    // The run was augmented: training on the test transform would be another run.
    [['--no-augment'], '--no-augment false (the run has true)'],
    [['--data', '/elsewhere'], '--data /elsewhere (the run trains on'],
  ])('--resume refuses %j, which contradicts the run, and leaves it as it was', async (flags, named) => {
    const before = await readCheckpoint<TrainState>(join(run, 'checkpoints', 'last'));
    const message = await cli('--resume', run, '--epochs', '2', '--backend', 'wasm', '--quiet', ...flags).then(() => 'trained', (e: Error) => e.message);
    expect(message).toContain(`--resume: ${run} continues the run as it was configured; these options differ from it: ${named}`);
    expect(message).toContain('Only --epochs, --backend, --threads and --quiet may change');
    expect((await readCheckpoint<TrainState>(join(run, 'checkpoints', 'last'))).state).toEqual(before.state);
  });

  it('the library names the options as its API spells them', async () => {
    const message = await runTraining({ data: '', out: run, resume: true, batch: 3, backend: 'wasm', quiet: true }).then(() => 'trained', (e: Error) => e.message);
    expect(message).toBe(`resume: ${run} continues the run as it was configured; these options differ from it: batch 3 (the run has 4). Only epochs, backend, threads and quiet may change; start a new run (out) to change the others`);
  });

  it('--resume accepts the run\'s own values and extends it with --epochs', async () => {
    await cli('--resume', run, '--epochs', '2', '--batch', String(TINY_TRAINING.batch), '--frames', String(TINY_TRAINING.frames), '--backend', 'wasm', '--quiet');
    expect((await readCheckpoint<TrainState>(join(run, 'checkpoints', 'last'))).state.epoch).toBe(2);
  });
});
