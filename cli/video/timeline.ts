/**
 * The action timeline of a video: the recognizer's predictions (one every --stride frames) joined
 * into segments of the same label. A segment runs from the first prediction that gave its label to
 * the last one before the label changed, the person left or the score fell below --threshold; its
 * score is the mean smoothed top-1 score of those predictions.
 */
import type { Prediction } from 'cocodiff-runtime';
import { printable } from '../../common/terminal.ts';

export interface TimelineSegment {
  /** Seconds from the start of the video. */
  start: number;
  end: number;
  label: string;
  /** Mean top-1 score over the segment's predictions. */
  score: number;
  predictions: number;
}

export class ActionTimeline {
  readonly segments: TimelineSegment[] = [];
  private open: (TimelineSegment & { sum: number }) | null = null;

  /** Adds the prediction made at `seconds`. */
  add(p: Prediction, seconds: number): void {
    const score = p.top[0]?.score ?? 0;
    if (this.open && this.open.label === p.action) {
      this.open.end = seconds;
      this.open.sum += score;
      this.open.predictions++;
      return;
    }
    this.close();
    if (p.action !== null) this.open = { start: seconds, end: seconds, label: p.action, score: 0, predictions: 1, sum: score };
  }

  /** Ends the last segment; the timeline is complete. */
  close(): void {
    if (!this.open) return;
    const { sum, ...segment } = this.open;
    this.segments.push({ ...segment, score: sum / segment.predictions });
    this.open = null;
  }

  /** One line per segment: `  0.27 s –   2.40 s  drink water  0.83  (9 predictions)`. */
  format(): string[] {
    if (this.segments.length === 0) return ['  (no action recognised)'];
    return this.segments.map((s) => `${s.start.toFixed(2).padStart(7)} s – ${s.end.toFixed(2).padStart(7)} s  ${printable(s.label).padEnd(24)} ${s.score.toFixed(2)}  (${s.predictions} prediction${s.predictions === 1 ? '' : 's'})`);
  }
}
