/**
 * The dataset cache: what `prepare` and `synth` write and what training reads.
 *
 *   DIR/index.json   { format, version, layout, persons, joints, coords, classes, benchmark, source,
 *                      splits: { train: { file, samples: [{ name, label, frames, offset }] }, test: ... } }
 *   DIR/train.bin    float32 LE, each sample frame-major [frames][persons][joints][coords], back to back;
 *   DIR/test.bin     `offset` is the sample's first float (not byte) in its file.
 *
 * Samples are ragged (only their valid frames are stored), which keeps NTU-60 about 4× smaller than
 * CTR-GCN's 300-frame padded arrays. A cache is written into a temporary directory and swapped into
 * place on `commit()` (common/atomic.ts), so an interrupted `prepare` never leaves a half-written
 * cache, and an existing directory is replaced only when it is an earlier cache and the caller says so.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { abortDirAtomic, beginDirAtomic, commitDirAtomic } from '../../common/atomic.ts';
import { writeFailure } from '../../common/fs-errors.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { checkHeader, classNamesProblem, fieldChecks, isObject, parseJson } from 'cocodiff-runtime/shared/json-fields';
import type { OutputOptions } from '../../common/output-dir.ts';
import { LAYOUT_LIST, LAYOUTS, isLayoutName, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { badCoordinate, firstBadCoordinate, frameSize, locate, type Sequence } from 'cocodiff-runtime/shared/sequence';
import { readInputBytes, readOptionalInputText } from 'cocodiff-runtime/shared/formats/read-input';

export const CACHE_FORMAT = 'cocodiff-cache';
export const CACHE_VERSION = 1;
export type SplitName = 'train' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'test'];
/** Bounds a cache's shape fields are checked against (real data has 1-4 persons and 2-3 coordinates). */
const MAX_PERSONS = 16;
const MAX_COORDS = 16;

/** A data file named in index.json: a plain name, so it resolves inside the cache directory. */
function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[\\/\0]/.test(name) && basename(name) === name;
}


export interface SampleEntry {
  name: string;
  label: number;
  frames: number;
  offset: number;
}

export interface CacheMeta {
  layout: LayoutName;
  persons: number;
  joints: number;
  coords: number;
  classes: string[];
  /** xsub, xview, xsub120, xset120, synthetic-subject, ... */
  benchmark: string | null;
  /** What the cache was made from (a folder, a file, "synthetic seed 1"). */
  source: string;
}

export interface CacheIndex extends CacheMeta {
  format: typeof CACHE_FORMAT;
  version: number;
  splits: Record<SplitName, { file: string; samples: SampleEntry[] }>;
}

export interface CacheSplit {
  samples: SampleEntry[];
  data: Float32Array;
}

export interface Cache {
  dir: string;
  index: CacheIndex;
  split(name: SplitName): CacheSplit;
  /** Sample i of a split as a Sequence whose data is a view into the split (no copy). */
  sequence(name: SplitName, i: number): Sequence;
}

/**
 * Streams samples into a new cache; nothing is visible at `dir` until `commit()`. The first write
 * error (a full disk) stops both streams, and the next `add` or `commit` throws it, naming `dir`:
 * nothing goes on writing into a temporary the caller is about to remove.
 */
export class CacheWriter {
  private readonly streams: Record<SplitName, WriteStream>;
  private readonly samples: Record<SplitName, SampleEntry[]> = { train: [], test: [] };
  private readonly floats: Record<SplitName, number> = { train: 0, test: 0 };
  private failure: Error | null = null;

  private constructor(readonly dir: string, private readonly tmp: string, private readonly meta: CacheMeta, private readonly output: OutputOptions) {
    const open = (name: string): WriteStream => createWriteStream(join(tmp, name)).on('error', (err) => this.fail(err));
    this.streams = { train: open('train.bin'), test: open('test.bin') };
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const s of SPLITS) this.streams[s].destroy();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Writes to a split's stream, waiting while its buffer is full; throws the first failure of either stream. */
  private async write(split: SplitName, bytes: Buffer): Promise<void> {
    this.throwIfFailed();
    const stream = this.streams[split];
    if (!stream.write(bytes) && !stream.destroyed) {
      await new Promise<void>((resolve) => {
        const go = (): void => {
          stream.off('drain', go).off('close', go);
          resolve();
        };
        stream.on('drain', go).on('close', go);
      });
    }
    this.throwIfFailed();
  }

