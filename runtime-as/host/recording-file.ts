/**
 * Node-only: reads one recording for `cocodiff run` / `stream` and the examples, by extension:
 *   .skeleton  NTU RGB+D raw text (ntu25, 2 persons)
 *   .json      Kinetics-Skeleton (openpose18, x y score, 2 persons)
 *   .npy       float array, one of
 *                [F][M][V][C]      frame-major, as cocodiff stores sequences
 *                [1?][C][T][V][M]  CTR-GCN's per-sample tensor (C = 3 first)
 *                [F][M·V·C]        rows as in CTR-GCN's .npz (e.g. 300 × 150)
 *              the layout is the one whose joint count matches V (or `layoutHint`'s). A 4-D
 *              [3, T, V, 3] fits both of the first two and is refused rather than guessed; the
 *              5-D form (leading 1) is always [C, T, V, M], and rows need no guess.
 */
import { extname } from 'node:path';
import { UserError } from '../shared/errors.ts';
import { LAYOUTS, NTU25, layoutForJoints, type LayoutName } from '../shared/layouts.ts';
import type { Sequence } from '../shared/sequence.ts';
import { loadKineticsJson } from '../shared/formats/kinetics.ts';
import { readNpy } from '../shared/formats/npy.ts';
import { loadSkeletonFile } from '../shared/formats/ntu-skeleton.ts';

/**
 * Reads one recording by its extension: an NTU `.skeleton`, a Kinetics-Skeleton `.json` or an `.npy`.
 * An `.npy` takes `layoutHint`'s layout when its joint count fits, else the layout with its joint count.
 */
export async function loadRecording(path: string, layoutHint?: LayoutName | null): Promise<Sequence> {
  const ext = extname(path).toLowerCase();
  if (ext === '.skeleton') return loadSkeletonFile(path);
  if (ext === '.json') return loadKineticsJson(path);
  if (ext === '.npy') {
    const seq = await npyRecording(path, layoutHint ?? null);
    if (seq.frames < 1 || seq.persons < 1) throw new UserError(`${path}: holds ${seq.frames} frames of ${seq.persons} persons; a recording needs at least one of each`);
    return seq;
  }
  throw new UserError(`${path}: unknown recording type "${ext}" (expected .skeleton, Kinetics .json or .npy)`);
}

async function npyRecording(path: string, hint: LayoutName | null): Promise<Sequence> {
  const { shape, data } = await readNpy(path);
  const name = path.replace(/^.*[\\/]/, '').replace(/\.npy$/i, '');
  // A leading batch of 1 is CTR-GCN's per-sample tensor: that form has one reading, [C, T, V, M].
  const batched = shape.length === 5 && shape[0] === 1;
  const s = batched ? shape.slice(1) : shape;
  const frameMajor = s.length === 4 && s[3] === 3 && !batched;
  const channelsFirst = s.length === 4 && s[0] === 3;
  if (frameMajor && channelsFirst) {
    // [3, T, V, 3]: 3 frames of T persons, or T frames of 3 persons. Guessing would silently feed
    // the network transposed data, so the file must say which (both forms below have one reading).
    const [, T, V] = s;
    throw new UserError(`${path}: shape [${shape}] reads two ways: [F, M, V, C] (3 frames of ${T} persons) or [C, T, V, M] (${T} frames of 3 persons); `
      + `save it as [1, 3, ${T}, ${V}, 3] for [C, T, V, M] (CTR-GCN's per-sample tensor with its batch of 1), or as [3, ${T}·${V}·3] rows for 3 frames`);
  }
  if (frameMajor) {
    const [F, M, V, C] = s;
    return { layout: layoutForJoints(V, hint, path).name, frames: F, persons: M, joints: V, coords: C, data, name, source: path };
  }
  if (channelsFirst) {
    const [C, T, V, M] = s;
    const out = new Float32Array(data.length);
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) for (let m = 0; m < M; m++) {
      out[((t * M + m) * V + v) * C + c] = data[((c * T + t) * V + v) * M + m];
    }
    return { layout: layoutForJoints(V, hint, path).name, frames: T, persons: M, joints: V, coords: C, data: out, name, source: path };
  }
  if (s.length === 2) {
    const [F, row] = s;
    // Without a hint, rows are CTR-GCN's NTU .npz rows.
    const V = (hint ? LAYOUTS[hint] : NTU25).joints.length;
    if (row % (V * 3) !== 0) throw new UserError(`${path}: shape [${shape}]: rows of ${row} values are not persons × ${V} joints × 3`);
    return { layout: layoutForJoints(V, hint, path).name, frames: F, persons: row / (V * 3), joints: V, coords: 3, data, name, source: path };
  }
  throw new UserError(`${path}: shape [${shape}]: expected [F, M, V, 3], [3, T, V, M] (optionally with a leading 1) or [F, M·V·3]`);
}
