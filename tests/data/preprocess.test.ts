import { describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { NTU25, OPENPOSE18, type JointLayout } from 'cocodiff-runtime/shared/layouts';
import { Rng } from '../../common/rng.ts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import {
  applyModality, centre, preprocess, resize, rotationMatrix, testCrop, testPreprocessOptions, trainCrop, validFrames, type Clip,
} from '../../trainer/data/preprocess.ts';

/** A sequence whose value at (frame, person, joint, coord) is given by `value`. */
function makeSeq(frames: number, persons: number, layout: JointLayout, value: (f: number, p: number, v: number, c: number) => number): Sequence {
  const V = layout.joints.length;
  const data = new Float32Array(frames * persons * V * 3);
  for (let f = 0; f < frames; f++) for (let p = 0; p < persons; p++) for (let v = 0; v < V; v++) for (let c = 0; c < 3; c++) data[((f * persons + p) * V + v) * 3 + c] = value(f, p, v, c);
  return { layout: layout.name, frames, persons, joints: V, coords: 3, data, name: 'fixture' };
}

/** A one-joint-wide clip holding a scalar signal over time (1 person, 1 joint, 1 coord). */
function signal(values: number[]): Clip {
  return { frames: values.length, persons: 1, joints: 1, coords: 1, data: Float32Array.from(values), present: new Uint8Array(values.length).fill(1) };
}

describe('crop', () => {
  it('test crop keeps the centred 95 % with bias floor((1 − p)·n/2)', () => {
    expect(testCrop(100)).toEqual({ start: 2, length: 96 }); // 0.05·100/2 = 2.5 → 2
    expect(testCrop(40)).toEqual({ start: 1, length: 38 });
    expect(testCrop(10)).toEqual({ start: 0, length: 10 }); // 0.25 → 0
    expect(testCrop(64, 0.5)).toEqual({ start: 16, length: 32 });
  });

  it('train crop covers between half and all of the frames, at least T when there are that many, inside the clip', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 200; i++) {
      const n = 10 + rng.int(200);
      const { start, length } = trainCrop(n, 64, rng);
      expect(length).toBeLessThanOrEqual(n);
      expect(length).toBeGreaterThanOrEqual(Math.min(n, Math.max(64, Math.floor(n / 2))));
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start + length).toBeLessThanOrEqual(n);
    }
    expect(trainCrop(30, 64, new Rng(1))).toEqual({ start: 0, length: 30 }); // shorter than T: everything
  });
});

describe('resize (linear, align_corners = false)', () => {
  it('upsamples 3 → 6 frames as PyTorch F.interpolate does', () => {
    // src = (t + 0.5)·3/6 − 0.5 = −0.25 (clamped to 0), 0.25, 0.75, 1.25, 1.75, 2.25 (i1 clamped to 2)
    const out = resize(signal([0, 10, 20]), { start: 0, length: 3 }, 6);
    expect(Array.from(out)).toEqual([0, 2.5, 7.5, 12.5, 17.5, 20]);
  });

  it('downsamples 4 → 2 frames to the midpoints', () => {
    expect(Array.from(resize(signal([0, 10, 20, 30]), { start: 0, length: 4 }, 2))).toEqual([5, 25]);
  });

  it('reads only the cropped frames', () => {
    expect(Array.from(resize(signal([100, 0, 10, 20, 100]), { start: 1, length: 3 }, 6))).toEqual([0, 2.5, 7.5, 12.5, 17.5, 20]);
  });

  it('same length is the identity', () => {
    const values = [3, -1, 4, 1, -5, 9];
    expect(Array.from(resize(signal(values), { start: 0, length: 6 }, 6))).toEqual(values);
  });
});

describe('persons and valid frames', () => {
  it('drops frames with no person, keeps the first M person slots and pads missing ones with zeros', () => {
    // 3 person slots; frame 1 empty in slots 0 and 1 (slot 2 is cut away, so the frame is empty too).
    const seq = makeSeq(4, 3, NTU25, (f, p) => (f === 1 && p < 2 ? 0 : f === 2 && p === 1 ? 0 : 1 + f + 10 * p));
    const clip = validFrames(seq, 2);
    expect(clip.frames).toBe(3);
    expect(Array.from(clip.present)).toEqual([1, 1, 1, 0, 1, 1]); // frames 0, 2, 3; person 1 absent at frame 2
    expect(clip.data[0]).toBe(1); // frame 0 person 0
    expect(clip.data[2 * 75]).toBe(3); // kept frame 1 = original frame 2, person 0

    const padded = validFrames(makeSeq(2, 1, NTU25, () => 1), 2);
    expect(padded.persons).toBe(2);
    expect(Array.from(padded.present)).toEqual([1, 0, 1, 0]);
    expect(padded.data.subarray(75, 150).every((x) => x === 0)).toBe(true);
  });

  it('a sequence with no valid frame is a user error naming it (its name, else its file, else "sequence")', () => {
    const empty = makeSeq(5, 2, NTU25, () => 0);
    expect(() => preprocess(empty, { frames: 8, persons: 2, modality: 'joint', layout: NTU25, train: false })).toThrow(UserError);
    expect(() => validFrames({ ...empty, source: 'a.skeleton' }, 2)).toThrow(/^fixture: no valid frame/);
    expect(() => validFrames({ ...empty, name: undefined, source: 'a.skeleton' }, 2)).toThrow(/^a\.skeleton: no valid frame/);
    expect(() => validFrames({ ...empty, name: undefined }, 2)).toThrow(/^sequence: no valid frame/);
  });
});

