/**
 * The proof that the backbone is CTR-GCN: the official model's weights, imported by name, give the
 * feature and logits the authors' PyTorch model computed for the golden input, within docs/training.md's 2e-5.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArtifact, writeArtifact, type Artifact } from '../../common/artifact.ts';
import { selectBackend } from '../../trainer/backend.ts';
import { CtrGcnModel } from '../../trainer/model/ctrgcn.ts';
import { importCtrGcn } from '../../trainer/model/import-ctrgcn.ts';

const GOLDEN = join(import.meta.dirname, '../fixtures/golden-ctrgcn-ntu60');
const floats = (file: string): Float32Array => {
  const b = readFileSync(join(GOLDEN, file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

let dir: string;
let artifact: Artifact;
const input = floats('input.bin');
const expectedFeature = floats('feature.bin');
const expectedLogits = floats('logits.bin');

function run(model: CtrGcnModel): { feature: Float32Array; logits: Float32Array } {
  return tf.tidy(() => {
    const f = model.features(tf.tensor(input, [1, 3, 64, 25, 2]), false);
    return { feature: f.dataSync() as Float32Array, logits: model.classify(f, false).dataSync() as Float32Array };
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-golden-'));
  await importCtrGcn(join(GOLDEN, 'golden.json'), join(GOLDEN, 'weights.bin'), join(dir, 'imported'));
  artifact = await readArtifact(join(dir, 'imported'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('golden CTR-GCN (official weights, NTU-60)', () => {
  it('import infers the official NTU-60 configuration', () => {
    const m = artifact.model;
    expect(m.backbone.channels).toEqual([64, 64, 64, 64, 128, 128, 128, 256, 256, 256]);
    expect(m.backbone.strides).toEqual([1, 1, 1, 1, 2, 1, 1, 2, 1, 1]);
    expect(m.input).toEqual({ C: 3, T: 64, V: 25, M: 2 });
    expect(m.layout).toBe('ntu25');
    expect(m.classes).toHaveLength(60);
    expect(m.classes[0]).toBe('drink water');
  });

  // On wasm only: tfjs's cpu backend runs the same kernels' math in plain JS loops, too slow for CI
  // (minutes for this one sample on a loaded core).
  it('matches the official feature and logits within 2e-5 on wasm', async () => {
    await selectBackend('wasm');
    const model = CtrGcnModel.fromArtifact(artifact);
    const { feature, logits } = run(model);
    model.dispose();
    expect(maxAbsDiff(feature, expectedFeature)).toBeLessThan(2e-5);
    expect(maxAbsDiff(logits, expectedLogits)).toBeLessThan(2e-5);
  }, 120_000);

  it('round-trips through a written artifact with bit-identical logits', async () => {
    await selectBackend('wasm');
    const model = CtrGcnModel.fromArtifact(artifact);
    const before = run(model).logits;
    const m = artifact.model;
    await writeArtifact(join(dir, 'again'), { ...m, provenance: { test: true } }, await model.namedWeights());
    model.dispose();
    const again = CtrGcnModel.fromArtifact(await readArtifact(join(dir, 'again')));
    const after = run(again).logits;
    again.dispose();
    expect(Array.from(after)).toEqual(Array.from(before));
  }, 120_000);
});
