/**
 * `cocodiff compare A B`: two evaluations of the same samples (two streams, a stream and an
 * ensemble, a baseline and CoCoDiff), paired sample by sample. The same test clips scored twice
 * differ only where one model is right and the other wrong, so the paired difference is far tighter
 * than comparing two accuracies: its 95 % interval is that of the mean per-sample difference, and
 * McNemar's exact test asks whether the samples only B gets right outnumber those only A gets right
 * by more than chance. Both say how much the test set's sampling could move the difference; neither
 * knows how much another training seed would (the cv and ablate tables measure that).
 */
import { UserError } from 'cocodiff-runtime/shared/errors';
import { pairedDifference, type MeanInterval } from '../cocodiff/stats-paired.ts';
import type { PredictionLine, Predictions } from './predictions-file.ts';

export interface PairedAccuracy {
  /** Accuracy of A and of B over the paired samples. */
  a: number;
  b: number;
  /** B − A: the mean per-sample difference with its 95 % interval. */
  difference: MeanInterval;
  /** Samples only B gets right, only A gets right. */
  onlyB: number;
  onlyA: number;
  /** McNemar's exact two-sided p-value of onlyB against onlyA. */
  p: number;
}

export interface ClassComparison {
  label: string;
  samples: number;
  a: number;
  b: number;
  onlyB: number;
  onlyA: number;
  /** McNemar's exact p of this class's onlyB against onlyA (one test per class: read it knowing there are as many as classes). */
  p: number;
}

export interface Comparison {
  samples: number;
  top1: PairedAccuracy;
  top5: PairedAccuracy;
  /** Top-1 per true class, classes in name order. */
  perClass: ClassComparison[];
}

/**
 * McNemar's exact test: under "A and B are equally good", each of the n = b + c discordant samples
 * is B's with probability 1/2, so p = P(X ≤ min(b, c)) · 2 (capped at 1) for X ~ Binomial(n, 1/2).
 * Summed in log space: 2⁻ⁿ underflows beyond n = 1,074.
 */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  let logTerm = -n * Math.LN2;
  const logs = [logTerm];
  for (let k = 0; k < Math.min(b, c); k++) {
    logTerm += Math.log((n - k) / (k + 1));
    logs.push(logTerm);
  }
  const top = Math.max(...logs);
  const tail = Math.exp(top) * logs.reduce((s, l) => s + Math.exp(l - top), 0);
  return Math.min(1, 2 * tail);
}

/** The paired difference of two per-sample right/wrong lists (stats-paired.ts's, keyed by sample instead of seed). */
function paired(rightA: boolean[], rightB: boolean[]): PairedAccuracy {
  const bySample = (r: boolean[]): Map<number, number> => new Map(r.map((right, i) => [i, Number(right)]));
  const { mean, std, low, high, better, worse } = pairedDifference(bySample(rightA), bySample(rightB));
  const share = (r: boolean[]): number => r.filter(Boolean).length / r.length;
  return { a: share(rightA), b: share(rightB), difference: { mean, std, low, high }, onlyB: better, onlyA: worse, p: mcnemarExact(better, worse) };
}

/**
 * Pairs A's and B's lines in order. They must be the same samples with the same labels: two
 * evaluations of one split of one dataset cache (the order of the split is the cache's).
 */
export function comparePredictions(first: Predictions, second: Predictions): Comparison {
  const [a, b, fileA, fileB] = [first.lines, second.lines, first.file, second.file];
  if (a.length !== b.length) {
    throw new UserError(`${fileA} scores ${a.length} samples and ${fileB} ${b.length}: compare two evaluations of the same split of the same dataset cache`);
  }
  a.forEach((x, i) => {
    const y = b[i];
    if (x.sample !== y.sample) throw new UserError(`sample ${i + 1} is ${JSON.stringify(x.sample)} in ${fileA} but ${JSON.stringify(y.sample)} in ${fileB}: compare two evaluations of the same split of the same dataset cache`);
    if (x.label !== y.label) throw new UserError(`sample ${JSON.stringify(x.sample)} is labelled ${JSON.stringify(x.label)} in ${fileA} but ${JSON.stringify(y.label)} in ${fileB}: the two datasets name their classes differently`);
  });
  const right = (rows: PredictionLine[], top: number): boolean[] => rows.map((r) => r.top5.slice(0, top).includes(r.label));
  const labels = [...new Set(a.map((r) => r.label))].sort();
  const perClass = labels.map((label) => {
    const at = a.flatMap((r, i) => (r.label === label ? [i] : []));
    const { a: accA, b: accB, onlyB, onlyA, p } = paired(at.map((i) => a[i].top5[0] === label), at.map((i) => b[i].top5[0] === label));
    return { label, samples: at.length, a: accA, b: accB, onlyB, onlyA, p };
  });
  return { samples: a.length, top1: paired(right(a, 1), right(b, 1)), top5: paired(right(a, 5), right(b, 5)), perClass };
}
