/**
 * Classification metrics on plain arrays: scores are row-major [N][K] (logits or probabilities;
 * ranking is all that matters), labels are class indices. Ties rank the lower class first, so the
 * numbers do not depend on sort stability.
 */

export interface ClassificationReport {
  samples: number;
  top1: number;
  top5: number;
  /** Accuracy of each class over its own samples; NaN for a class with no sample. */
  perClass: number[];
  /** confusion[true][predicted] = count. */
  confusion: number[][];
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
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let hit1 = 0;
  let hit5 = 0;
  for (let i = 0; i < n; i++) {
    const pred = argmax(scores, numClasses, i);
    confusion[labels[i]][pred]++;
    if (pred === labels[i]) hit1++;
    if (inTopK(scores, numClasses, i, labels[i], 5)) hit5++;
  }
  const perClass = confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? NaN : row[c] / total;
  });
  return { samples: n, top1: n ? hit1 / n : NaN, top5: n ? hit5 / n : NaN, perClass, confusion };
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
 * The multi-stream ensemble of the CTR-GCN papers: add the softmax scores of several models
 * (e.g. joint, bone, joint-motion, bone-motion) sample by sample, optionally weighted.
 */
export function ensembleScores(logitsPerModel: Float32Array[], k: number, weights?: number[]): Float32Array {
  if (logitsPerModel.length === 0) throw new Error('ensemble of no model');
  const n = logitsPerModel[0].length;
  const out = new Float32Array(n);
  logitsPerModel.forEach((logits, m) => {
    if (logits.length !== n) throw new Error(`ensemble member ${m}: ${logits.length} scores, expected ${n}`);
    const p = softmaxRows(logits, k);
    const w = weights?.[m] ?? 1;
    for (let j = 0; j < n; j++) out[j] += w * p[j];
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
