/**
 * The authors' NW-UCLA protocol (trainer/data/preprocess-ucla.ts): the view matrix in their product
 * order, min–max normalisation, numpy's linspace frame indices, the training draw, and the whole
 * `protocol: 'ucla'` pipeline's invariances.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KINECT20, NTU25, OPENPOSE18, type JointLayout } from 'cocodiff-runtime/shared/layouts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { Rng } from '../../common/rng.ts';
import { centre, preprocess, validFrames, type Clip, type PreprocessOptions } from '../../trainer/data/preprocess.ts';
import {
  applyViewMatrix, drawUclaView, minMaxNormalise, uclaTestFrames, uclaTrainFrames, uclaViewMatrix, UCLA_FRAME_COPIES,
} from '../../trainer/data/preprocess-ucla.ts';

/** A random walk of `persons` skeletons (seeded), values in metres around 1. */
function walk(frames: number, persons: number, layout: JointLayout, seed: number): Sequence {
  const rng = new Rng(seed);
  const V = layout.joints.length;
  const data = new Float32Array(frames * persons * V * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.fround(1 + rng.normal() * 0.3);
  return { layout: layout.name, frames, persons, joints: V, coords: 3, data, name: 'walk' };
}

function clipOf(values: number[][], persons = 1, present?: number[]): Clip {
  // values[t] = the x y z of one joint of each person, concatenated
  const frames = values.length;
  const data = Float32Array.from(values.flat());
  return { frames, persons, joints: 1, coords: 3, data, present: Uint8Array.from(present ?? new Array(frames * persons).fill(1)) };
}

const rowTimes = (x: number[], a: number[]): number[] => [0, 1, 2].map((j) => x[0] * a[j] + x[1] * a[3 + j] + x[2] * a[6 + j]);
const close = (a: number[], b: number[]): void => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));

describe('view matrix x · (Ry · Rx · S)', () => {
  it('is the identity at no angle and unit scale, and scales uniformly', () => {
    close(uclaViewMatrix(0, 0, 1), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    close(uclaViewMatrix(0, 0, 0.5), [0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5]);
  });

  it('applies Ry first, then Rx, to a row vector (the other order sends y elsewhere)', () => {
    // (0 1 0) · Ry(90°) = (0 1 0); · Rx(90°) = (0 cos sin) = (0 0 1); · 2 I = (0 0 2). Rx first would give (2 0 0).
    close(rowTimes([0, 1, 0], uclaViewMatrix(90, 90, 2)), [0, 0, 2]);
    // (1 0 0) · Ry(90°) = (cos 0 −sin) = (0 0 −1); Rx(0) keeps it.
    close(rowTimes([1, 0, 0], uclaViewMatrix(0, 90, 1)), [0, 0, -1]);
  });

  it('applyViewMatrix moves present persons only', () => {
    const clip = clipOf([[0, 1, 0, 0, 0, 0]], 2, [1, 0]);
    applyViewMatrix(clip, uclaViewMatrix(90, 90, 2));
    close(Array.from(clip.data), [0, 0, 2, 0, 0, 0]);
  });

  it('draws integer angles in ±60° and a scale in [0.5, 1.5)', () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const [ax, ay, s] = drawUclaView(rng);
      for (const a of [ax, ay]) {
        expect(Number.isInteger(a) && a >= -60 && a <= 60).toBe(true);
        seen.add(a);
      }
      expect(s >= 0.5 && s < 1.5).toBe(true);
    }
    expect(seen.has(-60) && seen.has(60)).toBe(true);
  });
});

