/**
 * The authors' NW-UCLA protocol (CTR-GCN's feeders/feeder_ucla.py, `--preset ucla`), the
 * `protocol: 'ucla'` branch of preprocess(). On the valid frames of a clip, already centred on the
 * layout's centre joint of the first frame (for kinect20: joint 1, the spine, as the feeder's
 * `value[0, 1, :]`):
 *
 *   train  random view transform (integer angles about x and y in ±60°, scale uniform in 0.5–1.5),
 *          min–max normalisation, T frames drawn at random with repetition and sorted;
 *   test   min–max normalisation, T frames at numpy's linspace(0, n − 1, T) truncated to integers.
 *
 * Min–max normalisation maps each position coordinate to [−1, 1] over every frame and joint of the
 * clip, so the clip is the unit of normalisation and of resampling: a streaming window is one clip
 * (docs/training.md). Bone and motion streams are computed afterwards by applyModality, as the feeder does.
 */
import type { JointLayout } from 'cocodiff-runtime/shared/layouts';
import type { Rng } from '../../common/rng.ts';
import type { Clip } from './preprocess.ts';

/** feeder_ucla's view transform: integer angles in [−60, 60] degrees about x and y, scale in [0.5, 1.5). */
export const UCLA_MAX_ANGLE_DEGREES = 60;
export const UCLA_SCALE_RANGE: [number, number] = [0.5, 1.5];
/** feeder_ucla samples training frames from the frame list repeated this many times, without replacement. */
export const UCLA_FRAME_COPIES = 100;

/**
 * The feeder's view matrix A = Ry · Rx · S (row-major 3×3), applied to row vectors as x' = x · A, with
 * Rx = [1 0 0; 0 c s; 0 −s c], Ry = [c 0 −s; 0 1 0; s 0 c], S = s · I, angles in degrees.
 */
export function uclaViewMatrix(degreesX: number, degreesY: number, scale: number): number[] {
  const [ax, ay] = [(degreesX * Math.PI) / 180, (degreesY * Math.PI) / 180];
  const [cx, sx, cy, sy] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay)];
  const rx = [1, 0, 0, 0, cx, sx, 0, -sx, cx];
  const ry = [cy, 0, -sy, 0, 1, 0, sy, 0, cy];
  const s = [scale, 0, 0, 0, scale, 0, 0, 0, scale];
  return matmul3(ry, matmul3(rx, s));
}

function matmul3(a: number[], b: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
}

/** Draws the feeder's random view: (angle x, angle y, scale). */
export function drawUclaView(rng: Rng): [number, number, number] {
  const span = 2 * UCLA_MAX_ANGLE_DEGREES + 1;
  const ax = rng.int(span) - UCLA_MAX_ANGLE_DEGREES;
  const ay = rng.int(span) - UCLA_MAX_ANGLE_DEGREES;
  return [ax, ay, rng.uniform(UCLA_SCALE_RANGE[0], UCLA_SCALE_RANGE[1])];
}

/** In place: x' = x · A for the x y z of every present person (a 3-D layout's positions). */
export function applyViewMatrix(clip: Clip, a: number[]): void {
  const { frames: n, persons: M, joints: V, coords: C, data, present } = clip;
  for (let t = 0; t < n; t++) {
    for (let m = 0; m < M; m++) {
      if (!present[t * M + m]) continue;
      for (let v = 0; v < V; v++) {
        const at = ((t * M + m) * V + v) * C;
        const [x, y, z] = [data[at], data[at + 1], data[at + 2]];
        data[at] = x * a[0] + y * a[3] + z * a[6];
        data[at + 1] = x * a[1] + y * a[4] + z * a[7];
        data[at + 2] = x * a[2] + y * a[5] + z * a[8];
      }
    }
  }
}

/**
 * In place: each of the first `dims` coordinates becomes 2 · (x − min) / (max − min) − 1, min and max
 * over every joint of every present person in every frame. A coordinate that never varies (the
 * feeder would divide by zero and give NaN) becomes 0. Absent persons stay all-zero, a 2-D layout's
 * score is left alone. The arithmetic is f64 on the stored f32 values, as the in-wasm copy does.
 */
export function minMaxNormalise(clip: Clip, dims: number): void {
  const { frames: n, persons: M, joints: V, coords: C, data, present } = clip;
  const lo = new Array<number>(dims).fill(Infinity);
  const hi = new Array<number>(dims).fill(-Infinity);
  const eachPresentJoint = (f: (at: number) => void): void => {
    for (let t = 0; t < n; t++) for (let m = 0; m < M; m++) if (present[t * M + m]) for (let v = 0; v < V; v++) f(((t * M + m) * V + v) * C);
  };
  eachPresentJoint((at) => {
    for (let c = 0; c < dims; c++) {
      lo[c] = Math.min(lo[c], data[at + c]);
      hi[c] = Math.max(hi[c], data[at + c]);
    }
  });
  eachPresentJoint((at) => {
    for (let c = 0; c < dims; c++) data[at + c] = hi[c] > lo[c] ? ((data[at + c] - lo[c]) / (hi[c] - lo[c])) * 2 - 1 : 0;
  });
}

/** Test frames: numpy's linspace(0, n − 1, T).astype(int), i.e. ⌊i · ((n − 1) / (T − 1))⌋ with the last exactly n − 1. */
export function uclaTestFrames(n: number, T: number): number[] {
  if (T === 1) return [0];
  const step = (n - 1) / (T - 1);
  return Array.from({ length: T }, (_, i) => (i === T - 1 ? n - 1 : Math.trunc(i * step)));
}

/**
 * Training frames: T draws without replacement from the frame indices each repeated
 * UCLA_FRAME_COPIES times (random.sample(list(range(n)) * 100, T)), sorted, as the feeder draws them.
 * Where T exceeds n · 100 (the feeder would fail), each index has enough copies for T draws.
 */
export function uclaTrainFrames(n: number, T: number, rng: Rng): number[] {
  const copies = Math.max(UCLA_FRAME_COPIES, Math.ceil(T / n));
  const left = new Array<number>(n).fill(copies);
  let total = n * copies;
  const out: number[] = [];
  for (let i = 0; i < T; i++) {
    let r = rng.int(total);
    let f = 0;
    while (r >= left[f]) r -= left[f++];
    left[f]--;
    total--;
    out.push(f);
  }
  return out.sort((a, b) => a - b);
}

/** Frames `idx` of the clip, transposed to [C][T][V][M]. */
export function gatherFrames(clip: Clip, idx: readonly number[]): Float32Array {
  const { persons: M, joints: V, coords: C, data } = clip;
  const T = idx.length;
  const out = new Float32Array(C * T * V * M);
  idx.forEach((f, t) => {
    for (let m = 0; m < M; m++) for (let v = 0; v < V; v++) for (let c = 0; c < C; c++) out[((c * T + t) * V + v) * M + m] = data[((f * M + m) * V + v) * C + c];
  });
  return out;
}

/** The protocol on a clip already cut to its valid frames and centred: network input [C][T][V][M] before the modality. */
export function uclaTransform(clip: Clip, layout: JointLayout, T: number, rng?: Rng): Float32Array {
  if (rng && layout.dims === 3) applyViewMatrix(clip, uclaViewMatrix(...drawUclaView(rng)));
  minMaxNormalise(clip, layout.dims);
  return gatherFrames(clip, rng ? uclaTrainFrames(clip.frames, T, rng) : uclaTestFrames(clip.frames, T));
}