describe('centring', () => {
  it('subtracts the centre joint of person 0 at its first present frame, from present persons only', () => {
    // Person 0 absent in frame 0 (only person 1 there), present from frame 1 with its centre joint at (1, 2, 3).
    const seq = makeSeq(3, 2, NTU25, (f, p, v, c) => {
      if (p === 0 && f === 0) return 0;
      if (p === 1 && f === 2) return 0;
      return v === NTU25.centre && p === 0 && f === 1 ? c + 1 : 5 + c;
    });
    const clip = validFrames(seq, 2);
    centre(clip, NTU25);
    const at = (f: number, p: number, v: number) => Array.from(clip.data.subarray(((f * 2 + p) * 25 + v) * 3, ((f * 2 + p) * 25 + v) * 3 + 3));
    expect(at(1, 0, NTU25.centre)).toEqual([0, 0, 0]);
    expect(at(1, 0, 0)).toEqual([4, 4, 4]);
    expect(at(0, 1, 3)).toEqual([4, 4, 4]); // person 1 in frame 0 shifted by the same origin
    expect(at(0, 0, 3)).toEqual([0, 0, 0]); // absent person stays zero
    expect(at(2, 1, 3)).toEqual([0, 0, 0]);
  });

  it('falls back to the first present person when person 0 never appears, and leaves 2D scores alone', () => {
    const seq = makeSeq(2, 2, OPENPOSE18, (_f, p, v, c) => (p === 0 ? 0 : v === OPENPOSE18.centre ? [10, 20, 0.5][c] : [11, 22, 0.9][c]));
    const clip = validFrames(seq, 2);
    centre(clip, OPENPOSE18);
    const at = (v: number) => Array.from(clip.data.subarray((1 * 18 + v) * 3, (1 * 18 + v) * 3 + 3));
    expect(at(OPENPOSE18.centre)[0]).toBe(0);
    expect(at(OPENPOSE18.centre)[1]).toBe(0);
    expect(at(0)[0]).toBe(1);
    expect(at(0)[1]).toBe(2);
    expect(at(0)[2]).toBeCloseTo(0.9, 6); // the score is not a coordinate
  });
});

describe('modalities', () => {
  // [C=1][T=3][V=3][M=1] on a 3-joint chain 0 ← 1 ← 2 (root 0).
  const parents = [0, 0, 1];
  const x = Float32Array.from([1, 3, 6, 2, 5, 9, 4, 4, 4]);

  it('bone is joint minus parent, zero at the root', () => {
    expect(Array.from(applyModality(x, 'bone', 1, 3, 1, parents))).toEqual([0, 2, 3, 0, 3, 4, 0, 0, 0]);
  });

  it('motion is the next frame minus this one, zero at the last frame', () => {
    expect(Array.from(applyModality(x, 'joint-motion', 1, 3, 1, parents))).toEqual([1, 2, 3, 2, -1, -5, 0, 0, 0]);
  });

  it('bone motion is the motion of the bones', () => {
    expect(Array.from(applyModality(x, 'bone-motion', 1, 3, 1, parents))).toEqual([0, 1, 1, 0, -3, -4, 0, 0, 0]);
  });
});

describe('rotation', () => {
  it('is CTR-GCN\'s Rz·Ry·Rx and orthonormal', () => {
    const [c, s] = [Math.cos(0.3), Math.sin(0.3)];
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 12));
    close(rotationMatrix(0.3, 0, 0), [1, 0, 0, 0, c, s, 0, -s, c]);
    close(rotationMatrix(0, 0.3, 0), [c, 0, -s, 0, 1, 0, s, 0, c]);
    close(rotationMatrix(0, 0, 0.3), [c, s, 0, -s, c, 0, 0, 0, 1]);
    const r = rotationMatrix(0.1, -0.2, 0.25);
    const rx = rotationMatrix(0.1, 0, 0), ry = rotationMatrix(0, -0.2, 0), rz = rotationMatrix(0, 0, 0.25);
    const mm = (a: number[], b: number[]) => [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j]));
    close(r, mm(mm(rz, ry), rx));
    const rrt = mm(r, [r[0], r[3], r[6], r[1], r[4], r[7], r[2], r[5], r[8]]);
    close(rrt, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});

