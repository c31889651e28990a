/**
 * The streaming ring buffer against an oracle that keeps no state: after every push, the module's
 * window must be exactly the last W accepted frames, so its valid-frame count and the network input
 * it builds must equal those of the trainer's preprocess() run on that slice of the recording, and
 * a fresh recognizer fed only that slice must answer the same. People enter and leave mid-window,
 * frames with nobody and NaN frames come and go, and the ring wraps several times.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import { Rng } from '../../common/rng.ts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { preprocess } from '../../trainer/data/preprocess.ts';
import { Recognizer } from 'cocodiff-runtime';
import { buildFixtureWasm, type FixtureConfig } from './fixture-wasm.ts';
import { sliceFrames } from './synthetic-frames.ts';

const CFG: FixtureConfig = { layout: 'ntu25', classes: 3, T: 6, M: 2, windowFrames: 7, sequenceCapacity: 16, modality: 'joint', centre: true, testCropRatio: 1 };
const PER = 2 * 25 * 3;
let dir: string;
let wasmPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-ring-'));
  ({ wasmPath } = await buildFixtureWasm(dir, CFG));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * 40 frames: person 0 present in frames 3-25 and 31-39, person 1 in 10-17 and 33-35, every frame
 * distinct; frames 0-2 and 26-30 hold nobody (long enough for the window to empty out entirely).
 */
function scene(): Sequence {
  const rng = new Rng(17);
  const frames = 40;
  const data = new Float32Array(frames * PER);
  const present = (f: number, m: number) => (m === 0 ? (f >= 3 && f <= 25) || f >= 31 : (f >= 10 && f <= 17) || (f >= 33 && f <= 35));
  for (let f = 0; f < frames; f++) {
    for (let m = 0; m < 2; m++) {
      if (!present(f, m)) continue;
      for (let i = 0; i < 75; i++) data[f * PER + m * 75 + i] = (i % 3 === 1 ? 1 : 0) + m + 0.1 * f + rng.normal() * 0.2;
    }
  }
  return { layout: 'ntu25', frames, persons: 2, joints: 25, coords: 3, data, name: 'scene' };
}

const validCount = (seq: Sequence) => Array.from({ length: seq.frames }, (_, f) => seq.data.subarray(f * PER, (f + 1) * PER).some((x) => x !== 0)).filter(Boolean).length;

it('after every push the window is the last W frames: same valid count, same input as preprocess() on that slice', async () => {
  const seq = scene();
  const r = await Recognizer.load(wasmPath, { stride: 1, alpha: 1 });
  const W = CFG.windowFrames;
  const opts = { frames: CFG.T, persons: CFG.M, modality: CFG.modality, layout: LAYOUTS.ntu25, train: false, cropRatio: 1, centre: true };
  for (let f = 0; f < seq.frames; f++) {
    if (f % 11 === 5) {
      const bad = seq.data.slice(f * PER, (f + 1) * PER);
      bad[7] = Number.NaN;
      expect(r.push(bad), `NaN frame before ${f}`).toBeNull(); // rejected: must not enter the ring
    }
    const p = r.push(seq.data.subarray(f * PER, (f + 1) * PER))!;
    const window = sliceFrames(seq, Math.max(0, f + 1 - W), f + 1);
    const valid = validCount(window);
    expect(p.validFrames, `valid frames after frame ${f}`).toBe(valid);
    expect(r.stats().validFrames).toBe(valid);
    if (valid === 0) {
      expect(p.action, `frame ${f}: nobody in the window`).toBeNull();
      continue;
    }
    const want = preprocess(window, opts);
    const got = r.lastInput();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst, `input after frame ${f}`).toBeLessThan(1e-5);
    // A fresh recognizer that only ever saw this window answers the same, bit for bit.
    const fresh = await Recognizer.load(wasmPath, { stride: 1, alpha: 1 });
    expect(Array.from(fresh.classify(window).probs), `fresh instance after frame ${f}`).toEqual(Array.from(p.probs));
  }
});

it('reset() empties the ring and the counters; the next window starts from scratch', async () => {
  const seq = scene();
  const r = await Recognizer.load(wasmPath, { stride: 1, alpha: 1 });
  for (let f = 0; f < 20; f++) r.push(seq.data.subarray(f * PER, (f + 1) * PER));
  r.reset();
  expect(r.stats()).toMatchObject({ pushed: 0, rejected: 0, validFrames: 0 });
  const p = r.push(seq.data.subarray(12 * PER, 13 * PER))!;
  expect(p.validFrames).toBe(1);
  const fresh = await Recognizer.load(wasmPath, { stride: 1, alpha: 1 });
  expect(Array.from(p.probs)).toEqual(Array.from(fresh.push(seq.data.subarray(12 * PER, 13 * PER))!.probs));
});
