/**
 * Preprocessing: a ragged, frame-major Sequence [F][P][V][C] becomes the fixed-shape network input
 * [C][T][V][M]. This is the reference implementation: the in-wasm runtime is checked against it to
 * 1e-5, so every step is a plain loop that follows the steps listed below and CTR-GCN's feeder
 * (valid_crop_resize, random_rot, bone, motion) literally.
 *
 *   1-2. validFrames   keep the first M person slots, drop frames where nobody is present
 *   3.   centre        subtract the centre joint of the first present person 0
 *   4.   testCrop / trainCrop   which contiguous run of valid frames to keep
 *   5.   resize        linear resize of that run to T frames (align_corners = false), transpose to [C][T][V][M]
 *   6.   rotate        random 3D rotation (training, 3D layouts only)
 *   7.   applyModality joint, bone, joint-motion, bone-motion
 *
 * With `protocol: 'ucla'` (the authors' NW-UCLA feeder), steps 4 to 6 are preprocess-ucla.ts's instead.
 */
import type { Modality, ModelJson } from '../../common/artifact.ts';
import type { PreprocessProtocol } from 'cocodiff-runtime/shared/input-spec';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS, type JointLayout } from 'cocodiff-runtime/shared/layouts';
import type { Rng } from '../../common/rng.ts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { uclaTransform } from './preprocess-ucla.ts';

export interface PreprocessOptions {
  /** T: frames the network sees. */
  frames: number;
  /** M: person slots the network sees. */
  persons: number;
  modality: Modality;
  layout: JointLayout;
  /** Training draws a random crop and rotation from `rng`; testing is deterministic. */
  train: boolean;
  /** Test crop: fraction of the valid frames kept, centred (CTR-GCN: 0.95). */
  cropRatio?: number;
  /** Training crop: the kept fraction is uniform in this range (CTR-GCN: [0.5, 1]). */
  cropRange?: [number, number];
  /** Training rotation (3D layouts only); default true when training. */
  rotate?: boolean;
  rng?: Rng;
  /** Subtract the centre joint (default true). */
  centre?: boolean;
  /** Whose feeder steps 4 to 6 follow (default `ntu`; input-spec.ts). */
  protocol?: PreprocessProtocol;
}

export const DEFAULT_TEST_CROP_RATIO = 0.95;
export const DEFAULT_TRAIN_CROP_RANGE: [number, number] = [0.5, 1];
/** CTR-GCN's random_rot: each of the three angles uniform in ±0.3 rad. */
export const ROTATION_THETA = 0.3;

/** Valid frames of a sequence, persons cut or padded to M: data [n][M][V][C], present [n][M]. */
export interface Clip {
  frames: number;
  persons: number;
  joints: number;
  coords: number;
  data: Float32Array;
  present: Uint8Array;
}

/** A contiguous run of valid frames: [start, start + length). */
export interface Crop {
  start: number;
  length: number;
}

/** Steps 1 and 2: keep the first M person slots (zero-padded) and the frames where any of them is present. */
export function validFrames(seq: Sequence, persons: number): Clip {
  const { joints: V, coords: C } = seq;
  const person = V * C;
  const kept = Math.min(persons, seq.persons);
  const rows: number[] = [];
  const presentRows: Uint8Array[] = [];
  for (let f = 0; f < seq.frames; f++) {
    const present = new Uint8Array(persons);
    for (let m = 0; m < kept; m++) {
      const base = (f * seq.persons + m) * person;
      for (let i = 0; i < person; i++) {
        if (seq.data[base + i] !== 0) {
          present[m] = 1;
          break;
        }
      }
    }
    if (present.some((p) => p)) {
      rows.push(f);
      presentRows.push(present);
    }
  }
  const n = rows.length;
  if (n === 0) throw new UserError(`${seq.name ?? seq.source ?? 'sequence'}: no valid frame (every person slot of every frame is all zeros)`);
  const data = new Float32Array(n * persons * person);
  const present = new Uint8Array(n * persons);
  rows.forEach((f, t) => {
    present.set(presentRows[t], t * persons);
    for (let m = 0; m < kept; m++) {
      const src = (f * seq.persons + m) * person;
      data.set(seq.data.subarray(src, src + person), (t * persons + m) * person);
    }
  });
  return { frames: n, persons, joints: V, coords: C, data, present };
}

