/**
 * `eval` on models whose predictions we control: CTR-GCN artifacts whose classifier weight is zero,
 * so the logits are exactly the classifier bias whatever the input.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeArtifact, type Modality } from '../../common/artifact.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { CtrGcnModel, ctrgcnConfig } from '../../trainer/model/ctrgcn.ts';
import { evaluate } from '../../trainer/train/eval.ts';
import { tinyDataset } from '../helpers/tiny-run.ts';

await tf.setBackend('cpu');
const root = await mkdtemp(join(tmpdir(), 'cocodiff-eval-'));
let data: string;
let classes: string[];
let labels: number[];

/** An artifact that always scores `bias` (fc.weight = 0). */
async function constantModel(dir: string, bias: number[], modality: Modality = 'joint', names = classes, provenance: Record<string, unknown> = {}): Promise<string> {
  const spec = { backbone: ctrgcnConfig({ width: 0.125, blocks: 1 }), input: { C: 3, T: 8, V: 25, M: 2 }, layout: 'ntu25' as const, numClasses: bias.length };
  const model = CtrGcnModel.create(spec, 1);
  const weights = await model.namedWeights();
  model.dispose();
  weights.get('fc.weight')!.data.fill(0);
  weights.get('fc.bias')!.data.set(bias);
  await writeArtifact(dir, { backbone: spec.backbone, layout: 'ntu25', input: spec.input, modality, preprocessing: { windowFrames: 8, testCropRatio: 0.95, centre: true }, classes: names, provenance, metrics: {} }, weights);
  return dir;
}

beforeAll(async () => {
  ({ data } = await tinyDataset());
  const cache = await readCache(data);
  classes = cache.index.classes;
  labels = cache.index.splits.test.samples.map((s) => s.label);
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

const count = (c: number): number => labels.filter((l) => l === c).length;

describe('eval', () => {
  it('reports top-1, top-5, per-class accuracy and the confusion matrix of a known model', async () => {
    const dir = await constantModel(join(root, 'always2'), [0, 1, 5, 2, -1]);
    const out = join(root, 'eval-out');
    const r = await evaluate({ models: [dir], data, batch: 4, out, quiet: true });
    expect(r.report.samples).toBe(labels.length);
    expect(r.report.top1).toBeCloseTo(count(2) / labels.length, 12);
    // Ranking 2 > 3 > 1 > 0 > 4: top-5 of 5 classes is everything.
    expect(r.report.top5).toBe(1);
    expect(r.report.perClass).toEqual([0, 0, 1, 0, 0]);
    expect(r.report.confusion).toEqual(classes.map((_, t) => classes.map((_, p) => (p === 2 ? count(t) : 0))));
    const json = JSON.parse(await readFile(join(out, 'confusion.json'), 'utf8'));
    expect(json.perClass[classes[2]]).toBe(1);
    expect(await readFile(join(out, 'confusion.svg'), 'utf8')).toContain(`>${classes[2]}</text>`);
  });

  it('ensembles by adding softmax scores (members may use different modalities)', async () => {
    const a = await constantModel(join(root, 'mild0'), [1, 0, 0, 0, 0], 'joint');
    const b = await constantModel(join(root, 'sure3'), [0, 0, 0, 4, 0], 'bone');
    // By hand: softmax(a)[0] = e/(e+4) ≈ 0.40, softmax(b)[3] = e⁴/(e⁴+4) ≈ 0.93, so the sum prefers class 3 ...
    const pa0 = Math.E / (Math.E + 4);
    const pb3 = Math.exp(4) / (Math.exp(4) + 4);
    expect(pb3 + 1 / (Math.E + 4)).toBeGreaterThan(pa0 + 1 / (Math.exp(4) + 4));
    const r = await evaluate({ models: [a, b], data, quiet: true });
    expect(r.report.perClass).toEqual([0, 0, 0, 1, 0]);
    expect(r.members.map((m) => m.top1)).toEqual([count(0) / labels.length, count(3) / labels.length]);
    // ... while weighting the mild model 10× flips it to class 0: summed logits could not tell these apart.
    expect(10 * pa0 + 1 / (Math.exp(4) + 4)).toBeGreaterThan(10 / (Math.E + 4) + pb3);
    const w = await evaluate({ models: [a, b], data, weights: [10, 1], quiet: true });
    expect(w.report.perClass).toEqual([1, 0, 0, 0, 0]);
  });

  it('takes a run directory for its artifact', async () => {
    const run = join(root, 'run');
    await mkdir(run);
    await writeFile(join(run, 'run.json'), '{}');
    await constantModel(join(run, 'artifact'), [0, 0, 0, 0, 3]);
    const r = await evaluate({ models: [run], data, quiet: true });
    expect(r.report.top1).toBeCloseTo(count(4) / labels.length, 12);
  });

  it('says which epoch each model holds and why it was chosen', async () => {
    const reason = 'highest validation top-1 of 12 epochs (50.0 %)';
    const chosen = await constantModel(join(root, 'chosen'), [1, 0, 0, 0, 0], 'joint', classes, { epoch: 7, exported: 'best', selection: { epoch: 7, reason } });
    const last = await constantModel(join(root, 'last'), [1, 0, 0, 0, 0], 'joint', classes, { epoch: 12, exported: 'last' });
    const r = await evaluate({ models: [chosen, last], data, quiet: true });
    expect(r.chosen).toEqual([{ model: chosen, epoch: 7, reason }, { model: last, epoch: 12, reason: 'the last epoch (exported with --epoch last)' }]);
  });

  it('refuses a model trained on other classes, naming both', async () => {
    const other = await constantModel(join(root, 'other'), [0, 0, 0, 0, 0], 'joint', ['a', 'b', 'c', 'd', 'e']);
    await expect(evaluate({ models: [other], data, quiet: true })).rejects.toThrow(/other: the model's 5 classes differ from the 5 classes of dataset/);
  });
});
