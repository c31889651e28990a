/**
 * `prepare`: turns a real dataset (NTU RGB+D raw files, CTR-GCN's .npz, Kinetics-Skeleton) into the
 * dataset cache (cache.ts). Every path writes through CacheWriter, so a failure or Ctrl-C leaves the
 * previous cache (or nothing) at the output path, never a half-written one.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError, atField } from 'cocodiff-runtime/shared/errors';
import { checkOutputDir } from '../../common/output-dir.ts';
import { progress } from '../../common/progress.ts';
import { onInterrupt } from '../../common/temporaries.ts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { CacheWriter, type CacheIndex, type CacheMeta, type SplitName } from './cache.ts';
import { parseNtuName } from 'cocodiff-runtime/shared/formats/ntu-name';
import { benchmarkClasses, ntuClassNames, ntuMissingSamples, ntuSplit, type NtuBenchmark } from './ntu-names.ts';
import { NTU_PERSONS } from 'cocodiff-runtime/shared/formats/ntu-skeleton';
import { Npz } from './npz.ts';
import { KINETICS_PERSONS } from 'cocodiff-runtime/shared/formats/kinetics';
import { kineticsClassNames, readKineticsLabels } from './kinetics.ts';
import { NTU25, OPENPOSE18 } from 'cocodiff-runtime/shared/layouts';
import { parseInOrder } from './parse-pool.ts';
import type { ParseTask } from './parse-task.ts';

export interface PrepareReport {
  index: CacheIndex;
  /** Samples left out, by reason, e.g. { 'official missing-skeleton list': 302 }. */
  skipped: Record<string, number>;
  seconds: number;
}

export interface PrepareOptions {
  /** Worker threads for parsing; 0 parses on the calling thread. Default: the cores available. */
  threads?: number;
  quiet?: boolean;
  /** Stops the run like Ctrl-C does (SIGINT and SIGTERM are always watched). */
  signal?: AbortSignal;
  /** Replace an earlier cache at the output path (never anything else; see common/output-dir.ts). */
  force?: boolean;
}

/** Recursively lists files whose name ends with `ext`, sorted, so the cache order is reproducible. */
export async function listFiles(dir: string, ext: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    throw new UserError(`${dir}: cannot read folder (${(err as NodeJS.ErrnoException).code})`);
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort((a, b) => (basename(a) < basename(b) ? -1 : basename(a) > basename(b) ? 1 : a < b ? -1 : 1));
}

/**
 * Runs `fill` against a new CacheWriter and commits it; on any error or SIGINT the writer is
 * aborted, so nothing appears at `out`.
 */
export async function writeCache(out: string, meta: CacheMeta, opts: PrepareOptions, inputs: string[], fill: (w: CacheWriter, checkInterrupt: () => void) => Promise<void>): Promise<CacheIndex> {
  const { signal } = opts;
  // Catch Ctrl-C before the partial directory exists, so no moment is left where it would survive.
  // A second Ctrl-C exits at once, removing the partial directory (common/temporaries.ts).
  let interrupted = false;
  const stopListening = onInterrupt(() => {
    interrupted = true;
  });
  let writer: CacheWriter | null = null;
  try {
    writer = await CacheWriter.create(out, meta, { force: opts.force, inputs });
    const check = (): void => {
      if (interrupted || signal?.aborted) throw new UserError(`interrupted: no cache written at ${out}`);
    };
    await fill(writer, check);
    check();
    if (writer.count('train') + writer.count('test') === 0) throw new UserError('no sample left to write: nothing to cache');
    return await writer.commit();
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    stopListening();
  }
}

/** Refuses an output path that may not be written before any input is read (CacheWriter checks again). */
export async function checkOut(out: string, opts: PrepareOptions, inputs: string[]): Promise<void> {
  await checkOutputDir(out, { kind: 'dataset cache', force: opts.force, inputs });
}

/** The reason counted for a sample with no body that is not all zeros, in every prepare path. */
export const ALL_ZERO = 'no valid frame (every body all zeros)';

export function bump(skipped: Record<string, number>, reason: string): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1;
}

/**
 * Writes parsed sequences in order, with a progress bar; `splitOf[i]` is task i's split. A sequence
 * whose every body is all zeros (a .skeleton whose only body is zeros) has no frame training can
 * use: it is counted in `skipped` instead of being stored for `train` to fail on.
 */
async function writeParsed(w: CacheWriter, check: () => void, label: string, tasks: ParseTask[], splitOf: SplitName[], labels: number[] | null, skipped: Record<string, number>, opts: PrepareOptions): Promise<void> {
  const bar = opts.quiet ? null : progress(label, tasks.length);
  let i = 0;
  try {
    for await (const seq of parseInOrder(tasks, opts.threads)) {
      check();
      if (labels) seq.label = labels[i];
      if (seq.data.some((v) => v !== 0)) await w.add(splitOf[i], seq);
      else bump(skipped, ALL_ZERO);
      i++;
      bar?.update(i);
    }
  } finally {
    bar?.stop();
  }
}

