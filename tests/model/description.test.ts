/**
 * One CTR-GCN description (common/model/ctrgcn.ts) for every part: the trainer's model declares
 * exactly its tensors, and over a grid of configurations (width 0.05–1, blocks 1–10, every joint
 * layout, 1 or 2 persons) a model the trainer initialises compiles, and the .wasm computes what the
 * compiler's interpreter computes. The grid is sampled so that each blocks value, both width ends,
 * each layout and both person counts appear, at a small T: a full cross product would take minutes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeArtifact } from '../../common/artifact.ts';
import { LAYOUTS, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { ctrgcnConfig, describeCtrGcn } from '../../common/model/ctrgcn.ts';
import { countCost } from '../../common/model/count.ts';
import { compileModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { CtrGcnModel } from '../../trainer/model/ctrgcn.ts';
import { randomInput } from '../compiler/artifacts.ts';

const K = 5;
const T = 8;
const GRID: Array<{ width: number; blocks: number; layout: LayoutName; M: number }> = [
  { width: 0.05, blocks: 10, layout: 'ntu25', M: 2 },
  { width: 1, blocks: 1, layout: 'coco17', M: 1 },
  { width: 0.1, blocks: 2, layout: 'openpose18', M: 2 },
  { width: 0.2, blocks: 3, layout: 'ntu25', M: 1 },
  { width: 0.3, blocks: 4, layout: 'coco17', M: 2 },
  { width: 0.15, blocks: 5, layout: 'openpose18', M: 1 },
  { width: 0.05, blocks: 6, layout: 'coco17', M: 1 },
  { width: 0.1, blocks: 7, layout: 'ntu25', M: 2 },
  { width: 0.05, blocks: 8, layout: 'openpose18', M: 2 },
  { width: 0.1, blocks: 9, layout: 'coco17', M: 1 },
];

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-description-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the CTR-GCN description', () => {
  it('is what the trainer declares: the same tensors, shapes and order, and the count sums its learnable ones', () => {
    for (const [width, blocks, layout, M] of [[1, 10, 'ntu25', 2], [0.05, 3, 'coco17', 1]] as const) {
      const backbone = ctrgcnConfig({ width, blocks });
      const input = { C: 3, T: 16, V: LAYOUTS[layout].joints.length, M };
      const model = CtrGcnModel.create({ backbone, input, layout, numClasses: K }, 1);
      const described = describeCtrGcn(backbone, input, K);
      expect([...model.weightShapes()]).toEqual(described.tensors.map((t) => [t.name, t.shape]));
      expect(model.trainableNames()).toEqual(described.tensors.filter((t) => t.learnable).map((t) => t.name));
      expect(countCost(backbone, input, K).params).toBe(model.trainableVariables().reduce((n, v) => n + v.size, 0));
      model.dispose();
    }
  });

  it('refuses what cannot be built, naming the field and the value', () => {
    const input = { C: 3, T: 8, V: 25, M: 2 };
    expect(() => describeCtrGcn({ ...ctrgcnConfig({ blocks: 2 }), channels: [64, 66] }, input, K)).toThrow(/^channels\[1\]: 66 does not divide into 4 temporal branches$/);
    expect(() => ctrgcnConfig({ width: 0 })).toThrow(/^width: expected a positive number, found 0$/);
  });

  it.each(GRID)('width $width, $blocks blocks, $layout, $M person(s): initialised by the trainer, compiled, equal to the interpreter', async ({ width, blocks, layout, M }) => {
    const backbone = ctrgcnConfig({ width, blocks });
    const V = LAYOUTS[layout].joints.length;
    const input = { C: 3, T, V, M };
    const model = CtrGcnModel.create({ backbone, input, layout, numClasses: K }, blocks);
    const weights = await model.namedWeights();
    model.dispose();
    const out = join(dir, `w${width}-b${blocks}-${layout}-m${M}`);
    await writeArtifact(out, {
      backbone, layout, input, modality: 'joint', preprocessing: { windowFrames: T, testCropRatio: 0.95, centre: true },
      classes: Array.from({ length: K }, (_, k) => `class ${k}`), provenance: { source: 'description test' }, metrics: {},
    }, weights);
    const { artifact, graph } = await loadArtifact(out);
    const net = await instantiateNetwork((await compileModule(artifact, graph)).wasm);
    const x = randomInput(3 * T * V * M, blocks);
    const ref = interpret(graph, x);
    const got = net.logits(x);
    // Untrained deep models give logits in the hundreds: 1e-4 relative to the largest.
    const scale = Math.max(1, ...Array.from(ref, Math.abs));
    for (let k = 0; k < K; k++) expect(Math.abs(got[k] - ref[k]) / scale).toBeLessThan(1e-4);
  }, 300_000);
});
