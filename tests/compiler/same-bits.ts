/**
 * The checks every threaded module must pass: its logits, features and whole-recording probabilities
 * are the single-threaded module's, bit for bit (threads split the work, never the arithmetic), and
 * so is what `run` and `stream` print.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Recognizer } from 'cocodiff-runtime';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import { runCli } from '../helpers/cli.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
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

/**
 * Through the CLI, on an ntu25 recording of 2 persons written into `dir`: `run` prints the threaded
 * module's scores as the single-threaded one's (5 of them), and `stream` its predictions, latencies aside.
 */
export async function expectSameCliOutput(dir: string, oneWasm: string, threadedWasm: string): Promise<void> {
  const cli = (...args: string[]): Promise<string[]> => runCli([run, stream], ...args);
  const seq = recording({ layout: 'ntu25', frames: 60, persons: 2, seed: 8 });
  const recordingFile = join(dir, 'rec.npy');
  writeFileSync(recordingFile, npyBytes('<f4', [seq.frames, 2, 25, 3], seq.data));
  const scores = (lines: string[]) => lines.slice(1);
  const runOne = await cli('run', oneWasm, '--input', recordingFile);
  expect(scores(runOne)).toHaveLength(5);
  expect(scores(await cli('run', threadedWasm, '--input', recordingFile))).toEqual(scores(runOne));
  // Predictions without their latencies, which differ run to run.
  const predictions = (lines: string[]) => lines.map((l) => l.replace(/\d+\.\d+ ms/g, 'ms'));
  const streamed = async (wasm: string) => predictions(await cli('stream', wasm, '--input', recordingFile, '--no-realtime', '--stride', '10'));
  const streamOne = await streamed(oneWasm);
  expect(streamOne.length).toBeGreaterThan(3);
  expect(await streamed(threadedWasm)).toEqual(streamOne);
}
