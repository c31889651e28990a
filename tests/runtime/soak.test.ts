/**
 * Soak: 100,000 camera frames through one recognizer, with the faults cameras produce mixed in
 * (NaN and infinite coordinates, frames with nobody, a person leaving and coming back). Memory must
 * not grow, every prediction must be finite, nothing may throw. Timings are printed, not asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { Recognizer } from 'cocodiff-runtime';
import { buildFixtureWasm } from './fixture-wasm.ts';

const FRAMES = 100_000;
let dir: string;
let recognizer: Recognizer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-soak-'));
  const { wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 8, T: 32, M: 2, windowFrames: 64, sequenceCapacity: 64, modality: 'bone-motion', centre: true, testCropRatio: 0.95 });
  recognizer = await Recognizer.load(wasmPath, { stride: 8, alpha: 0.5 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it(`stays flat and finite over ${FRAMES.toLocaleString('en-US')} frames with bad ones mixed in`, () => {
  const rng = new Rng(7);
  const { persons: M, joints: V, coords: C } = recognizer.info;
  const frame = new Float32Array(M * V * C);
  const memoryBefore = recognizer.stats().memoryBytes;
  let bad = 0;
  let predictions = 0;
  let nonFinite = 0;
  let noAction = 0;
  const start = performance.now();
  for (let f = 0; f < FRAMES; f++) {
    const u = rng.next();
    for (let i = 0; i < frame.length; i++) frame[i] = Math.sin(0.05 * f + i) + 0.1 * rng.normal();
    if (Math.floor(f / 500) % 7 === 3) frame.fill(0, V * C); // person 1 leaves for a while
    if (f % 20_000 < 200) frame.fill(0); // a long gap: windows with nobody at all
    else if (u < 0.01) frame.fill(0); // nobody in view
    else if (u < 0.02) {
      frame[rng.int(frame.length)] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][rng.int(3)];
      bad++;
    }
    const p = recognizer.push(frame);
    if (!p) continue;
    predictions++;
    if (p.action === null) noAction++;
    if (!p.probs.every(Number.isFinite) || !Number.isFinite(p.latencyMs)) nonFinite++;
  }
  const seconds = (performance.now() - start) / 1000;
  const s = recognizer.stats();
  console.log(`soak: ${FRAMES} frames (${bad} NaN/inf) in ${seconds.toFixed(2)} s = ${(FRAMES / seconds).toFixed(0)} frames/s; ${predictions} predictions, ${noAction} with nobody in view; memory ${s.memoryBytes} bytes`);
  expect(s.memoryBytes).toBe(memoryBefore);
  expect(s.pushed).toBe(FRAMES);
  expect(s.rejected).toBe(bad);
  expect(nonFinite).toBe(0);
  expect(predictions).toBe(Math.floor((FRAMES - bad) / 8));
  expect(noAction).toBeGreaterThan(0);
  expect(noAction).toBeLessThan(predictions / 10);
});
