/**
 * `run` and `stream` refuse bad flags and empty recordings with a message naming them, instead of
 * falling back to a default (`--top abc` printed the top-5) or waiting forever (`--fps 1e-300`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
import { buildFixtureWasm } from './fixture-wasm.ts';
import { runCli } from '../helpers/cli.ts';

let dir: string;
let wasmPath: string;

const cli = (...args: string[]): Promise<string[]> => runCli([run, stream], ...args);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-cli-refuse-'));
  ({ wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 6, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 100, modality: 'joint', centre: false, testCropRatio: 0.95 }));
  await writeFile(join(dir, 'rec.npy'), npyBytes('<f4', [12, 2, 25, 3], Array.from({ length: 12 * 150 }, (_, i) => Math.sin(i))));
  await writeFile(join(dir, 'empty.npy'), npyBytes('<f4', [0, 2, 25, 3], []));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it.each(['abc', '0', '-3', 'NaN', '2.5'])('run --top %s is refused, naming the flag', async (k) => {
  await expect(cli('run', wasmPath, '--input', join(dir, 'rec.npy'), '--top', k)).rejects.toThrow(`--top: expected a positive integer, found "${k}"`);
});

it('run --top 2 prints two classes', async () => {
  const lines = await cli('run', wasmPath, '--input', join(dir, 'rec.npy'), '--top', '2');
  expect(lines.slice(1)).toHaveLength(2);
});

it.each(['1e-300', '0', '-5', 'abc', '1e9'])('stream --fps %s is refused', async (fps) => {
  await expect(cli('stream', wasmPath, '--input', join(dir, 'rec.npy'), '--fps', fps)).rejects.toThrow(`--fps: expected a number of frames per second in 0.1..1000, found "${fps}"`);
});

it('a .npy recording with no frame is refused by run and stream', async () => {
  const empty = join(dir, 'empty.npy');
  for (const args of [['run'], ['stream', '--no-realtime']]) {
    await expect(cli(...args, wasmPath, '--input', empty)).rejects.toThrow(`${empty}: holds 0 frames of 2 persons; a recording needs at least one of each`);
  }
});

it('a directory or a missing file where the recording belongs is named, not a raw EISDIR', async () => {
  const { mkdir } = await import('node:fs/promises');
  for (const [name, what] of [['dir.npy', 'the .npy array'], ['dir.skeleton', 'the NTU .skeleton file'], ['dir.json', 'the Kinetics-Skeleton JSON']]) {
    await mkdir(join(dir, name));
    await expect(cli('run', wasmPath, '--input', join(dir, name))).rejects.toThrow(`${join(dir, name)}: cannot read ${what} (a directory, not a file)`);
  }
  await expect(cli('run', wasmPath, '--input', join(dir, 'missing.npy'))).rejects.toThrow(`${join(dir, 'missing.npy')}: cannot read the .npy array (no such file or directory)`);
});

it.each([
  ['--stride', '0', '--stride: expected a positive integer, found "0"'],
  ['--alpha', '2', '--alpha: expected a number in (0, 1], found "2"'],
  ['--threshold', 'abc', '--threshold: expected a number in [0, 1], found "abc"'],
])('stream %s %s is refused, naming the flag', async (flag, value, message) => {
  await expect(cli('stream', wasmPath, '--input', join(dir, 'rec.npy'), '--no-realtime', flag, value)).rejects.toThrow(message);
});