describe('preprocess', () => {
  // Joint v of person 0 at frame f sits at (f, v, −f); person 1 absent; frames 0 and 5 empty.
  const seq = makeSeq(6, 2, NTU25, (f, p, v, c) => (p === 1 || f === 0 || f === 5 ? 0 : [f, v, -f][c]));
  const base = { frames: 8, persons: 2, layout: NTU25, train: false } as const;

  it('test path: valid frames, centring, resize, in [C][T][V][M] order', () => {
    const x = preprocess(seq, { ...base, modality: 'joint' });
    expect(x.length).toBe(3 * 8 * 25 * 2);
    // 4 valid frames (1..4), no crop (bias 0), origin = joint 1 of frame 1 = (1, 1, −1); resize 4 → 8.
    const at = (c: number, t: number, v: number, m: number) => x[((c * 8 + t) * 25 + v) * 2 + m];
    const frame = (t: number) => Math.max((t + 0.5) * 0.5 - 0.5, 0); // position in valid frames, minus the first
    for (const t of [0, 3, 7]) {
      const src = Math.min(frame(t), 3);
      for (const v of [0, 1, 24]) {
        expect(at(0, t, v, 0)).toBeCloseTo(src, 6);
        expect(at(1, t, v, 0)).toBeCloseTo(v - 1, 6);
        expect(at(2, t, v, 0)).toBeCloseTo(-src, 6);
        expect(at(0, t, v, 1)).toBe(0); // absent person
      }
    }
  });

  it('bone modality agrees with applying bones to the joint input', () => {
    const joint = preprocess(seq, { ...base, modality: 'joint' });
    const bone = preprocess(seq, { ...base, modality: 'bone' });
    expect(Array.from(bone)).toEqual(Array.from(applyModality(joint, 'bone', 3, 8, 2, NTU25.parents)));
  });

  it('refuses a sequence whose joints are not the layout\'s, naming both', () => {
    const coco = makeSeq(4, 1, OPENPOSE18, () => 1);
    expect(() => preprocess(coco, { ...base, modality: 'joint' })).toThrow(new UserError('fixture: 18 joints, layout ntu25 has 25'));
    expect(() => preprocess({ ...coco, name: undefined }, { ...base, modality: 'joint' })).toThrow(new UserError('sequence: 18 joints, layout ntu25 has 25'));
  });

  it('test options come from the artifact: T, M, modality, layout, crop ratio and centring, no training', () => {
    const opts = testPreprocessOptions({
      input: { C: 3, T: 48, V: 18, M: 1 }, modality: 'bone-motion', layout: 'openpose18',
      preprocessing: { windowFrames: 60, testCropRatio: 0.9, centre: false },
    });
    expect(opts).toEqual({ frames: 48, persons: 1, modality: 'bone-motion', layout: OPENPOSE18, train: false, cropRatio: 0.9, centre: false, protocol: 'ntu' });
  });

  it('rotates 3D training clips (by default) and never 2D ones, whose third value is a score', () => {
    const train = { ...base, modality: 'joint' as const, train: true };
    const moving = (f: number, p: number, v: number, c: number) => (p === 1 ? 0 : 0.5 + Math.sin(f / 7 + v + c));
    const ntu = makeSeq(40, 2, NTU25, moving);
    const rotated = preprocess(ntu, { ...train, rng: new Rng(9) });
    const unrotated = preprocess(ntu, { ...train, rng: new Rng(9), rotate: false });
    expect(Array.from(rotated)).not.toEqual(Array.from(unrotated)); // the same crop (drawn first), then rotated
    const op = makeSeq(40, 2, OPENPOSE18, moving);
    const op2d = { ...train, layout: OPENPOSE18 };
    expect(Array.from(preprocess(op, { ...op2d, rng: new Rng(9) }))).toEqual(Array.from(preprocess(op, { ...op2d, rng: new Rng(9), rotate: false })));
  });

  it('training draws crops and rotations from the rng: same seed same output, other seed different', () => {
    const long = makeSeq(90, 2, NTU25, (f, p, v, c) => (p === 1 ? 0 : Math.sin(f / 7 + v + c)));
    const train = { ...base, modality: 'joint' as const, train: true };
    const a = preprocess(long, { ...train, rng: new Rng(3) });
    expect(Array.from(preprocess(long, { ...train, rng: new Rng(3) }))).toEqual(Array.from(a));
    expect(Array.from(preprocess(long, { ...train, rng: new Rng(4) }))).not.toEqual(Array.from(a));
    expect(() => preprocess(long, train)).toThrow(/rng/);
    // The rotation keeps each joint's distance to the origin.
    const flat = preprocess(long, { ...train, rng: new Rng(3), rotate: false });
    for (let i = 0; i < 8 * 25 * 2; i += 37) {
      const norm = (y: Float32Array) => Math.hypot(y[i], y[400 + i], y[800 + i]);
      expect(norm(a)).toBeCloseTo(norm(flat), 5);
    }
  });
});
