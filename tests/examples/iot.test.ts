/**
 * The IoT host (plain WebAssembly, no project code) gives the same classes and probabilities as
 * the host API on the same frames: the ABI alone is enough to use a recognizer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SAMPLE_RECORDING } from '../../examples/browser/serve.ts';
import { loadRecording, Recognizer } from 'cocodiff-runtime';
import { buildFixtureWasm } from '../runtime/fixture-wasm.ts';

let dir: string;
let wasmPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-iot-'));
  ({ wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 7, T: 32, M: 2, windowFrames: 40, sequenceCapacity: 64, modality: 'bone', centre: true, testCropRatio: 0.95 }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('prints the same top class and probability as Recognizer, frame for frame', async () => {
  const seq = await loadRecording(SAMPLE_RECORDING);
  const frames = seq.data.slice();
  frames[5 * 150 + 7] = Number.NaN; // one dropout: both must reject it
  await writeFile(join(dir, 'frames.f32'), new Uint8Array(frames.buffer));
  const { stdout } = await promisify(execFile)('node', [join(import.meta.dirname, '../../examples/iot/host.mjs'), wasmPath, join(dir, 'frames.f32'), '8']);
  const lines = stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^classes 7, frame 2x25x3, window 40 frames, memory \d+ bytes$/);
  expect(lines).toContain('frame 6: rejected');

  const r = await Recognizer.load(wasmPath, { stride: 1, alpha: 1 });
  const expected: string[] = [];
  for (let f = 0; f < seq.frames; f++) {
    const p = r.push(frames.subarray(f * 150, (f + 1) * 150));
    if (p && (f + 1) % 8 === 0) expected.push(`frame ${f + 1}: class ${p.top[0].index} p=${p.top[0].score.toFixed(4)}`);
  }
  expect(lines.filter((l) => /class \d+ p=/.test(l))).toEqual(expected);
  expect(expected.length).toBeGreaterThan(3);
});