/**
 * Step 3, in place: the origin is the centre joint of person 0 in the first frame where person 0 is
 * present (or of the first present person of frame 0 if person 0 never is); it is subtracted from
 * every present person in every frame. Absent persons stay all-zero, so they still read as absent.
 */
export function centre(clip: Clip, layout: JointLayout): void {
  const { frames: n, persons: M, joints: V, coords: C, data, present } = clip;
  const k = layout.dims; // x y z, or x y: a 2-D layout's score is no position
  let t0 = 0;
  let m0 = -1;
  for (let t = 0; t < n && m0 < 0; t++) if (present[t * M]) [t0, m0] = [t, 0];
  if (m0 < 0) m0 = present.subarray(0, M).indexOf(1);
  const at = ((t0 * M + m0) * V + layout.centre) * C;
  const origin = Array.from(data.subarray(at, at + k));
  for (let t = 0; t < n; t++) {
    for (let m = 0; m < M; m++) {
      if (!present[t * M + m]) continue;
      for (let v = 0; v < V; v++) {
        const base = ((t * M + m) * V + v) * C;
        for (let c = 0; c < k; c++) data[base + c] -= origin[c];
      }
    }
  }
}

/** Step 4, test: the centred run covering `ratio` of the n valid frames. */
export function testCrop(n: number, ratio = DEFAULT_TEST_CROP_RATIO): Crop {
  const bias = Math.floor(((1 - ratio) * n) / 2);
  return { start: bias, length: n - 2 * bias };
}

/** Step 4, training: a random run covering a uniform fraction in `range` of the valid frames, at least T when it can. */
export function trainCrop(n: number, T: number, rng: Rng, range: [number, number] = DEFAULT_TRAIN_CROP_RANGE): Crop {
  const p = rng.uniform(range[0], range[1]);
  const length = Math.min(Math.max(Math.floor(n * p), T), n);
  return { start: rng.int(n - length + 1), length };
}

/**
 * Step 5: resize frames [start, start + length) of the clip to T frames by linear interpolation with
 * align_corners = false (PyTorch's F.interpolate on the time axis, as CTR-GCN does), and transpose
 * to [C][T][V][M]. Every value is interpolated, absent persons' zeros included.
 */
export function resize(clip: Clip, crop: Crop, T: number): Float32Array {
  const { persons: M, joints: V, coords: C, data } = clip;
  const L = crop.length;
  const out = new Float32Array(C * T * V * M);
  for (let t = 0; t < T; t++) {
    const src = Math.max(((t + 0.5) * L) / T - 0.5, 0);
    const i0 = Math.floor(src);
    const i1 = Math.min(i0 + 1, L - 1);
    const w = src - i0;
    const f0 = crop.start + i0;
    const f1 = crop.start + i1;
    for (let m = 0; m < M; m++) {
      for (let v = 0; v < V; v++) {
        for (let c = 0; c < C; c++) {
          const a = data[((f0 * M + m) * V + v) * C + c];
          const b = data[((f1 * M + m) * V + v) * C + c];
          out[((c * T + t) * V + v) * M + m] = (1 - w) * a + w * b;
        }
      }
    }
  }
  return out;
}

/**
 * CTR-GCN's rotation matrix R = Rz · Ry · Rx for angles (ax, ay, az), row-major 3×3, applied as x' = R x.
 * Rx = [1 0 0; 0 c s; 0 −s c], Ry = [c 0 −s; 0 1 0; s 0 c], Rz = [c s 0; −s c 0; 0 0 1].
 */
export function rotationMatrix(ax: number, ay: number, az: number): number[] {
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  const rx = [1, 0, 0, 0, cx, sx, 0, -sx, cx];
  const ry = [cy, 0, -sy, 0, 1, 0, sy, 0, cy];
  const rz = [cz, sz, 0, -sz, cz, 0, 0, 0, 1];
  return matmul3(matmul3(rz, ry), rx);
}

function matmul3(a: number[], b: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
}

