/**
 * A recording longer than the recognizer's sequence capacity with nobody in it: `run` printed
 * "internal error: classify_sequence returned status -3" (fixed in classify). The streaming paths
 * (`stream`, the depth-camera example) push frame by frame; they must go through it as well.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import { runApp } from '../../examples/depth-camera/app.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
import { runCli } from '../helpers/cli.ts';
import { buildFixtureWasm } from './fixture-wasm.ts';

let dir: string;
let wasmPath: string;
const FRAMES = 200; // over the capacity of 64 below
const empty = (): string => join(dir, 'nobody.npy');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-nobody-'));
  ({ wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 4, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 }));
  await writeFile(empty(), npyBytes('<f4', [FRAMES, 2, 25, 3], new Array<number>(FRAMES * 150).fill(0)));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('run names the empty recording (the fix on main)', async () => {
  await expect(runCli([run], 'run', wasmPath, '--input', empty())).rejects.toThrow('nobody: no valid frame');
});

it('stream pushes every frame and shows no action', async () => {
  const lines = await runCli([stream], 'stream', wasmPath, '--input', empty(), '--no-realtime', '--stride', '1');
  expect(lines).toHaveLength(FRAMES + 1);
  for (const l of lines.slice(0, -1)) expect(l).toContain('(no action)');
  expect(lines.at(-1)).toMatch(new RegExp(`^${FRAMES} frames pushed, 0 rejected`));
});

it('the depth-camera example shows no action for an empty room', async () => {
  const out: string[] = [];
  const seq = { layout: 'ntu25' as const, frames: FRAMES, persons: 2, joints: 25, coords: 3, data: new Float32Array(FRAMES * 150), name: 'nobody' };
  const r = await runApp(wasmPath, seq, { fps: 100_000, write: (s) => void out.push(s) });
  expect(r.last?.action ?? null).toBeNull();
});