describe('min–max normalisation', () => {
  it('maps each coordinate to [−1, 1] over all frames and present joints; absent persons stay zero; a constant coordinate becomes 0', () => {
    // Two persons, one joint: person 1 is absent in frame 1 (all zero) and must not pull the minimum to 0.
    const clip = clipOf([[2, 5, 7, 4, 5, 7], [6, 5, 7, 0, 0, 0]], 2, [1, 1, 1, 0]);
    minMaxNormalise(clip, 3);
    // x: values 2, 4, 6 → −1, 0, 1; y and z never vary → 0.
    expect(Array.from(clip.data)).toEqual([-1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('leaves a 2-D layout\'s score alone', () => {
    const clip = clipOf([[0, 10, 0.25], [4, 30, 0.75]]);
    minMaxNormalise(clip, 2);
    expect(Array.from(clip.data)).toEqual([-1, -1, 0.25, 1, 1, 0.75]);
  });
});

describe('frame indices', () => {
  it('test: numpy linspace(0, n − 1, T).astype(int), float rounding included', () => {
    // numpy 2.4: np.linspace(0, 221, 52).astype(int)[27] is 116 (27 · (221 / 51) = 116.99999999999999), not ⌊27 · 221 / 51⌋ = 117.
    expect(uclaTestFrames(222, 52)[27]).toBe(116);
    expect(uclaTestFrames(52, 52)).toEqual(Array.from({ length: 52 }, (_, i) => i));
    expect(uclaTestFrames(3, 5)).toEqual([0, 0, 1, 1, 2]);
    expect(uclaTestFrames(7, 1)).toEqual([0]);
    for (let n = 1; n < 300; n++) {
      const idx = uclaTestFrames(n, 52);
      expect(idx[0]).toBe(0);
      expect(idx[51]).toBe(n - 1);
      idx.slice(1).forEach((f, i) => expect(f).toBeGreaterThanOrEqual(idx[i]));
    }
  });

  it('train: T sorted draws, deterministic per seed, each frame at most UCLA_FRAME_COPIES times, roughly uniform', () => {
    const a = uclaTrainFrames(40, 52, new Rng(9));
    expect(a).toEqual(uclaTrainFrames(40, 52, new Rng(9)));
    expect(a).not.toEqual(uclaTrainFrames(40, 52, new Rng(10)));
    expect(a.length).toBe(52);
    a.slice(1).forEach((f, i) => expect(f).toBeGreaterThanOrEqual(a[i]));
    expect(a.every((f) => Number.isInteger(f) && f >= 0 && f < 40)).toBe(true);
    // Without replacement from 100 copies: a 1-frame clip gives 100 zeros, no more, when asked for 100.
    expect(uclaTrainFrames(1, UCLA_FRAME_COPIES, new Rng(1))).toEqual(new Array(UCLA_FRAME_COPIES).fill(0));
    // Longer than the copies allow (the feeder would fail): still T valid indices.
    expect(uclaTrainFrames(1, 150, new Rng(1))).toEqual(new Array(150).fill(0));
    const counts = [0, 0];
    const rng = new Rng(4);
    for (let i = 0; i < 200; i++) for (const f of uclaTrainFrames(2, 52, rng)) counts[f]++;
    expect(Math.abs(counts[0] - counts[1])).toBeLessThan(0.1 * 200 * 52);
  });
});

describe("preprocess with protocol 'ucla'", () => {
  const test = (layout: JointLayout, modality: PreprocessOptions['modality'] = 'joint'): PreprocessOptions => ({ frames: 20, persons: 1, modality, layout, train: false, protocol: 'ucla' });

  it('test: a per-axis scale and shift of the recording change nothing; a rotation does', () => {
    const seq = walk(33, 1, NTU25, 1);
    const want = preprocess(seq, test(NTU25));
    const moved = { ...seq, data: seq.data.map((x, i) => (i % 3 === 0 ? 2 * x + 5 : i % 3 === 1 ? 0.5 * x - 1 : x + 3)) };
    const got = preprocess(moved, test(NTU25));
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    const swapped = { ...seq, data: seq.data.map((_, i) => (i % 3 === 0 ? seq.data[i + 1] : i % 3 === 1 ? -seq.data[i - 1] : seq.data[i])) };
    expect(Array.from(preprocess(swapped, test(NTU25)))).not.toEqual(Array.from(want));
  });

  it('test: frame t of the input is frame ⌊linspace⌋ of the clip, each coordinate spanning [−1, 1] over the clip', () => {
    const seq = walk(33, 1, NTU25, 2);
    const x = preprocess(seq, test(NTU25));
    const V = 25;
    const T = 20;
    const idx = uclaTestFrames(33, T);
    for (let c = 0; c < 3; c++) {
      const all = Array.from({ length: 33 * V }, (_, i) => seq.data[i * 3 + c]);
      const [lo, hi] = [Math.min(...all), Math.max(...all)];
      for (let t = 0; t < T; t++) {
        for (let v = 0; v < V; v++) expect(x[(c * T + t) * V + v]).toBeCloseTo(((seq.data[(idx[t] * V + v) * 3 + c] - lo) / (hi - lo)) * 2 - 1, 5);
      }
    }
  });

  it('bones are taken after the normalisation (the feeder\'s order)', () => {
    const seq = walk(30, 1, OPENPOSE18, 3);
    const joints = preprocess(seq, test(OPENPOSE18));
    const bones = preprocess(seq, test(OPENPOSE18, 'bone'));
    const T = 20;
    const V = 18;
    for (let c = 0; c < 3; c++) for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
      const at = (c * T + t) * V;
      expect(bones[at + v]).toBeCloseTo(joints[at + v] - joints[at + OPENPOSE18.parents[v]], 6);
    }
  });

  it('train: values stay in [−1, 1], draws depend on the seed, and the view transform mixes the axes', () => {
    const seq = walk(45, 1, NTU25, 4);
    const opts = { ...test(NTU25), train: true };
    const a = preprocess(seq, { ...opts, rng: new Rng(1) });
    expect(a.every((v) => v >= -1 - 1e-6 && v <= 1 + 1e-6)).toBe(true);
    expect(Array.from(a)).toEqual(Array.from(preprocess(seq, { ...opts, rng: new Rng(1) })));
    expect(Array.from(a)).not.toEqual(Array.from(preprocess(seq, { ...opts, rng: new Rng(2) })));
    // The per-axis scale of the recording is normalised away unless a rotation mixes the axes first.
    const stretched = { ...seq, data: seq.data.map((x, i) => (i % 3 === 0 ? 3 * x : x)) };
    expect(Array.from(preprocess(stretched, { ...opts, rng: new Rng(1) }))).not.toEqual(Array.from(a));
  });

  it('keeps only valid frames, as the other protocol does', () => {
    const seq = walk(12, 1, NTU25, 5);
    const padded = new Float32Array(seq.data.length + 2 * 75);
    padded.set(seq.data, 75);
    const withEmpty = { ...seq, frames: 14, data: padded };
    expect(validFrames(withEmpty, 1).frames).toBe(12);
    expect(Array.from(preprocess(withEmpty, test(NTU25)))).toEqual(Array.from(preprocess(seq, test(NTU25))));
  });
});

describe("against the authors' feeder (tests/fixtures/ucla-feeder, written by feeder_ucla.py itself)", () => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/ucla-feeder/feeder.json', import.meta.url), 'utf8')) as {
    clip: number[][][]; joint: number[][][]; bone: number[][][];
    view: { degreesX: number; degreesY: number; scale: number; normalised: number[][][] };
  };
  const seq: Sequence = { layout: 'kinect20', frames: fixture.clip.length, persons: 1, joints: 20, coords: 3, data: Float32Array.from(fixture.clip.flat(2)), name: 'fixture' };

  it.each(['joint', 'bone'] as const)('test transform, %s stream: the same [C][T][V] to 1e-5', (modality) => {
    const ours = preprocess(seq, { frames: 52, persons: 1, modality, layout: KINECT20, train: false, protocol: 'ucla' });
    const want = fixture[modality].flat(2);
    expect(ours.length).toBe(want.length);
    want.forEach((v, i) => expect(Math.abs(ours[i] - v)).toBeLessThan(1e-5));
  });

  it('view transform at fixed angles, then min–max: the same positions to 1e-5', () => {
    const clip = validFrames(seq, 1);
    centre(clip, KINECT20);
    applyViewMatrix(clip, uclaViewMatrix(fixture.view.degreesX, fixture.view.degreesY, fixture.view.scale));
    minMaxNormalise(clip, 3);
    fixture.view.normalised.flat(2).forEach((v, i) => expect(Math.abs(clip.data[i] - v)).toBeLessThan(1e-5));
  });
});
