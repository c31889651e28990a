/**
 * The in-wasm test-time preprocessing must equal the trainer's preprocess() to 1e-5, for every
 * modality, 3D and 2D layouts, with and without centring, both protocols (ntu, ucla), through both `classify_sequence` and the
 * streaming ring (`push_frame` + `infer`), including the awkward cases cameras produce.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { preprocess } from '../../trainer/data/preprocess.ts';
import { Recognizer } from 'cocodiff-runtime';
import { buildFixtureWasm, fixtureWeights, type FixtureConfig } from './fixture-wasm.ts';
import { recording, sliceFrames } from './synthetic-frames.ts';

const CONFIGS: Array<FixtureConfig & { id: string }> = [
  { id: 'ntu25 bone-motion', layout: 'ntu25', classes: 6, T: 32, M: 2, windowFrames: 48, sequenceCapacity: 200, modality: 'bone-motion', centre: true, testCropRatio: 0.95 },
  { id: 'ntu25 joint', layout: 'ntu25', classes: 4, T: 16, M: 2, windowFrames: 40, sequenceCapacity: 120, modality: 'joint', centre: true, testCropRatio: 0.9 },
  { id: 'openpose18 bone', layout: 'openpose18', classes: 5, T: 24, M: 1, windowFrames: 30, sequenceCapacity: 150, modality: 'bone', centre: true, testCropRatio: 0.95 },
  { id: 'coco17 joint-motion, no centring', layout: 'coco17', classes: 3, T: 20, M: 2, windowFrames: 24, sequenceCapacity: 100, modality: 'joint-motion', centre: false, testCropRatio: 1 },
  // The authors' NW-UCLA test transform: min–max over the window, frames at numpy's linspace.
  { id: 'ntu25 joint, ucla protocol', layout: 'ntu25', classes: 4, T: 20, M: 2, windowFrames: 36, sequenceCapacity: 120, modality: 'joint', centre: true, testCropRatio: 0.95, protocol: 'ucla' },
  { id: 'openpose18 bone-motion, ucla protocol, no centring', layout: 'openpose18', classes: 5, T: 52, M: 1, windowFrames: 40, sequenceCapacity: 150, modality: 'bone-motion', centre: false, testCropRatio: 1, protocol: 'ucla' },
];

let dir: string;
const recognizers = new Map<string, Recognizer>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-rt-'));
  for (const cfg of CONFIGS) {
    const { wasmPath } = await buildFixtureWasm(join(dir, cfg.id.replace(/\W+/g, '-')), cfg);
    recognizers.set(cfg.id, await Recognizer.load(wasmPath));
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function reference(seq: Sequence, cfg: FixtureConfig): Float32Array {
  return preprocess(seq, { frames: cfg.T, persons: cfg.M, modality: cfg.modality, layout: LAYOUTS[cfg.layout], train: false, cropRatio: cfg.testCropRatio, centre: cfg.centre, protocol: cfg.protocol });
}

/** The stand-in network's probabilities computed in JS from an input. */
function referenceProbs(x: Float32Array, cfg: FixtureConfig): number[] {
  const C = 3;
  const { W, b } = fixtureWeights(cfg.classes, C);
  const per = x.length / C;
  const means = Array.from({ length: C }, (_, c) => x.subarray(c * per, (c + 1) * per).reduce((s, v) => s + v, 0) / per);
  const z = Array.from(b, (bk, k) => bk + means.reduce((s, m, c) => s + W[k * C + c] * m, 0));
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / sum);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe.each(CONFIGS)('$id', (cfg) => {
  const cases = [
    { name: 'long, two persons', frames: 95, persons: 2, seed: 1 },
    { name: 'more persons than the model', frames: 40, persons: 3, seed: 2 },
    ...(cfg.M > 1 ? [
      { name: 'person 0 never present', frames: 60, persons: 2, seed: 3, noPerson0: true },
      // The origin is person 0's centre where person 0 first appears, not that of person 1 who came first.
      { name: 'person 0 enters after person 1', frames: 60, persons: 2, seed: 8, enter: [0.5, 0] as [number, number] },
    ] : []),
    { name: 'fewer valid frames than T', frames: 7, persons: 1, seed: 4 },
    { name: 'a single frame', frames: 1, persons: 1, seed: 5 },
  ];

  it.each(cases)('classify: $name', (c) => {
    const r = recognizers.get(cfg.id)!;
    const seq = recording({ layout: cfg.layout, ...c });
    if (c.frames === 1) seq.data.fill(0.5);
    const want = reference(seq, cfg);
    const got = r.classify(seq);
    expect(maxAbsDiff(r.lastInput(), want)).toBeLessThan(1e-5);
    expect(maxAbsDiff(got.probs, referenceProbs(want, cfg))).toBeLessThan(1e-5);
  });

  it('classify: frames without a person do not count against the capacity; too many valid ones are refused', () => {
    const r = recognizers.get(cfg.id)!;
    const seq = recording({ layout: cfg.layout, frames: cfg.sequenceCapacity - 10, persons: cfg.M, seed: 6 });
    const per = seq.persons * seq.joints * seq.coords;
    const padded = new Float32Array(seq.data.length + 40 * per);
    padded.set(seq.data, 20 * per); // 20 empty frames before, 20 after
    r.classify({ ...seq, frames: seq.frames + 40, data: padded });
    expect(maxAbsDiff(r.lastInput(), reference(seq, cfg))).toBeLessThan(1e-5);
    const long = recording({ layout: cfg.layout, frames: cfg.sequenceCapacity * 2, persons: cfg.M, seed: 7 });
    expect(() => r.classify(long)).toThrow(new RegExp(`takes at most ${cfg.sequenceCapacity}`));
  });

  it('streaming: the ring holds the last window; NaN frames are skipped and counted', () => {
    const r = recognizers.get(cfg.id)!;
    r.reset();
    const seq = recording({ layout: cfg.layout, frames: cfg.windowFrames * 2 + 5, persons: cfg.M, seed: 11 });
    const per = seq.persons * seq.joints * seq.coords;
    let rejected = 0;
    for (let f = 0; f < seq.frames; f++) {
      if (f % 9 === 4) {
        const bad = seq.data.slice(f * per, (f + 1) * per);
        bad[f % per] = f % 2 ? Number.NaN : Number.POSITIVE_INFINITY;
        expect(r.push(bad)).toBeNull();
        rejected++;
      }
      r.push(seq.data.subarray(f * per, (f + 1) * per));
    }
    expect(r.stats().rejected).toBe(rejected);
    expect(r.stats().pushed).toBe(seq.frames + rejected);
    const p = r.predict();
    const want = reference(sliceFrames(seq, seq.frames - cfg.windowFrames, seq.frames), cfg);
    expect(maxAbsDiff(r.lastInput(), want)).toBeLessThan(1e-5);
    expect(p.validFrames).toBe(countValid(sliceFrames(seq, seq.frames - cfg.windowFrames, seq.frames), cfg.M));
  });
});

function countValid(seq: Sequence, M: number): number {
  const person = seq.joints * seq.coords;
  let n = 0;
  for (let f = 0; f < seq.frames; f++) {
    const at = f * seq.persons * person;
    if (seq.data.subarray(at, at + Math.min(M, seq.persons) * person).some((x) => x !== 0)) n++;
  }
  return n;
}

describe('empty windows', () => {
  it('a window of frames with nobody predicts no action instead of failing', () => {
    const r = recognizers.get(CONFIGS[0].id)!;
    r.reset();
    r.configure({ stride: 4 });
    let last = null;
    for (let i = 0; i < 4; i++) last = r.push(new Float32Array(r.info.persons * r.info.joints * r.info.coords));
    expect(last).not.toBeNull();
    expect(last!.action).toBeNull();
    expect(last!.validFrames).toBe(0);
    expect(() => r.classify({ layout: 'ntu25', frames: 3, persons: 2, joints: 25, coords: 3, data: new Float32Array(450) })).toThrow(/no valid frame/);
  });
});
