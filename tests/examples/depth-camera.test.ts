/**
 * The depth-camera example run as its README says (a child process), with a fast camera: it prints
 * a live line per prediction and ends on the label the recognizer gives for the same frames.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SAMPLE_RECORDING } from '../../examples/browser/serve.ts';
import { RecordedCamera, runApp } from '../../examples/depth-camera/app.ts';
import { loadRecording, Recognizer } from 'cocodiff-runtime';
import { buildFixtureWasm } from '../runtime/fixture-wasm.ts';

let dir: string;
let wasmPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-camera-'));
  ({ wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 5, T: 32, M: 2, windowFrames: 48, sequenceCapacity: 300, modality: 'joint', centre: false, testCropRatio: 0.95 }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('shows live labels and ends on the label the recognizer computes', async () => {
  const { stdout } = await promisify(execFile)('npx', ['tsx', 'examples/depth-camera/app.ts', wasmPath, '--fps', '600'], { cwd: join(import.meta.dirname, '../..') });
  const lines = stdout.trim().split('\n');
  const seq = await loadRecording(SAMPLE_RECORDING);
  expect(lines[0]).toBe(`camera: ${seq.name}, ${seq.frames} frames at 600 fps`);
  const live = lines.filter((l) => /^\s*\d+\.\d+s\s+\d body\s+.+\d\.\d\d\s+\d+\.\d+ ms$/.test(l));
  expect(live.length).toBe(Math.floor(seq.frames / 8));

  const r = await Recognizer.load(wasmPath, { stride: 8, alpha: 0.6 });
  const per = seq.persons * seq.joints * seq.coords;
  let last = null;
  for (let f = 0; f < seq.frames; f++) last = r.push(seq.data.subarray(f * per, (f + 1) * per)) ?? last;
  expect(lines.at(-1)).toBe(`final: ${last!.action}`);
});

it('delivers Kinect-style bodies, tracked ones only, with camera timestamps', async () => {
  const seq = await loadRecording(SAMPLE_RECORDING);
  const frames = 12;
  const short = { ...seq, frames, persons: 2, data: new Float32Array(frames * 150) };
  short.data.set(seq.data.subarray(0, frames * 150));
  short.data.fill(0, 5 * 150, 6 * 150); // nobody at frame 5
  const seen: Array<{ t: number; bodies: number; joints: number; first: number[] }> = [];
  const camera = new RecordedCamera(short, 240);
  camera.onFrame((bodies, t) => seen.push({ t, bodies: bodies.length, joints: bodies[0]?.joints.length ?? 0, first: bodies[0] ? [bodies[0].joints[3].x, bodies[0].joints[3].y, bodies[0].joints[3].z] : [] }));
  await camera.start();
  expect(seen.map((s) => s.t)).toEqual(Array.from({ length: frames }, (_, f) => (f * 1000) / 240));
  expect(seen[5].bodies).toBe(0);
  expect(seen[0].joints).toBe(25);
  const m = seq.persons === 2 && seq.data.subarray(75, 150).some((x) => x !== 0) ? 2 : 1;
  expect(seen[0].bodies).toBe(m);
  expect(seen[0].first).toEqual(Array.from(seq.data.subarray(9, 12)));
  const out: string[] = [];
  const { predictions } = await runApp(wasmPath, short, { fps: 240, write: (line) => out.push(line) });
  expect(predictions).toBe(1);
  expect(out).toHaveLength(1);
});
