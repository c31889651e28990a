/**
 * `inspect`: what a skeleton file or dataset cache holds, detected from its name and content:
 * an NTU `.skeleton`, a Kinetics-Skeleton `.json`, a `.npy` (C, T, V, M) array, an `.npz`, or a cache folder.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError, atField } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS, NTU25, layoutForJoints, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { readCache, SPLITS } from './cache.ts';
import { loadSkeletonFile } from 'cocodiff-runtime/shared/formats/ntu-skeleton';
import { parseNtuName } from 'cocodiff-runtime/shared/formats/ntu-name';
import { loadKineticsJson } from 'cocodiff-runtime/shared/formats/kinetics';
import { ntuClassNames } from './ntu-names.ts';
import { kineticsClassNames } from './kinetics.ts';
import { readNpy } from 'cocodiff-runtime/shared/formats/npy';
import { Npz } from './npz.ts';

export interface InspectReport {
  format: 'ntu-skeleton' | 'kinetics-json' | 'npy' | 'npz' | 'cache';
  path: string;
  /** Frames of the sequence; for a cache or npz, frames summed over all samples (npz: padded length). */
  frames: number;
  persons: number;
  joints: number;
  coords: number;
  layout: LayoutName;
  /** Frames in which at least one person is present (not counted for an .npz, which is only listed). */
  validFrames?: number;
  label?: number;
  className?: string;
  /** min and max of each coordinate over present persons, keyed by coordinate name. */
  ranges?: Record<string, [number, number]>;
  /** Cache / npz only. */
  samples?: Record<string, number>;
  classes?: number;
  benchmark?: string | null;
  arrays?: Array<{ name: string; dtype: string; shape: number[] }>;
}

/** Frames with any non-zero value, and coordinate ranges over the persons present in them. */
function summarise(seq: Sequence): { validFrames: number; ranges: Record<string, [number, number]> } {
  const { joints, coords, persons } = seq;
  const names = LAYOUTS[seq.layout].coordNames;
  const lo = new Array(coords).fill(Infinity);
  const hi = new Array(coords).fill(-Infinity);
  let valid = 0;
  for (let t = 0; t < seq.frames; t++) {
    let any = false;
    for (let m = 0; m < persons; m++) {
      const p = seq.data.subarray(((t * persons + m) * joints) * coords, ((t * persons + m + 1) * joints) * coords);
      if (!p.some((x) => x !== 0)) continue;
      any = true;
      for (let i = 0; i < p.length; i++) {
        const c = i % coords;
        if (p[i] < lo[c]) lo[c] = p[i];
        if (p[i] > hi[c]) hi[c] = p[i];
      }
    }
    if (any) valid++;
  }
  const ranges: Record<string, [number, number]> = {};
  if (valid > 0) for (let c = 0; c < coords; c++) ranges[names[c] ?? `c${c}`] = [lo[c], hi[c]];
  return { validFrames: valid, ranges };
}

function fromSequence(format: InspectReport['format'], path: string, seq: Sequence, className?: string): InspectReport {
  return {
    format, path, frames: seq.frames, persons: seq.persons, joints: seq.joints, coords: seq.coords, layout: seq.layout,
    ...summarise(seq),
    ...(seq.label !== undefined ? { label: seq.label } : {}),
    ...(className ? { className } : {}),
  };
}

/** A (C, T, V, M) array as the trainer feeds the model, turned back into a frame-major Sequence. */
async function inspectNpy(path: string, layoutHint?: LayoutName): Promise<InspectReport> {
  const a = await readNpy(path);
  if (a.shape.length !== 4) throw atField(path, 'shape', `expected (C, T, V, M), found (${a.shape.join(', ')})`);
  const [C, T, V, M] = a.shape;
  if (C !== 3) throw atField(path, 'shape', `expected C = 3 coordinates per joint, found (${a.shape.join(', ')})`);
  const layout = layoutForJoints(V, layoutHint, `${path}: field "shape"`, '--layout').name;
  const data = new Float32Array(T * M * V * C);
  for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) for (let m = 0; m < M; m++) {
    data[((t * M + m) * V + v) * C + c] = a.data[((c * T + t) * V + v) * M + m];
  }
  return fromSequence('npy', path, { layout, frames: T, persons: M, joints: V, coords: C, data });
}

