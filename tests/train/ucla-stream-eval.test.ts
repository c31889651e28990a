/**
 * The NW-UCLA path end to end, on fixture clips written in the real all_sqe/ format: `prepare ucla`
 * → `train --preset ucla` (a tiny model, one short epoch) → `compile` a kinect20 recognizer →
 * `stream` (its NDJSON path) of a view-3 test clip, frame by frame, gives the answer `eval` gives for
 * that clip: the window is the clip, and the in-wasm ucla test transform is the trainer's.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recognizer, type Prediction } from 'cocodiff-runtime';
import { readArtifact } from '../../common/artifact.ts';
import { compileArtifact } from '../../compiler/index.ts';
import { streamNdjson } from '../../cli/commands/stream.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { prepareUcla, uclaSplitList } from '../../trainer/data/ucla.ts';
import { predictArtifact } from '../../trainer/train/eval.ts';
import { runTraining } from '../../trainer/train/train.ts';
import { clipValues, uclaJson } from '../helpers/clip-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'cocodiff-ucla-e2e-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lists = [...uclaSplitList('train'), ...uclaSplitList('test')];
/** Clip i's length: 5 to 34 frames, some shorter and some longer than the model's 12. */
const framesOf = (i: number): number => 5 + ((i * 7) % 30);
const WINDOW = 40;

let artifact: string;
let wasmPath: string;

beforeAll(async () => {
  const clips = join(root, 'all_sqe');
  mkdirSync(clips);
  lists.forEach((e, i) => writeFileSync(join(clips, `${e.name}.json`), uclaJson(e.name, e.label + 1, clipValues(framesOf(i), 20, i))));
  await prepareUcla(root, join(root, 'cache'), { quiet: true });
  const run = await runTraining({
    data: join(root, 'cache'), out: join(root, 'run'), preset: 'ucla',
    width: 0.125, blocks: 1, frames: 12, batch: 4, epochs: 1, repeat: 1, trainPerClass: 2, seed: 5, backend: 'wasm', quiet: true,
  });
  artifact = run.artifactDir;
  ({ wasmPath } = await compileArtifact(artifact, { out: join(root, 'recognizer.wasm'), windowFrames: WINDOW }));
}, 600_000);

const softmax = (z: Float32Array): number[] => {
  const max = Math.max(...z);
  const e = Array.from(z, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};

describe('NW-UCLA: prepare → train --preset ucla → compile → stream', () => {
  it('the artifact says the ucla protocol; its recognizer streams a test clip to the same probabilities as eval', async () => {
    const model = (await readArtifact(artifact)).model;
    expect(model.layout).toBe('kinect20');
    expect(model.preprocessing.protocol).toBe('ucla');
    expect(model.input).toEqual({ C: 3, T: 12, V: 20, M: 1 });

    const cache = await readCache(join(root, 'cache'));
    const evaluated = await predictArtifact(artifact, cache, 'test', 64);
    const K = evaluated.numClasses;
    const recognizer = await Recognizer.load(wasmPath, { alpha: 1, topK: K });
    const trainCount = uclaSplitList('train').length;
    // Clips of 26, 33, 10 and 5 frames: longer and shorter than T.
    for (const k of [3, 10, 35, 400]) {
      const entry = cache.index.splits.test.samples[k];
      const values = clipValues(framesOf(trainCount + k), 20, trainCount + k);
      expect(entry.frames).toBe(values.length);
      recognizer.reset();
      recognizer.configure({ stride: values.length });
      const lines = values.map((frame) => JSON.stringify({ bodies: [frame] }));
      const seen: Prediction[] = [];
      await streamNdjson(recognizer, (async function* () { yield* lines; })(), entry.name, (p) => { if (p) seen.push(p); }, { strict: true });
      expect(seen).toHaveLength(1);
      expect(seen[0].frame).toBe(values.length);
      const want = softmax(evaluated.logits.subarray(k * K, (k + 1) * K));
      Array.from(seen[0].probs).forEach((p, c) => expect(p).toBeCloseTo(want[c], 4));
      expect(seen[0].action).toBe(cache.index.classes[want.indexOf(Math.max(...want))]);
    }
  });

  it('a window that holds more than the clip is another clip: min–max and resampling change', async () => {
    const recognizer = await Recognizer.load(wasmPath, { alpha: 1 });
    const values = clipValues(20, 20, 77);
    const alone = recognizer.classify({ layout: 'kinect20', frames: 20, persons: 1, joints: 20, coords: 3, data: Float32Array.from(values.flat(2)) }).probs;
    recognizer.reset();
    recognizer.configure({ stride: 30 });
    let last: Prediction | null = null;
    for (const frame of [...clipValues(10, 20, 78), ...values]) last = recognizer.push([frame]) ?? last;
    expect(last!.frame).toBe(30);
    expect(Array.from(last!.probs)).not.toEqual(Array.from(alone));
    recognizer.reset();
    recognizer.configure({ stride: 20 });
    for (const frame of values) last = recognizer.push([frame]) ?? last;
    Array.from(last!.probs).forEach((p, c) => expect(p).toBeCloseTo(alone[c], 6));
  });
});
