import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { coarseContrastiveLoss, crossEntropy, fineLoss, l2Normalise } from '../../trainer/cocodiff/losses.ts';

const value = (t: tf.Tensor) => t.dataSync()[0];
const e = (i: number, d = 2) => Array.from({ length: d }, (_, j) => (j === i ? 1 : 0));

describe('coarse contrastive loss (bidirectional KL)', () => {
  it('all labels different: both directions reduce to one-hot cross-entropy log(1 + e^−s)', () => {
    const s = 3;
    const z = tf.tensor2d([e(0), e(1)]);
    const text = tf.tensor2d([e(0), e(1)]);
    const loss = coarseContrastiveLoss(z, text, tf.tensor1d([0, 1], 'int32'), s);
    expect(value(loss)).toBeCloseTo(Math.log(1 + Math.exp(-s)), 5);
  });

  it('all labels equal: target uniform, feature→text is 0, text→feature is KL(½,½ ‖ σ(s), 1−σ(s))', () => {
    // Both samples share one text (e0); the features differ (e0, e1).
    const s = 2;
    const z = tf.tensor2d([e(0), e(1)]);
    const text = tf.tensor2d([e(0), e(0)]);
    const loss = coarseContrastiveLoss(z, text, tf.tensor1d([4, 4], 'int32'), s);
    // feature→text rows are constant ([s, s] and [0, 0]): softmax is uniform = target, KL 0.
    // text→feature rows are [s, 0]: q = (σ, 1 − σ) against target (½, ½).
    const sig = Math.exp(s) / (Math.exp(s) + 1);
    const kl = 0.5 * Math.log(0.5 / sig) + 0.5 * Math.log(0.5 / (1 - sig));
    expect(value(loss)).toBeCloseTo(kl / 2, 5);
  });

  it('needs no entropy correction: a perfect match with several samples per class scores ~0, a swapped one high', () => {
    const labels = tf.tensor1d([0, 0, 1, 1], 'int32');
    const text = tf.tensor2d([e(0), e(0), e(1), e(1)]);
    const good = coarseContrastiveLoss(tf.tensor2d([e(0), e(0), e(1), e(1)]), text, labels, 10);
    const bad = coarseContrastiveLoss(tf.tensor2d([e(1), e(1), e(0), e(0)]), text, labels, 10);
    expect(value(good)).toBeLessThan(1e-3);
    expect(value(bad)).toBeGreaterThan(5);
  });
});

describe('fine loss and cross-entropy', () => {
  it('fine loss is the mean squared difference', () => {
    const loss = fineLoss(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 0], [0, 4]]));
    expect(value(loss)).toBeCloseTo((0 + 4 + 9 + 0) / 4, 6);
  });

  it('cross-entropy of uniform logits is log K, and picks the labelled class', () => {
    expect(value(crossEntropy(tf.zeros([3, 5]) as tf.Tensor2D, tf.tensor1d([0, 3, 4], 'int32')))).toBeCloseTo(Math.log(5), 5);
    const logits = tf.tensor2d([[0, Math.log(3)]]);
    expect(value(crossEntropy(logits, tf.tensor1d([1], 'int32')))).toBeCloseTo(-Math.log(3 / 4), 5);
  });

  it('l2Normalise gives unit rows', () => {
    const n = l2Normalise(tf.tensor2d([[3, 4], [0, 2]])).arraySync();
    expect(n[0][0]).toBeCloseTo(0.6, 6);
    expect(n[0][1]).toBeCloseTo(0.8, 6);
    expect(n[1][1]).toBeCloseTo(1, 6);
  });
});
