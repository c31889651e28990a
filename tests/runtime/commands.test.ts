/**
 * `cocodiff run` and `cocodiff stream`, driven in-process through commander (as cli/main.ts does):
 * the printed top classes and predictions are the recognizer's, and bad input gives a message
 * that names the file or line.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import { Recognizer } from 'cocodiff-runtime';
import { loadRecording } from 'cocodiff-runtime/node';
import { buildFixtureWasm } from './fixture-wasm.ts';
import { recording } from './synthetic-frames.ts';
import { runCli } from '../helpers/cli.ts';
import { npyBytes } from '../helpers/npy-zip.ts';

let dir: string;
let wasmPath: string;
const seq = recording({ layout: 'ntu25', frames: 50, persons: 2, seed: 9 });

const cli = (...args: string[]): Promise<string[]> => runCli([run, stream], ...args);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-cmd-'));
  ({ wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 6, T: 32, M: 2, windowFrames: 40, sequenceCapacity: 300, modality: 'joint', centre: false, testCropRatio: 0.95 }));
  await writeFile(join(dir, 'rec.npy'), npyBytes('<f4', [seq.frames, 2, 25, 3], seq.data));
  await writeFile(join(dir, 'bad.npy'), npyBytes('<f4', [50, 7], new Float32Array(50 * 7)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('run prints the top-5 of a recording', async () => {
  const lines = await cli('run', wasmPath, '--input', join(dir, 'rec.npy'));
  const want = (await Recognizer.load(wasmPath)).classify({ ...seq, name: 'rec' }).top;
  expect(lines[0]).toMatch(/rec\.npy: 50 frames, ntu25, 2 person slot\(s\); inference \d+\.\d\d ms$/);
  expect(lines.slice(1)).toEqual(want.map((c, i) => `  ${i + 1}. ${c.label.padEnd(32)} ${(100 * c.score).toFixed(2).padStart(6)} %`));
  await expect(cli('run', wasmPath, '--input', join(dir, 'bad.npy'))).rejects.toThrow(/bad\.npy: shape \[50,7\]: rows of 7 values are not persons × 25 joints × 3/);
  await expect(cli('run', wasmPath, '--input', join(dir, 'rec.txt'))).rejects.toThrow(/rec\.txt: unknown recording type/);
});

it('run reads .npy recordings in the [3,T,V,M] (with or without a leading 1) and [F,M·V·3] layouts as the same recording', async () => {
  const [F, M, V, C] = [seq.frames, 2, 25, 3];
  // CTR-GCN's per-sample tensor: channel-first, persons last.
  const ctvm = new Float32Array(seq.data.length);
  for (let f = 0; f < F; f++) for (let m = 0; m < M; m++) for (let v = 0; v < V; v++) for (let c = 0; c < C; c++) {
    ctvm[((c * F + f) * V + v) * M + m] = seq.data[((f * M + m) * V + v) * C + c];
  }
  await writeFile(join(dir, 'ctvm.npy'), npyBytes('<f4', [C, F, V, M], ctvm));
  await writeFile(join(dir, 'nctvm.npy'), npyBytes('<f4', [1, C, F, V, M], ctvm));
  // The rows of CTR-GCN's .npz: one row of persons × joints × xyz per frame (the same bytes as [F, M, V, 3]).
  await writeFile(join(dir, 'rows.npy'), npyBytes('<f4', [F, M * V * C], seq.data));
  const want = (await Recognizer.load(wasmPath)).classify({ ...seq, name: 'rec' }).top;
  const printed = want.map((c, i) => `  ${i + 1}. ${c.label.padEnd(32)} ${(100 * c.score).toFixed(2).padStart(6)} %`);
  expect(want[0].score).toBeLessThan(0.99); // the scores tell recordings apart
  for (const file of ['ctvm.npy', 'nctvm.npy', 'rows.npy']) {
    const lines = await cli('run', wasmPath, '--input', join(dir, file));
    expect(lines[0], file).toMatch(new RegExp(`${file.replace('.', '\\.')}: 50 frames, ntu25, 2 person slot\\(s\\)`));
    expect(lines.slice(1), file).toEqual(printed);
  }
  // A recording of other frames gives another answer: the comparison above can fail.
  const other = recording({ layout: 'ntu25', frames: 50, persons: 2, seed: 10 });
  await writeFile(join(dir, 'other.npy'), npyBytes('<f4', [F, M * V * C], other.data));
  expect((await cli('run', wasmPath, '--input', join(dir, 'other.npy'))).slice(1)).not.toEqual(printed);
});

it('refuses a .npy of shape [3, T, V, 3], which reads as [F, M, V, C] and as [C, T, V, M], naming both; with a leading 1 it is [C, T, V, M]', async () => {
  const [C, T, V, M] = [3, 50, 25, 3];
  const ctvm = Float32Array.from({ length: C * T * V * M }, (_, i) => Math.sin(i));
  await writeFile(join(dir, 'two-ways.npy'), npyBytes('<f4', [C, T, V, M], ctvm));
  await expect(cli('run', wasmPath, '--input', join(dir, 'two-ways.npy'))).rejects.toThrow(
    /two-ways\.npy: shape \[3,50,25,3\] reads two ways: \[F, M, V, C\] \(3 frames of 50 persons\) or \[C, T, V, M\] \(50 frames of 3 persons\); save it as \[1, 3, 50, 25, 3\]/);
  await writeFile(join(dir, 'one-way.npy'), npyBytes('<f4', [1, C, T, V, M], ctvm));
  const seq3 = await loadRecording(join(dir, 'one-way.npy'));
  expect([seq3.frames, seq3.persons, seq3.joints, seq3.coords]).toEqual([T, M, V, C]);
  // Frame 7, person 2, joint 4, coordinate 1: moved from its channel-first place.
  expect(seq3.data[((7 * M + 2) * V + 4) * C + 1]).toBe(ctvm[((1 * T + 7) * V + 4) * M + 2]);
});

it('stream replays a recording and prints a prediction every stride frames', async () => {
  const lines = await cli('stream', wasmPath, '--input', join(dir, 'rec.npy'), '--stride', '10', '--no-realtime');
  const predictions = lines.filter((l) => /^\s+\d+\.\d{3}s\s+frame\s+\d+\s/.test(l));
  expect(predictions.map((l) => Number(/frame\s+(\d+)/.exec(l)![1]))).toEqual([10, 20, 30, 40, 50]);
  expect(predictions[0]).toMatch(/^\s+0\.300s\s+frame\s+10\s+action \d.*infer \d+\.\d\d ms$/);
  expect(lines.at(-1)).toMatch(/^50 frames pushed, 0 rejected \(NaN, infinite, beyond ±1000000 or malformed\), memory \d+ KiB$/);
});

it('NDJSON frames: predictions at the frames\' timestamps; a bad frame names its line', async () => {
  const r = await Recognizer.load(wasmPath, { stride: 2 });
  const body = Array.from({ length: 25 }, (_, v) => [v / 10, 1, 2]);
  const frames = [`{"t": 0, "bodies": [${JSON.stringify(body)}]}`, '', `{"t": 100, "bodies": []}`, `[${JSON.stringify(body.flat())}]`];
  const shown: number[] = [];
  await stream.streamNdjson(r, (async function* () { yield* frames; })(), 'stdin', (p, s) => p && shown.push(s));
  expect(shown).toEqual([0.1]);
  expect(r.stats()).toMatchObject({ pushed: 3, validFrames: 2 });
  const bad = [frames[0], '{"bodies": [[1, 2, 3]]}'];
  await expect(stream.streamNdjson(r, (async function* () { yield* bad; })(), 'stdin', () => {}, { strict: true })).rejects.toThrow(/^stdin:2: body 0 \(ntu25, 25 joints\): 3 numbers, expected 25 joints × 3 coordinates = 75$/);
});
