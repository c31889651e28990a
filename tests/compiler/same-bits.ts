/**
 * The check every threaded module must pass: its logits, features and whole-recording probabilities
 * are the single-threaded module's, bit for bit (threads split the work, never the arithmetic).
 */
import { expect } from 'vitest';
import type { Recognizer } from 'cocodiff-runtime';
import { randomInput } from './artifacts.ts';
import { recording } from '../runtime/synthetic-frames.ts';

export const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));

/** On random inputs of `size` values, a lone actor in `persons` slots (its empty slots computed once, then reused) and an ntu25 recording. */
export function expectSameBits(one: Recognizer, threaded: Recognizer[], size: number, persons: number): void {
  const inputs = [1, 2, 3].map((seed) => randomInput(size, seed));
  const alone = randomInput(size, 4).map((v, i) => (i % persons === 0 ? v : 0));
  for (const x of [...inputs, alone, alone, inputs[0]]) {
    one.inferInput(x);
    const want = bits(one.lastLogits());
    for (const r of threaded) {
      r.inferInput(x);
      expect(bits(r.lastLogits())).toEqual(want);
      expect(bits(r.lastFeature())).toEqual(bits(one.lastFeature()));
    }
  }
  // Different inputs give different logits, so the equality above could fail.
  one.inferInput(inputs[0]);
  const a = bits(one.lastLogits());
  one.inferInput(inputs[1]);
  expect(bits(one.lastLogits())).not.toEqual(a);
  const seq = recording({ layout: 'ntu25', frames: 45, persons: 2, seed: 3 });
  for (const r of threaded) expect(bits(r.classify(seq).probs)).toEqual(bits(one.classify(seq).probs));
}
