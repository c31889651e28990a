/**
 * Streaming figures for `cocodiff bench`: what one pushed frame costs, what one inference costs
 * at a given stride, and how many camera frames per second one core sustains with that stride
 * (pushing every frame, inferring every `stride`-th). Synthetic frames, timed on the wall clock.
 * One actor by default, the other person slots empty, as a camera in front of one user sees it
 * (the network computes an empty slot once and reuses it).
 */
import { Recognizer, type LoadOptions, type RecognizerSource } from 'cocodiff-runtime';
import { Rng } from '../common/rng.ts';
import { quantile } from './stream-eval.ts';

export interface StreamBench {
  stride: number;
  /** Persons in the frames (the rest of the model's person slots empty). */
  actors: number;
  persons: number;
  /** Median microseconds of one push_frame (copy, finiteness check, ring update). */
  pushUs: number;
  /** Median and p99 milliseconds of one inference (preprocessing + network + softmax). */
  inferMs: number;
  inferP99Ms: number;
  /** Camera frames per second one core sustains: 1 / (push + infer / stride). */
  framesPerSecond: number;
}

export function benchStream(recognizer: Recognizer, opts: { stride?: number; inferences?: number; seed?: number; actors?: number } = {}): StreamBench {
  const stride = opts.stride ?? 8;
  const inferences = opts.inferences ?? 30;
  const { persons: M, joints: V, coords: C, windowFrames: W } = recognizer.info;
  const actors = Math.min(opts.actors ?? 1, M);
  const rng = new Rng(opts.seed ?? 1);
  const saved = recognizer.options;
  // Person-major frames: the first `actors` persons move, the other slots stay zero (empty).
  const frames = Array.from({ length: 16 }, () => Float32Array.from({ length: M * V * C }, (_, i) => (i < actors * V * C ? rng.normal() : 0)));
  recognizer.reset();
  recognizer.configure({ stride: 1 << 30 }); // push without inferring; inferences are timed apart
  for (let f = 0; f < W; f++) recognizer.push(frames[f % frames.length]);
  const pushTimes: number[] = [];
  for (let round = 0; round < 20; round++) {
    const start = performance.now();
    for (let f = 0; f < 100; f++) recognizer.push(frames[f % frames.length]);
    pushTimes.push(((performance.now() - start) * 1000) / 100);
  }
  // V8 first runs wasm from its baseline compiler and swaps in optimised code as functions get hot.
  for (let i = 0; i < 5; i++) recognizer.predict();
  const inferTimes: number[] = [];
  for (let i = 0; i < inferences; i++) inferTimes.push(recognizer.predict().latencyMs);
  recognizer.reset();
  recognizer.configure(saved);
  const pushUs = quantile(pushTimes, 0.5);
  const inferMs = quantile(inferTimes, 0.5);
  return { stride, actors, persons: M, pushUs, inferMs, inferP99Ms: quantile(inferTimes, 0.99), framesPerSecond: 1000 / (pushUs / 1000 + inferMs / stride) };
}

/** Lines for the bench table. */
export function formatStreamBench(name: string, b: StreamBench): string[] {
  return [
    `streaming (${name}, stride ${b.stride}, ${b.actors} actor${b.actors > 1 ? 's' : ''} of ${b.persons} person slot${b.persons > 1 ? 's' : ''})`,
    `  push_frame            ${b.pushUs.toFixed(2)} µs per frame`,
    `  inference             ${b.inferMs.toFixed(2)} ms median, ${b.inferP99Ms.toFixed(2)} ms p99 (preprocessing + network + softmax)`,
    `  sustained on 1 core   ${Math.round(b.framesPerSecond).toLocaleString('en-US')} frames/s (${(b.framesPerSecond / 30).toFixed(1)} cameras at 30 fps)`,
  ];
}

/** Loads a recognizer (bytes or path) and benchmarks its streaming; for `cocodiff bench`. */
export async function benchStreamModule(source: RecognizerSource, opts: { stride?: number; inferences?: number; actors?: number; sidecar?: LoadOptions['sidecar'] } = {}): Promise<StreamBench> {
  return benchStream(await Recognizer.load(source, { sidecar: opts.sidecar }), opts);
}