/** Step 6, in place on [3][T][V][M]: one random rotation for the whole clip (CTR-GCN's random_rot). */
export function rotate(x: Float32Array, T: number, V: number, M: number, rng: Rng, theta = ROTATION_THETA): void {
  const [ax, ay, az] = [rng.uniform(-theta, theta), rng.uniform(-theta, theta), rng.uniform(-theta, theta)];
  const r = rotationMatrix(ax, ay, az);
  const plane = T * V * M;
  for (let i = 0; i < plane; i++) {
    const [px, py, pz] = [x[i], x[plane + i], x[2 * plane + i]];
    x[i] = r[0] * px + r[1] * py + r[2] * pz;
    x[plane + i] = r[3] * px + r[4] * py + r[5] * pz;
    x[2 * plane + i] = r[6] * px + r[7] * py + r[8] * pz;
  }
}

/** Bone: each joint minus its parent, on [C][T][V][M] (the root's parent is itself: zero bone). */
export function bones(x: Float32Array, C: number, T: number, M: number, parents: readonly number[]): Float32Array {
  const V = parents.length;
  const out = new Float32Array(x.length);
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < V; v++) {
        for (let m = 0; m < M; m++) {
          const row = (c * T + t) * V;
          out[(row + v) * M + m] = x[(row + v) * M + m] - x[(row + parents[v]) * M + m];
        }
      }
    }
  }
  return out;
}

/** Motion: x[:, t+1] − x[:, t], zero at the last frame, on [C][T][V][M]. */
export function motion(x: Float32Array, C: number, T: number, V: number, M: number): Float32Array {
  const out = new Float32Array(x.length);
  const frame = V * M;
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < T - 1; t++) {
      const at = (c * T + t) * frame;
      for (let i = 0; i < frame; i++) out[at + i] = x[at + frame + i] - x[at + i];
    }
  }
  return out;
}

/** Step 7 on [C][T][V][M]. */
export function applyModality(x: Float32Array, modality: Modality, C: number, T: number, M: number, parents: readonly number[]): Float32Array {
  const V = parents.length;
  switch (modality) {
    case 'joint':
      return x;
    case 'bone':
      return bones(x, C, T, M, parents);
    case 'joint-motion':
      return motion(x, C, T, V, M);
    case 'bone-motion':
      return motion(bones(x, C, T, M, parents), C, T, V, M);
  }
}

/** The whole pipeline: Sequence [F][P][V][C] → network input [C][T][V][M]. */
/** The test-time preprocessing a model artifact was trained for: what its recognizer runs in wasm. */
export function testPreprocessOptions(m: Pick<ModelJson, 'input' | 'modality' | 'layout' | 'preprocessing'>): PreprocessOptions {
  return {
    frames: m.input.T, persons: m.input.M, modality: m.modality, layout: LAYOUTS[m.layout],
    train: false, cropRatio: m.preprocessing.testCropRatio, centre: m.preprocessing.centre, protocol: m.preprocessing.protocol ?? 'ntu',
  };
}

export function preprocess(seq: Sequence, opts: PreprocessOptions): Float32Array {
  const { frames: T, persons: M, layout } = opts;
  const V = layout.joints.length;
  if (seq.joints !== V) throw new UserError(`${seq.name ?? 'sequence'}: ${seq.joints} joints, layout ${layout.name} has ${V}`);
  if (opts.train && !opts.rng) throw new Error('preprocess: training needs an rng');
  const clip = validFrames(seq, M);
  if (opts.centre ?? true) centre(clip, layout);
  if (opts.protocol === 'ucla') return applyModality(uclaTransform(clip, layout, T, opts.train ? opts.rng : undefined), opts.modality, seq.coords, T, M, layout.parents);
  const crop = opts.train ? trainCrop(clip.frames, T, opts.rng!, opts.cropRange) : testCrop(clip.frames, opts.cropRatio);
  const x = resize(clip, crop, T);
  if (opts.train && (opts.rotate ?? true) && layout.dims === 3) rotate(x, T, V, M, opts.rng!);
  return applyModality(x, opts.modality, seq.coords, T, M, layout.parents);
}