export async function prepareNtu(raw: string, benchmark: NtuBenchmark, out: string, opts: PrepareOptions = {}): Promise<PrepareReport> {
  const start = Date.now();
  await checkOut(out, opts, [raw]);
  const files = await listFiles(raw, '.skeleton');
  if (files.length === 0) throw new UserError(`${raw}: no .skeleton files found (expected NTU RGB+D files named SsssCcccPpppRrrrAaaa.skeleton)`);
  const classes = benchmarkClasses(benchmark);
  const missing = ntuMissingSamples(classes);
  const skipped: Record<string, number> = {};
  const tasks: ParseTask[] = [];
  const splitOf: SplitName[] = [];
  // The same sample can sit in two sub-folders (e.g. the NTU-60 and NTU-120 downloads unpacked side by side).
  const seen = new Set<string>();
  for (const path of files) {
    const n = parseNtuName(path);
    if (!n) { bump(skipped, 'name not SsssCcccPpppRrrrAaaa'); continue; }
    if (seen.has(basename(path))) { bump(skipped, 'duplicate file name'); continue; }
    seen.add(basename(path));
    const split = ntuSplit(n, benchmark);
    if (!split) { bump(skipped, `action outside 1..${classes}`); continue; }
    if (missing.has(basename(path, '.skeleton'))) { bump(skipped, 'official missing-skeleton list'); continue; }
    tasks.push({ kind: 'ntu-skeleton', path });
    splitOf.push(split);
  }
  const index = await writeCache(out, {
    layout: 'ntu25', persons: NTU_PERSONS, joints: NTU25.joints.length, coords: 3,
    classes: ntuClassNames(classes), benchmark, source: raw,
  }, opts, [raw], (w, check) => writeParsed(w, check, `prepare ntu ${benchmark}`, tasks, splitOf, null, skipped, opts));
  return { index, skipped, seconds: (Date.now() - start) / 1000 };
}

export async function prepareKinetics(root: string, out: string, opts: PrepareOptions = {}): Promise<PrepareReport> {
  const start = Date.now();
  await checkOut(out, opts, [root]);
  const classes = kineticsClassNames();
  const skipped: Record<string, number> = {};
  const tasks: ParseTask[] = [];
  const splitOf: SplitName[] = [];
  const labels: number[] = [];
  for (const [split, folder] of [['train', 'kinetics_train'], ['test', 'kinetics_val']] as const) {
    const labelFile = join(root, `${folder}_label.json`);
    const info = await readKineticsLabels(labelFile, classes.length);
    const files = await listFiles(join(root, folder), '.json');
    if (files.length === 0) throw new UserError(`${join(root, folder)}: no .json files found (expected one Kinetics-Skeleton JSON per video)`);
    const before = tasks.length;
    let unlisted = 0;
    let noSkeleton = 0;
    for (const path of files) {
      const e = info.get(basename(path, '.json'));
      if (!e) { unlisted++; bump(skipped, `not in its split's label file`); continue; }
      if (!e.has_skeleton) { noSkeleton++; bump(skipped, 'has_skeleton false'); continue; }
      tasks.push({ kind: 'kinetics-json', path, classes: classes.length });
      splitOf.push(split);
      labels.push(e.label_index);
    }
    // A split with nothing usable is a mismatched label file or folder, not a dataset to train on.
    if (tasks.length === before) {
      throw new UserError(`${join(root, folder)}: none of its ${files.length} videos is usable (${unlisted} not in ${labelFile}, ${noSkeleton} with has_skeleton false); no cache written`);
    }
  }
  const index = await writeCache(out, {
    layout: 'openpose18', persons: KINETICS_PERSONS, joints: OPENPOSE18.joints.length, coords: 3,
    classes, benchmark: 'kinetics', source: root,
  }, opts, [root], (w, check) => writeParsed(w, check, 'prepare kinetics', tasks, splitOf, labels, skipped, opts));
  return { index, skipped, seconds: (Date.now() - start) / 1000 };
}

/** Labels of a y array: one-hot (N, K) → argmax (K fixed by the shape), or integers (N,) (K open). */
function decodeLabels(y: { shape: number[]; data: Float32Array }, field: string, file: string): { labels: Int32Array; classes: number | null } {
  if (y.shape.length === 2) {
    const [n, k] = y.shape;
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const row = y.data.subarray(i * k, (i + 1) * k);
      let best = 0;
      for (let j = 1; j < k; j++) if (row[j] > row[best]) best = j;
      if (row[best] <= 0) throw atField(file, `${field}[${i}]`, `expected a one-hot row of ${k} values, found no positive entry`);
      labels[i] = best;
    }
    return { labels, classes: k };
  }
  if (y.shape.length === 1) {
    const labels = Int32Array.from(y.data);
    labels.forEach((l, i) => {
      if (l !== y.data[i] || l < 0 || l >= 120) throw atField(file, `${field}[${i}]`, `label ${y.data[i]} out of range (expected an integer in 0..119)`);
    });
    return { labels, classes: null };
  }
  throw atField(file, field, `expected shape (N, classes) one-hot or (N,) integer labels, found (${y.shape.join(', ')})`);
}

