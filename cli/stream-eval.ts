/**
 * Streams recordings through a recognizer the way a camera would (one frame at a time, a
 * prediction every `stride` frames) and scores it: the label after each whole recording, every
 * prediction made once the ring is full, and the latency of each inference.
 */
import type { Recognizer, Sequence } from 'cocodiff-runtime';

export interface StreamScore {
  recordings: number;
  /** Recordings whose last prediction (after the final frame) is their label. */
  finalCorrect: number;
  /** Predictions made with a full window, and how many named the recording's label. */
  predictions: number;
  predictionsCorrect: number;
  /** Milliseconds per inference, every inference made. */
  latenciesMs: number[];
}

export function streamRecordings(recognizer: Recognizer, recordings: Iterable<Sequence>, onRecording?: (done: number) => void): StreamScore {
  const score: StreamScore = { recordings: 0, finalCorrect: 0, predictions: 0, predictionsCorrect: 0, latenciesMs: [] };
  const window = recognizer.info.windowFrames;
  for (const seq of recordings) {
    recognizer.reset();
    const per = seq.persons * seq.joints * seq.coords;
    for (let f = 0; f < seq.frames; f++) {
      const p = recognizer.push(seq.data.subarray(f * per, (f + 1) * per), seq.layout);
      if (!p) continue;
      score.latenciesMs.push(p.latencyMs);
      if (p.frame >= Math.min(window, seq.frames)) {
        score.predictions++;
        if (p.top[0]?.index === seq.label) score.predictionsCorrect++;
      }
    }
    const last = recognizer.predict();
    score.latenciesMs.push(last.latencyMs);
    if (last.top[0]?.index === seq.label) score.finalCorrect++;
    score.recordings++;
    onRecording?.(score.recordings);
  }
  return score;
}

/** The q-quantile (0..1) of a list of numbers, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