async function inspectNpz(path: string): Promise<InspectReport> {
  const npz = await Npz.open(path);
  try {
    const arrays: InspectReport['arrays'] = [];
    for (const name of npz.names) {
      const r = await npz.rows(name);
      arrays.push({ name, dtype: r.header.dtype, shape: r.header.shape });
      await r.close();
    }
    const xs = arrays.filter((a) => /^x_(train|test)$/.test(a.name) && a.shape.length === 3);
    if (xs.length === 0) throw new UserError(`${path}: no x_train / x_test arrays of shape (N, frames, 150) (holds ${arrays.map((a) => a.name).join(', ') || 'nothing'})`);
    return {
      format: 'npz', path, frames: xs[0].shape[1], persons: 2, joints: NTU25.joints.length, coords: 3, layout: NTU25.name,
      samples: Object.fromEntries(xs.map((a) => [a.name.slice(2), a.shape[0]])), arrays,
    };
  } finally {
    await npz.close();
  }
}

async function inspectCache(dir: string): Promise<InspectReport> {
  const cache = await readCache(dir);
  const ix = cache.index;
  let frames = 0;
  let valid = 0;
  const lo: number[] = new Array(ix.coords).fill(Infinity);
  const hi: number[] = new Array(ix.coords).fill(-Infinity);
  const samples: Record<string, number> = {};
  for (const s of SPLITS) {
    samples[s] = ix.splits[s].samples.length;
    for (let i = 0; i < samples[s]; i++) {
      const seq = cache.sequence(s, i);
      const sum = summarise(seq);
      frames += seq.frames;
      valid += sum.validFrames;
      Object.values(sum.ranges).forEach(([a, b], c) => { lo[c] = Math.min(lo[c], a); hi[c] = Math.max(hi[c], b); });
    }
  }
  const names = LAYOUTS[ix.layout].coordNames;
  const ranges = valid > 0 ? Object.fromEntries(names.map((n, c) => [n, [lo[c], hi[c]] as [number, number]])) : {};
  return {
    format: 'cache', path: dir, frames, persons: ix.persons, joints: ix.joints, coords: ix.coords, layout: ix.layout,
    validFrames: valid, ranges, samples, classes: ix.classes.length, benchmark: ix.benchmark,
  };
}

/** Sniffs the first bytes: a .skeleton starts with a frame count line, Kinetics JSON with "{". */
async function head(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, 64, 0);
    return buf.subarray(0, bytesRead).toString('latin1');
  } finally {
    await fh.close();
  }
}

/** `layoutHint` names the layout of a .npy whose joint count fits more than one (20: kinect20, msr20). */
export async function inspectPath(path: string, layoutHint?: LayoutName): Promise<InspectReport> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new UserError(`${path}: no such file or folder`);
  if (st.isDirectory()) {
    if (!(await stat(join(path, 'index.json')).catch(() => null))) throw new UserError(`${path}: a folder but not a dataset cache (no index.json)`);
    return inspectCache(path);
  }
  const start = await head(path);
  if (path.endsWith('.npy') || start.startsWith('\x93NUMPY')) return inspectNpy(path, layoutHint);
  if (path.endsWith('.npz') || start.startsWith('PK')) return inspectNpz(path);
  if (path.endsWith('.json') || start.trimStart().startsWith('{')) {
    const seq = await loadKineticsJson(path);
    return fromSequence('kinetics-json', path, seq, seq.label !== undefined ? kineticsClassNames()[seq.label] : undefined);
  }
  if (path.endsWith('.skeleton') || /^\s*\d+\s*\r?\n/.test(start)) {
    const seq = await loadSkeletonFile(path);
    const n = parseNtuName(path);
    return fromSequence('ntu-skeleton', path, seq, n && n.action <= 120 ? ntuClassNames(120)[n.action - 1] : undefined);
  }
  throw new UserError(`${path}: unknown format (expected an NTU .skeleton, a Kinetics-Skeleton .json, a .npy (C, T, V, M) array, an .npz or a dataset cache folder)`);
}

export function formatReport(r: InspectReport): string {
  const lines = [
    `${r.path}`,
    `  format      ${r.format}`,
    `  layout      ${r.layout} (${r.joints} joints × ${r.coords} coords, ${r.persons} persons)`,
    `  frames      ${r.frames}${r.validFrames === undefined ? '' : ` (${r.validFrames} valid)`}`,
  ];
  if (r.label !== undefined) lines.push(`  label       ${r.label}${r.className ? ` (${r.className})` : ''}`);
  if (r.samples) lines.push(`  samples     ${Object.entries(r.samples).map(([k, v]) => `${k} ${v}`).join(', ')}${r.classes ? `, ${r.classes} classes` : ''}${r.benchmark ? `, benchmark ${r.benchmark}` : ''}`);
  for (const a of r.arrays ?? []) lines.push(`  array       ${a.name} ${a.dtype} (${a.shape.join(', ')})`);
  for (const [k, [lo, hi]] of Object.entries(r.ranges ?? {})) lines.push(`  ${k.padEnd(11)} ${lo.toFixed(3)} .. ${hi.toFixed(3)}`);
  return lines.join('\n');
}