/**
 * CTR-GCN's preprocessed NTU arrays: x_* (N, T, 150) with frame values ordered m·75 + v·3 + c, which
 * is exactly a Sequence frame (2 persons × 25 joints × 3). Valid frames are those whose values do
 * not sum to zero (CTR-GCN's own test); they are stored ragged. x_* is streamed row by row.
 */
export async function prepareNpz(file: string, out: string, opts: PrepareOptions = {}): Promise<PrepareReport> {
  const start = Date.now();
  await checkOut(out, opts, [file]);
  const npz = await Npz.open(file);
  try {
    const skipped: Record<string, number> = {};
    const ys: Partial<Record<SplitName, Int32Array>> = {};
    // One-hot labels fix the class count by their width; integer labels leave it to the largest label.
    let classes = 0;
    let fixedBy = '';
    for (const split of ['train', 'test'] as const) {
      const { labels, classes: k } = decodeLabels(await npz.array(`y_${split}`), `y_${split}`, file);
      ys[split] = labels;
      if (k === null) continue;
      if (k !== 60 && k !== 120) throw atField(file, `y_${split}`, `${k} classes: expected 60 (NTU-60) or 120 (NTU-120)`);
      if (fixedBy && k !== classes) throw atField(file, `y_${split}`, `${k} classes while ${fixedBy} has ${classes}`);
      classes = k;
      fixedBy = `y_${split}`;
    }
    const maxLabel = Math.max(...(['train', 'test'] as const).map((s) => ys[s]!.reduce((a, b) => Math.max(a, b), 0)));
    if (!fixedBy) classes = maxLabel < 60 ? 60 : 120;
    const frameValues = NTU_PERSONS * NTU25.joints.length * 3;
    const readers = { train: await npz.rows('x_train'), test: await npz.rows('x_test') };
    for (const split of ['train', 'test'] as const) {
      const h = readers[split].header;
      if (h.shape.length !== 3 || h.shape[2] !== frameValues) throw atField(`${file}:x_${split}`, 'shape', `expected (N, frames, ${frameValues}) = 2 persons × 25 joints × 3, found (${h.shape.join(', ')})`);
      if (h.shape[0] !== ys[split]!.length) throw atField(`${file}:x_${split}`, 'shape', `${h.shape[0]} samples but y_${split} has ${ys[split]!.length} labels`);
    }
    const total = readers.train.rows + readers.test.rows;
    const index = await writeCache(out, {
      layout: 'ntu25', persons: NTU_PERSONS, joints: NTU25.joints.length, coords: 3,
      classes: ntuClassNames(classes as 60 | 120), benchmark: basename(file, '.npz'), source: file,
    }, opts, [file], async (w, check) => {
      const bar = opts.quiet ? null : progress('prepare npz', total);
      let done = 0;
      try {
        for (const split of ['train', 'test'] as const) {
          const reader = readers[split];
          const frames = reader.header.shape[1];
          const row = new Float32Array(reader.rowElements);
          for (let i = 0; i < reader.rows; i++) {
            check();
            await reader.readRow(i, row);
            const seq = validFrames(row, frames, frameValues);
            done++;
            bar?.update(done);
            if (!seq) { bump(skipped, ALL_ZERO); continue; }
            await w.add(split, { ...seq, layout: 'ntu25', persons: NTU_PERSONS, joints: NTU25.joints.length, coords: 3, label: ys[split]![i], name: `x_${split}[${i}]`, source: file });
          }
        }
      } finally {
        bar?.stop();
        await Promise.all([readers.train.close(), readers.test.close()]);
      }
    });
    return { index, skipped, seconds: (Date.now() - start) / 1000 };
  } finally {
    await npz.close();
  }
}

/** The frames of a padded row whose values do not sum to zero, packed; null if there are none. */
function validFrames(row: Float32Array, frames: number, frameValues: number): Pick<Sequence, 'frames' | 'data'> | null {
  const keep: number[] = [];
  for (let t = 0; t < frames; t++) {
    let sum = 0;
    for (let i = t * frameValues; i < (t + 1) * frameValues; i++) sum += row[i];
    if (sum !== 0) keep.push(t);
  }
  if (keep.length === 0) return null;
  const data = new Float32Array(keep.length * frameValues);
  keep.forEach((t, k) => data.set(row.subarray(t * frameValues, (t + 1) * frameValues), k * frameValues));
  return { frames: keep.length, data };
}
