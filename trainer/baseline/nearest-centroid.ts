/**
 * Nearest-centroid classifier on raw joints: the floor a learned model must clear.
 *
 * Each sample is preprocessed exactly as at test time (valid-frame centred crop, resize to T frames,
 * centring, joint modality) and flattened; a class is the mean of its training vectors, and a test
 * sample takes the class of the nearest mean (Euclidean). It sees where the joints are at each moment
 * of a time-normalised clip but cannot learn which motions matter, so it measures how far
 * "average pose trajectory" alone gets on a dataset.
 */
import { layoutByName } from 'cocodiff-runtime/shared/layouts';
import type { Cache, SplitName } from '../data/cache.ts';
import { preprocess, type PreprocessOptions } from '../data/preprocess.ts';

export interface BaselineOptions {
  /** Frames after resize (default 64, the model's input length). */
  frames?: number;
  /** Progress callback over train + test samples. */
  onProgress?: (done: number, total: number) => void;
}

export interface BaselineResult {
  top1: number;
  correct: number;
  total: number;
  /** Per class: test samples and how many were right, in class order. */
  perClass: { label: string; total: number; correct: number }[];
  /** [N][K] row-major: minus each sample's squared distance to each centroid (−∞ for a class with none), the ranking the classifier uses. */
  scores: Float64Array;
}

function testOptions(cache: Cache, frames: number): PreprocessOptions {
  const layout = layoutByName(cache.index.layout);
  return { frames, persons: cache.index.persons, modality: 'joint', layout, train: false };
}

/** Class means of the preprocessed, flattened training samples: [K][D] row-major. */
export function fitCentroids(cache: Cache, opts: BaselineOptions = {}): Float64Array[] {
  const pre = testOptions(cache, opts.frames ?? 64);
  const K = cache.index.classes.length;
  const samples = cache.index.splits.train.samples;
  const sums: Float64Array[] = [];
  const counts = new Array<number>(K).fill(0);
  samples.forEach((entry, i) => {
    const x = preprocess(cache.sequence('train', i), pre);
    const sum = (sums[entry.label] ??= new Float64Array(x.length));
    for (let d = 0; d < x.length; d++) sum[d] += x[d];
    counts[entry.label]++;
    opts.onProgress?.(i + 1, samples.length);
  });
  // A class with no training sample gets no centroid (an empty array never wins).
  return Array.from({ length: K }, (_, k) => (counts[k] ? sums[k].map((s) => s / counts[k]) : new Float64Array(0)));
}

/** Squared distance from x to each centroid; Infinity to a class without one (it never wins). */
function distances(centroids: Float64Array[], x: Float32Array): number[] {
  return centroids.map((c) => {
    if (c.length !== x.length) return Infinity;
    let d = 0;
    for (let i = 0; i < x.length; i++) d += (x[i] - c[i]) ** 2;
    return d;
  });
}

/** The class of the nearest centroid (the lower class on a tie); −1 when no class has one. */
export function nearest(centroids: Float64Array[], x: Float32Array): number {
  return argNearest(distances(centroids, x));
}

function argNearest(d: number[]): number {
  let best = -1;
  d.forEach((v, k) => {
    if (v < (best < 0 ? Infinity : d[best])) best = k;
  });
  return best;
}

/** Fits on the train split and scores top-1 on `split` (default test). */
export function nearestCentroidBaseline(cache: Cache, opts: BaselineOptions & { split?: SplitName } = {}): BaselineResult {
  const split = opts.split ?? 'test';
  const nTrain = cache.index.splits.train.samples.length;
  const samples = cache.index.splits[split].samples;
  const total = nTrain + samples.length;
  const centroids = fitCentroids(cache, { ...opts, onProgress: (d) => opts.onProgress?.(d, total) });
  const pre = testOptions(cache, opts.frames ?? 64);
  const K = cache.index.classes.length;
  const perClass = cache.index.classes.map((label) => ({ label, total: 0, correct: 0 }));
  const scores = new Float64Array(samples.length * K);
  let correct = 0;
  samples.forEach((entry, i) => {
    const d = distances(centroids, preprocess(cache.sequence(split, i), pre));
    d.forEach((v, k) => (scores[i * K + k] = -v));
    const hit = argNearest(d) === entry.label;
    perClass[entry.label].total++;
    if (hit) {
      perClass[entry.label].correct++;
      correct++;
    }
    opts.onProgress?.(nTrain + i + 1, total);
  });
  return { top1: samples.length ? correct / samples.length : 0, correct, total: samples.length, perClass, scores };
}
