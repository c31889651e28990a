/**
 * The action timeline `cocodiff video --model` prints: predictions of one label join into a segment
 * with their mean score; a change of label, or a prediction with no action (nobody in view, or a
 * score under --threshold), ends it.
 */
import { describe, expect, it } from 'vitest';
import type { Prediction } from 'cocodiff-runtime';
import { ActionTimeline } from '../../cli/video/timeline.ts';

const prediction = (frame: number, action: string | null, score: number): Prediction => ({
  frame,
  action,
  top: [{ index: 0, label: action ?? 'clap', score }],
  probs: new Float32Array([score]),
  latencyMs: 1,
  validFrames: action ? 16 : 0,
});

describe('ActionTimeline', () => {
  it('joins runs of a label, ends them at another label or at no action, and averages their scores', () => {
    const timeline = new ActionTimeline();
    const said: Array<[number, string | null, number]> = [[8, 'clap', 0.5], [16, 'clap', 0.7], [24, 'kick', 0.4], [32, null, 0.1], [40, 'kick', 0.9], [48, 'kick', 0.8]];
    for (const [frame, action, score] of said) timeline.add(prediction(frame, action, score), frame / 10);
    timeline.close();
    expect(timeline.segments).toEqual([
      { start: 0.8, end: 1.6, label: 'clap', score: 0.6, predictions: 2 },
      { start: 2.4, end: 2.4, label: 'kick', score: 0.4, predictions: 1 },
      { start: 4.0, end: 4.8, label: 'kick', score: expect.closeTo(0.85, 12), predictions: 2 },
    ]);
    expect(timeline.format()).toEqual([
      '   0.80 s –    1.60 s  clap                     0.60  (2 predictions)',
      '   2.40 s –    2.40 s  kick                     0.40  (1 prediction)',
      '   4.00 s –    4.80 s  kick                     0.85  (2 predictions)',
    ]);
  });

  it('says so when nothing was recognised', () => {
    const timeline = new ActionTimeline();
    timeline.add(prediction(8, null, 0.2), 0.8);
    timeline.close();
    expect(timeline.segments).toEqual([]);
    expect(timeline.format()).toEqual(['  (no action recognised)']);
  });
});
