/**
 * End to end with a real compiled CTR-GCN (the compiler's compileArtifact on a small seeded random
 * model): what a camera app gets from the .wasm (classify a recording; stream it frame by frame)
 * equals the tfjs model on the trainer's preprocessing of the same frames, to 1e-4.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readArtifact } from '../../common/artifact.ts';
import { LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { compileArtifact } from '../../compiler/index.ts';
import { Recognizer } from 'cocodiff-runtime';
import { benchStream } from '../../cli/bench-stream.ts';
import { preprocess } from '../../trainer/data/preprocess.ts';
import { CtrGcnModel } from '../../trainer/model/ctrgcn.ts';
import { writeRandomArtifact } from '../compiler/artifacts.ts';
import { recording, sliceFrames } from './synthetic-frames.ts';

const T = 32;
let dir: string;
let model: CtrGcnModel;
let recognizer: Recognizer;
let wasmFile: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-compiled-'));
  await writeRandomArtifact(join(dir, 'artifact'), { width: 0.25, blocks: 4, T, M: 2, K: 6, seed: 3 });
  const { wasmPath } = await compileArtifact(join(dir, 'artifact'), { out: join(dir, 'recognizer.wasm'), windowFrames: 48 });
  wasmFile = wasmPath;
  recognizer = await Recognizer.load(wasmPath, { stride: 8, alpha: 1 });
  model = CtrGcnModel.fromArtifact(await readArtifact(join(dir, 'artifact')));
});
afterAll(async () => {
  model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function tfjsProbs(seq: Sequence): Float32Array {
  const x = preprocess(seq, { frames: T, persons: 2, modality: 'joint', layout: LAYOUTS.ntu25, train: false, cropRatio: 0.95, centre: true });
  return tf.tidy(() => tf.softmax(model.classify(model.features(tf.tensor(x, [1, 3, T, 25, 2]), false), false)).dataSync() as Float32Array);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

it('classify and streaming give the tfjs model\'s probabilities', () => {
  expect(recognizer.info).toMatchObject({ layout: 'ntu25', modelFrames: T, windowFrames: 48, persons: 2, labels: ['class 0', 'class 1', 'class 2', 'class 3', 'class 4', 'class 5'] });
  const seq = recording({ layout: 'ntu25', frames: 90, persons: 2, seed: 5 });
  expect(maxAbsDiff(recognizer.classify(seq).probs, tfjsProbs(seq))).toBeLessThan(1e-4);

  recognizer.reset();
  const per = 150;
  for (let f = 0; f < seq.frames; f++) recognizer.push(seq.data.subarray(f * per, (f + 1) * per));
  const streamed = recognizer.predict();
  expect(maxAbsDiff(streamed.probs, tfjsProbs(sliceFrames(seq, seq.frames - 48, seq.frames)))).toBeLessThan(1e-4);
  expect(streamed.top[0].index).toBe(Array.from(streamed.probs).indexOf(Math.max(...streamed.probs)));
});

it("exposes the backbone's pooled feature: the tfjs model's feature, the vector its logits come from", () => {
  const seq = recording({ layout: 'ntu25', frames: 70, persons: 2, seed: 8 });
  recognizer.classify(seq);
  const x = preprocess(seq, { frames: T, persons: 2, modality: 'joint', layout: LAYOUTS.ntu25, train: false, cropRatio: 0.95, centre: true });
  const [feature, logits] = tf.tidy(() => {
    const f = model.features(tf.tensor(x, [1, 3, T, 25, 2]), false);
    return [f.dataSync() as Float32Array, model.classify(f, false).dataSync() as Float32Array];
  });
  expect(recognizer.info.features).toBe(feature.length);
  expect(maxAbsDiff(recognizer.lastFeature(), feature)).toBeLessThan(1e-4);
  expect(maxAbsDiff(recognizer.lastLogits(), logits)).toBeLessThan(1e-4);
});

it('carries its sidecar in a cocodiff custom section: the .wasm alone describes itself', async () => {
  const bytes = await readFile(wasmFile);
  const sidecarFile = JSON.parse(await readFile(wasmFile.replace(/\.wasm$/, '.json'), 'utf8'));
  const [section] = WebAssembly.Module.customSections(new WebAssembly.Module(bytes), 'cocodiff');
  expect(JSON.parse(new TextDecoder().decode(section))).toEqual(sidecarFile);
  // From bytes, with no .json to find, the layout and class names still come through.
  const alone = await Recognizer.load(bytes);
  expect(alone.info).toMatchObject({ layout: 'ntu25', labels: sidecarFile.classes, windowFrames: 48 });
});

it('reports streaming figures for the benchmark', () => {
  const b = benchStream(recognizer, { stride: 8, inferences: 5 });
  console.log(`stream bench (width 0.25, 4 blocks, T ${T}): push ${b.pushUs.toFixed(2)} µs, infer ${b.inferMs.toFixed(2)} ms, ${b.framesPerSecond.toFixed(0)} frames/s`);
  expect(b.stride).toBe(8);
  expect(b.pushUs).toBeGreaterThan(0);
  expect(b.framesPerSecond).toBeCloseTo(1000 / (b.pushUs / 1000 + b.inferMs / 8), 6);
  expect(recognizer.options.stride).toBe(8);
  expect(recognizer.stats().validFrames).toBe(0); // left reset
});

it('streams one actor by default, the other person slots empty (the issue\'s streaming setting)', () => {
  const { persons: M, joints: V, coords: C } = recognizer.info;
  expect(M).toBeGreaterThan(1);
  const pushed: Float32Array[] = [];
  const push = recognizer.push.bind(recognizer);
  recognizer.push = ((frame: Float32Array) => { pushed.push(Float32Array.from(frame)); return push(frame); }) as typeof recognizer.push;
  try {
    const one = benchStream(recognizer, { stride: 8, inferences: 2 });
    expect([one.actors, one.persons]).toEqual([1, M]);
    expect(pushed.every((f) => f.subarray(V * C).every((v) => v === 0) && f.subarray(0, V * C).some((v) => v !== 0))).toBe(true);
    pushed.length = 0;
    expect(benchStream(recognizer, { stride: 8, inferences: 2, actors: M }).actors).toBe(M);
    expect(pushed.every((f) => f.subarray((M - 1) * V * C).some((v) => v !== 0))).toBe(true);
  } finally {
    recognizer.push = push;
  }
});
