/**
 * Classification metrics on plain arrays: scores are row-major [N][K] (logits or probabilities;
 * ranking is all that matters), labels are class indices. Ties rank the lower class first, so the
 * numbers do not depend on sort stability.
 */

/**
 * The most classes whose full confusion matrix is kept and drawn: Kinetics-400's 160,000 cells.
 * The matrix grows with the square of the classes (10,000 classes: 10^8 cells, 800 MB as numbers,
 * more as JSON or SVG), while its non-zero cells are at most one per sample; above this only those
 * cells are kept (`cells`).
 */
export const CONFUSION_MATRIX_CLASSES = 400;

/** One non-zero cell of the confusion matrix. */
export interface ConfusionCell {
  true: number;
  predicted: number;
  count: number;
}

export interface ClassificationReport {
  samples: number;
  top1: number;
  top5: number;
  /** Accuracy of each class over its own samples; NaN for a class with no sample. */
  perClass: number[];
  /** confusion[true][predicted] = count; null above CONFUSION_MATRIX_CLASSES classes. */
  confusion: number[][] | null;
  /** The non-zero cells, most frequent first (ties by true, then predicted class): at most one per sample. */
  cells: ConfusionCell[];
}

/** Index of the largest score in row i. */
export function argmax(scores: Float32Array, k: number, i: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (scores[i * k + c] > scores[i * k + best]) best = c;
  return best;
}

/** Whether the label is among the `top` highest scores of row i (strictly higher scores outrank it, ties go to lower classes). */
export function inTopK(scores: Float32Array, k: number, i: number, label: number, top: number): boolean {
  const own = scores[i * k + label];
  let above = 0;
  for (let c = 0; c < k; c++) {
    const s = scores[i * k + c];
    if (s > own || (s === own && c < label)) above++;
  }
  return above < top;
}

export function classificationReport(scores: Float32Array, labels: ArrayLike<number>, numClasses: number): ClassificationReport {
  const n = labels.length;
  if (scores.length !== n * numClasses) throw new Error(`scores: ${scores.length} values for ${n} samples × ${numClasses} classes`);
  // Counts by cell index true·K + predicted: memory grows with the samples, not with K².
  const counts = new Map<number, number>();
  const totals = new Float64Array(numClasses);
  const correct = new Float64Array(numClasses);
  let hit1 = 0;
  let hit5 = 0;
  for (let i = 0; i < n; i++) {
    const pred = argmax(scores, numClasses, i);
    const cell = labels[i] * numClasses + pred;
    counts.set(cell, (counts.get(cell) ?? 0) + 1);
    totals[labels[i]]++;
    if (pred === labels[i]) {
      hit1++;
      correct[pred]++;
    }
    if (inTopK(scores, numClasses, i, labels[i], 5)) hit5++;
  }
  const perClass = Array.from(totals, (total, c) => (total === 0 ? NaN : correct[c] / total));
  const cells = [...counts].map(([cell, count]) => ({ true: Math.floor(cell / numClasses), predicted: cell % numClasses, count }))
    .sort((a, b) => b.count - a.count || a.true - b.true || a.predicted - b.predicted);
  let confusion: number[][] | null = null;
  if (numClasses <= CONFUSION_MATRIX_CLASSES) {
    confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
    for (const c of cells) confusion[c.true][c.predicted] = c.count;
  }
  return { samples: n, top1: n ? hit1 / n : NaN, top5: n ? hit5 / n : NaN, perClass, confusion, cells };
}

/** Row-wise softmax of [N][K] logits, computed stably in float64. */
export function softmaxRows(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length / k; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[i * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logits[i * k + c] - max);
    for (let c = 0; c < k; c++) out[i * k + c] = Math.exp(logits[i * k + c] - max) / sum;
  }
  return out;
}

/**
 * How an ensemble adds its members' scores: `logits` adds the raw class scores, as CTR-GCN's
 * `ensemble.py` does (so a member's weight scales how far its scores spread); `softmax` adds the
 * probabilities, each member's bounded by 1 (a very sure member counts no more than a sure one).
 */
export const ENSEMBLE_FUSIONS = ['logits', 'softmax'] as const;
export type EnsembleFusion = (typeof ENSEMBLE_FUSIONS)[number];

/**
 * The multi-stream ensemble of the CTR-GCN papers: add the scores of several models (e.g. joint,
 * bone, joint-motion, bone-motion) sample by sample, optionally weighted, as logits (the authors'
 * rule, the default) or as softmax probabilities.
 */
export function ensembleScores(logitsPerModel: Float32Array[], k: number, weights?: number[], fusion: EnsembleFusion = 'logits'): Float32Array {
  if (logitsPerModel.length === 0) throw new Error('ensemble of no model');
  const n = logitsPerModel[0].length;
  const out = new Float32Array(n);
  logitsPerModel.forEach((logits, m) => {
    if (logits.length !== n) throw new Error(`ensemble member ${m}: ${logits.length} scores, expected ${n}`);
    const scores = fusion === 'softmax' ? softmaxRows(logits, k) : logits;
    const w = weights?.[m] ?? 1;
    for (let j = 0; j < n; j++) out[j] += w * scores[j];
  });
  return out;
}

/** Mean cross-entropy of [N][K] logits against labels (natural log), in float64. */
export function meanCrossEntropy(logits: Float32Array, labels: ArrayLike<number>, k: number): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[i * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logits[i * k + c] - max);
    total += Math.log(sum) + max - logits[i * k + labels[i]];
  }
  return total / labels.length;
}