  /**
   * Starts a cache at `dir`. An existing directory there is replaced only when it is an earlier
   * cache and `force` is set, never when it holds one of `inputs` (common/output-dir.ts).
   */
  static async create(dir: string, meta: CacheMeta, opts: { force?: boolean; inputs?: readonly string[] } = {}): Promise<CacheWriter> {
    const output: OutputOptions = { kind: 'dataset cache', ...opts };
    return new CacheWriter(dir, await beginDirAtomic(dir, output), meta, output);
  }

  /** Appends one sample to a split. Its shape must match the cache's persons, joints and coords. */
  async add(split: SplitName, seq: Sequence): Promise<void> {
    const { persons, joints, coords } = this.meta;
    if (seq.persons !== persons || seq.joints !== joints || seq.coords !== coords) {
      throw new Error(`sample ${seq.name}: shape ${seq.persons}×${seq.joints}×${seq.coords} per frame, cache expects ${persons}×${joints}×${coords}`);
    }
    if (seq.label === undefined || seq.label < 0 || seq.label >= this.meta.classes.length) {
      throw new UserError(`sample ${seq.name ?? '?'}: label ${seq.label} outside 0..${this.meta.classes.length - 1}`);
    }
    const n = seq.frames * frameSize(seq);
    if (seq.data.length !== n) throw new Error(`sample ${seq.name}: ${seq.data.length} values for ${seq.frames} frames`);
    // The last door before training: whatever the loader, no NaN, infinity or absurd value enters a cache.
    const bad = firstBadCoordinate(seq.data);
    if (bad >= 0) throw new UserError(`${seq.source ?? 'sample'}${seq.name ? ` (sample ${seq.name})` : ''}, ${locate(seq, bad)}: ${badCoordinate(seq.data[bad])}`);
    this.samples[split].push({ name: seq.name ?? `${split}-${this.samples[split].length}`, label: seq.label, frames: seq.frames, offset: this.floats[split] });
    this.floats[split] += n;
    const bytes = Buffer.from(seq.data.buffer, seq.data.byteOffset, seq.data.byteLength);
    // Copy: the caller may reuse its buffer, and the stream holds on to what it is given.
    try {
      await this.write(split, Buffer.from(bytes));
    } catch (err) {
      throw writeFailure(err, this.dir, this.output.kind);
    }
  }

  count(split: SplitName): number {
    return this.samples[split].length;
  }

  async commit(): Promise<CacheIndex> {
    const index: CacheIndex = {
      format: CACHE_FORMAT,
      version: CACHE_VERSION,
      ...this.meta,
      splits: {
        train: { file: 'train.bin', samples: this.samples.train },
        test: { file: 'test.bin', samples: this.samples.test },
      },
    };
    try {
      this.throwIfFailed();
      await Promise.all(SPLITS.map((s) => new Promise<void>((resolve, reject) => this.streams[s].end((err?: Error | null) => (err ? reject(err) : resolve())))));
      this.throwIfFailed();
      await writeFile(join(this.tmp, 'index.json'), JSON.stringify(index) + '\n');
    } catch (err) {
      throw writeFailure(err, this.dir, this.output.kind);
    }
    await commitDirAtomic(this.tmp, this.dir, this.output);
    return index;
  }

  /** Drops everything written so far (a failed or interrupted prepare). */
  async abort(): Promise<void> {
    for (const s of SPLITS) this.streams[s].destroy();
    await abortDirAtomic(this.tmp);
  }
}

/**
 * Reads a cache, checking its index against the data files before anything trains on it: every
 * field, data files that are plain names inside `dir` (never a path that leads out of it), sizes,
 * and every value finite.
 */
