/**
 * The batch iterator: samples of a cache split, preprocessed, stacked into [N, C, T, V, M] float32.
 *
 * Determinism: on its first `next()` the iterator draws the sample order and forks its own
 * augmentation generator from `rng`, and draws nothing from `rng` afterwards. So the batches of an
 * epoch depend only on the Rng state at the iterator's start: a resumed run that restores that state
 * draws the same batches, whatever else the caller does with `rng` in between.
 */
import type { Rng } from '../../common/rng.ts';
import type { Cache, SplitName } from './cache.ts';
import { preprocess, type PreprocessOptions } from './preprocess.ts';

export interface BatchOptions {
  batchSize: number;
  /** Shuffle the sample order (needs `rng`). */
  shuffle: boolean;
  /** Needed when shuffling or when `preprocess.train` draws random crops and rotations. */
  rng?: Rng;
  /** Drop the last batch when it has fewer than batchSize samples (default: yield it). */
  dropLast?: boolean;
  preprocess: Omit<PreprocessOptions, 'rng' | 'train'> & { train: boolean };
  /** The samples of the split to use (a validation or per-class subset); default all of them. */
  indices?: readonly number[];
}

export interface Batch {
  /** [N, C, T, V, M], N = size. */
  x: Float32Array;
  labels: Int32Array;
  size: number;
  /** Indices of the samples in the split, in batch order. */
  indices: number[];
}

/** How many batches `batches()` yields for a split. */
export function batchCount(cache: Cache, split: SplitName, batchSize: number, dropLast = false, indices?: readonly number[]): number {
  const n = indices ? indices.length : cache.index.splits[split].samples.length;
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

export function* batches(cache: Cache, split: SplitName, opts: BatchOptions): Generator<Batch> {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  if ((opts.shuffle || opts.preprocess.train) && !opts.rng) throw new Error('batches: shuffling or training augmentation needs an rng');
  const entries = cache.index.splits[split].samples;
  const order = opts.indices ? [...opts.indices] : entries.map((_, i) => i);
  if (opts.shuffle) opts.rng!.shuffle(order);
  const augment = opts.preprocess.train ? opts.rng!.fork() : undefined;
  const { frames: T, persons: M, layout } = opts.preprocess;
  const sampleSize = cache.index.coords * T * layout.joints.length * M;
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    if (indices.length < batchSize && opts.dropLast) return;
    const x = new Float32Array(indices.length * sampleSize);
    const labels = new Int32Array(indices.length);
    indices.forEach((i, n) => {
      x.set(preprocess(cache.sequence(split, i), { ...opts.preprocess, rng: augment }), n * sampleSize);
      labels[n] = entries[i].label;
    });
    yield { x, labels, size: indices.length, indices };
  }
}
