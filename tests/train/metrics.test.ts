import { describe, expect, it } from 'vitest';
import { classificationReport, ensembleScores, meanCrossEntropy, softmaxRows } from '../../trainer/train/metrics.ts';

describe('classification metrics', () => {
  // 3 classes, 6 samples whose predictions we control.
  const scores = new Float32Array([
    9, 1, 0, // label 0 → predicts 0 ✓
    0, 9, 1, // label 0 → predicts 1 ✗ (0 is 3rd)
    1, 9, 0, // label 1 → predicts 1 ✓
    0, 1, 9, // label 1 → predicts 2 ✗ (1 is 2nd)
    0, 0, 9, // label 2 → predicts 2 ✓
    9, 0, 1, // label 2 → predicts 0 ✗
  ]);
  const labels = [0, 0, 1, 1, 2, 2];

  it('counts top-1, per-class accuracy and the confusion matrix', () => {
    const r = classificationReport(scores, labels, 3);
    expect(r.samples).toBe(6);
    expect(r.top1).toBeCloseTo(3 / 6, 12);
    expect(r.perClass).toEqual([0.5, 0.5, 0.5]);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 1, 1],
      [1, 0, 1],
    ]);
  });

  it('top-k counts a label inside the k best, with ties going to the lower class', () => {
    // With 3 classes top-5 is always 1; check top-k logic on 6 classes instead.
    const s = new Float32Array([6, 5, 4, 3, 2, 1]);
    const r6 = classificationReport(s, [5], 6); // label 5 is ranked 6th
    expect(r6.top5).toBe(0);
    expect(classificationReport(s, [4], 6).top5).toBe(1); // 5th
    const tie = new Float32Array([1, 1, 1, 1, 1, 1]);
    expect(classificationReport(tie, [0], 6).top1).toBe(1);
    expect(classificationReport(tie, [5], 6).top5).toBe(0);
    expect(classificationReport(scores, labels, 3).top5).toBe(1);
  });

  it('marks classes without samples as NaN rather than 0', () => {
    const r = classificationReport(new Float32Array([1, 0, 0]), [0], 3);
    expect(r.perClass[0]).toBe(1);
    expect(r.perClass[1]).toBeNaN();
  });

  it('softmax rows sum to 1 and survive huge logits', () => {
    const p = softmaxRows(new Float32Array([1000, 1000, 0, Math.log(3), 0, 0]), 3);
    expect(p[0]).toBeCloseTo(0.5, 6);
    expect(p[2]).toBe(0);
    expect(p[3]).toBeCloseTo(0.6, 6);
    expect(p[4]).toBeCloseTo(0.2, 6);
  });

  it('cross-entropy of uniform logits is log K', () => {
    expect(meanCrossEntropy(new Float32Array(8), [0, 3], 4)).toBeCloseTo(Math.log(4), 10);
  });
});

describe('ensemble', () => {
  // Model A: sample 0 mildly prefers class 1. Model B: sample 0 strongly prefers class 0.
  const a = new Float32Array([0, 0.5, 0, 0]);
  const b = new Float32Array([5, 0, 0, 0]);

  it('adds raw logits by default, as CTR-GCN\'s ensemble.py does', () => {
    const s = ensembleScores([a, b], 4);
    expect(Array.from(s)).toEqual([5, 0.5, 0, 0]);
    expect(Array.from(ensembleScores([a, b], 4, undefined, 'logits'))).toEqual([5, 0.5, 0, 0]);
  });

  it('adds softmax scores with fusion softmax, so each member\'s vote is bounded by 1', () => {
    const s = ensembleScores([a, b], 4, undefined, 'softmax');
    const pa = softmaxRows(a, 4);
    const pb = softmaxRows(b, 4);
    for (let i = 0; i < 4; i++) expect(s[i]).toBeCloseTo(pa[i] + pb[i], 6);
    expect(classificationReport(s, [0], 4).top1).toBe(1);
    expect(s.reduce((x, y) => x + y, 0)).toBeCloseTo(2, 6);
  });

  it('applies per-model weights in both modes and refuses mismatched members', () => {
    const x = new Float32Array([2, 0]);
    const y = new Float32Array([0, 2]);
    const px = softmaxRows(x, 2);
    const soft = ensembleScores([x, y], 2, [3, 1], 'softmax');
    expect(soft[0]).toBeCloseTo(3 * px[0] + px[1], 6);
    expect(Array.from(ensembleScores([x, y], 2, [3, 1]))).toEqual([6, 2]);
    expect(() => ensembleScores([x, new Float32Array(4)], 2)).toThrow(/member 1/);
  });
});