export async function readCache(dir: string): Promise<Cache> {
  const indexPath = join(dir, 'index.json');
  const text = await readOptionalInputText(indexPath, 'the cache index');
  if (text === undefined) throw new UserError(`${dir}: not a dataset cache (no index.json; make one with \`cocodiff prepare\` or \`cocodiff synth\`)`);
  const index = parseJson(text, indexPath) as CacheIndex;
  const need = fieldChecks(indexPath);
  checkHeader(index, need, { format: CACHE_FORMAT, version: CACHE_VERSION, what: 'dataset cache' });
  need(isLayoutName(index.layout), 'layout', `expected one of ${LAYOUT_LIST}, found ${JSON.stringify(index.layout)}`);
  need(index.joints === LAYOUTS[index.layout].joints.length, 'joints', `layout ${index.layout} has ${LAYOUTS[index.layout].joints.length} joints, found ${JSON.stringify(index.joints)}`);
  need(Number.isInteger(index.persons) && index.persons > 0 && index.persons <= MAX_PERSONS, 'persons', `expected an integer in 1..${MAX_PERSONS}, found ${JSON.stringify(index.persons)}`);
  need(Number.isInteger(index.coords) && index.coords > 0 && index.coords <= MAX_COORDS, 'coords', `expected an integer in 1..${MAX_COORDS}, found ${JSON.stringify(index.coords)}`);
  const classes = classNamesProblem(index.classes);
  need(classes === undefined, 'classes', classes!);
  need(isObject(index.splits), 'splits', 'expected { train, test }');
  const per = index.persons * index.joints * index.coords;
  const data: Partial<Record<SplitName, Float32Array>> = {};
  for (const s of SPLITS) {
    const split = index.splits[s];
    need(isObject(split) && Array.isArray(split.samples), `splits.${s}`, 'expected { file, samples }');
    need(isPlainFileName(split.file), `splits.${s}.file`, `expected a file name inside the cache directory, found ${JSON.stringify(split.file)}`);
    let floats = 0;
    split.samples.forEach((e, i) => {
      need(isObject(e), `splits.${s}.samples[${i}]`, 'expected { name, label, frames, offset }');
      need(Number.isInteger(e.label) && e.label >= 0 && e.label < index.classes.length, `splits.${s}.samples[${i}].label`, `expected 0..${index.classes.length - 1}, found ${JSON.stringify(e.label)}`);
      need(Number.isInteger(e.frames) && e.frames > 0, `splits.${s}.samples[${i}].frames`, `expected a positive integer, found ${JSON.stringify(e.frames)}`);
      need(e.offset === floats, `splits.${s}.samples[${i}].offset`, `expected ${floats}, found ${JSON.stringify(e.offset)}`);
      floats += e.frames * per;
    });
    const binPath = join(dir, split.file);
    const st = await stat(binPath).catch(() => null);
    if (!st?.isFile()) throw new UserError(`${binPath}: ${st ? 'not a file' : 'missing'}; index.json describes ${floats * 4} bytes of ${s} samples`);
    if (st.size !== floats * 4) throw new UserError(`${binPath}: ${st.size} bytes, index.json describes ${floats * 4} bytes (truncated or mismatched cache)`);
    const buf = await readInputBytes(binPath, `the cache's ${s} samples`);
    // A Float32Array view needs 4-byte alignment; copy in the rare case the Buffer is not aligned.
    const values = buf.byteOffset % 4 === 0 ? new Float32Array(buf.buffer, buf.byteOffset, floats) : new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + floats * 4));
    const bad = firstBadCoordinate(values);
    if (bad >= 0) {
      const k = split.samples.findIndex((e) => bad < e.offset + e.frames * per);
      const e = split.samples[k];
      throw new UserError(`${binPath}: ${s} sample ${k} (${JSON.stringify(e.name)}), ${locate(index, bad - e.offset)}: ${badCoordinate(values[bad])} (re-make the cache with \`cocodiff prepare\`)`);
    }
    data[s] = values;
  }
  const splitOf = (s: SplitName): CacheSplit => ({ samples: index.splits[s].samples, data: data[s]! });
  return {
    dir,
    index,
    split: splitOf,
    sequence(s, i) {
      const e = index.splits[s].samples[i];
      if (!e) throw new RangeError(`${s} sample ${i} of ${index.splits[s].samples.length}`);
      return {
        layout: index.layout,
        frames: e.frames,
        persons: index.persons,
        joints: index.joints,
        coords: index.coords,
        data: data[s]!.subarray(e.offset, e.offset + e.frames * per),
        label: e.label,
        name: e.name,
        source: dir,
      };
    },
  };
}
