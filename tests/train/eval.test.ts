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
import { LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { Command } from 'commander';
import * as evalCommand from '../../cli/commands/eval.ts';
import * as compareCommand from '../../cli/commands/compare.ts';
import { errorMessage } from '../../cli/error-message.ts';
import { runCli } from '../helpers/cli.ts';
import { tinyDataset } from '../helpers/tiny-run.ts';

await tf.setBackend('cpu');
const root = await mkdtemp(join(tmpdir(), 'cocodiff-eval-'));
let data: string;
let classes: string[];
let labels: number[];

/** An artifact that always scores `bias` (fc.weight = 0). */
async function constantModel(dir: string, bias: number[], modality: Modality = 'joint', names = classes, provenance: Record<string, unknown> = {}, layout: 'ntu25' | 'kinect20' = 'ntu25'): Promise<string> {
  const spec = { backbone: ctrgcnConfig({ width: 0.125, blocks: 1 }), input: { C: 3, T: 8, V: LAYOUTS[layout].joints.length, M: 2 }, layout, numClasses: bias.length };
  const model = CtrGcnModel.create(spec, 1);
  const weights = await model.namedWeights();
  model.dispose();
  weights.get('fc.weight')!.data.fill(0);
  weights.get('fc.bias')!.data.set(bias);
  await writeArtifact(dir, { backbone: spec.backbone, layout, input: spec.input, modality, preprocessing: { windowFrames: 8, testCropRatio: 0.95, centre: true }, classes: names, provenance, metrics: {} }, weights);
  return dir;
}

beforeAll(async () => {
  ({ data } = await tinyDataset());
  const cache = await readCache(data);
  classes = cache.index.classes;
  labels = cache.index.splits.test.samples.map((s) => s.label);
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

/** The ensemble's two members (5 classes): A is sure of class 0 and ranks class 1 second; B is torn between classes 2 and 1. */
let sure0: string;
let torn2: string;
beforeAll(async () => {
  sure0 = await constantModel(join(root, 'sure0'), [5.5, 4, 0, 0, 0], 'joint');
  torn2 = await constantModel(join(root, 'torn2'), [0, 4, 5, 0, 0], 'bone');
}, 60_000);

const count = (c: number): number => labels.filter((l) => l === c).length;
/** As eval prints a percentage. */
const pct = (v: number): string => (100 * v).toFixed(2).padStart(6);
const softmax = (z: number[]): number[] => z.map((x) => Math.exp(x) / z.reduce((a, y) => a + Math.exp(y), 0));
/** A program that knows eval's flags, for errorMessage to spell option names as the user typed them. */
function program(): Command {
  const p = new Command('cocodiff');
  evalCommand.register(p);
  return p;
}

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

  it('ensembles by adding logits by default, or softmax probabilities with fusion softmax: the two pick different classes here', async () => {
    const [a, b] = [sure0, torn2];
    // By hand. Logit sums: class 0 5.5, class 1 8, class 2 5 → class 1, which neither model ranks first.
    const sa = softmax([5.5, 4, 0, 0, 0]);
    const sb = softmax([0, 4, 5, 0, 0]);
    // Probability sums: class 0 ≈ 0.81, class 1 ≈ 0.45, class 2 ≈ 0.71 → class 0.
    expect(sa[0] + sb[0]).toBeGreaterThan(sa[2] + sb[2]);
    expect(sa[0] + sb[0]).toBeGreaterThan(sa[1] + sb[1]);
    const logits = await evaluate({ models: [a, b], data, quiet: true });
    expect(logits.report.perClass).toEqual([0, 1, 0, 0, 0]);
    expect(logits.ensemble).toEqual({ fusion: 'logits', weights: [1, 1] });
    expect((await evaluate({ models: [a, b], data, fusion: 'logits', quiet: true })).report.perClass).toEqual([0, 1, 0, 0, 0]);
    const probabilities = await evaluate({ models: [a, b], data, fusion: 'softmax', quiet: true });
    expect(probabilities.report.perClass).toEqual([1, 0, 0, 0, 0]);
    expect(probabilities.ensemble).toEqual({ fusion: 'softmax', weights: [1, 1] });
    // Each member is still scored on its own.
    expect(probabilities.members.map((m) => m.top1)).toEqual([count(0) / labels.length, count(2) / labels.length]);
  });

  it('applies the weights in both modes', async () => {
    const [a, b] = [sure0, torn2];
    // Logits, B × 0.2: class 0 5.5, class 1 4.8, class 2 1 → class 0 (unweighted: class 1).
    const logits = await evaluate({ models: [a, b], data, weights: [1, 0.2], quiet: true });
    expect(logits.report.perClass).toEqual([1, 0, 0, 0, 0]);
    expect(logits.ensemble).toEqual({ fusion: 'logits', weights: [1, 0.2] });
    // Probabilities, B × 3: class 2 ≈ 3 · 0.70 beats class 0 ≈ 0.80 + 3 · 0.005 → class 2 (unweighted: class 0).
    const sa = softmax([5.5, 4, 0, 0, 0]);
    const sb = softmax([0, 4, 5, 0, 0]);
    expect(sa[2] + 3 * sb[2]).toBeGreaterThan(sa[0] + 3 * sb[0]);
    const probabilities = await evaluate({ models: [a, b], data, weights: [1, 3], fusion: 'softmax', quiet: true });
    expect(probabilities.report.perClass).toEqual([0, 0, 1, 0, 0]);
  });

  it('records the fusion, weights and members in confusion.json', async () => {
    const models = [sure0, torn2];
    const out = join(root, 'ensemble-out');
    await evaluate({ models, data, weights: [0.6, 0.4], fusion: 'softmax', out, quiet: true });
    const json = JSON.parse(await readFile(join(out, 'confusion.json'), 'utf8'));
    expect(json.ensemble).toEqual({ models, fusion: 'softmax', weights: [0.6, 0.4] });
    expect(await readFile(join(out, 'confusion.svg'), 'utf8')).toContain('ensemble of 2 (sum of softmax probabilities, weights 0.6 0.4), test split');
    // A single model's file says nothing of an ensemble.
    const single = join(root, 'single-out');
    await evaluate({ models: [models[0]], data, out: single, quiet: true });
    expect(JSON.parse(await readFile(join(single, 'confusion.json'), 'utf8'))).not.toHaveProperty('ensemble');
  });

  it('writes each sample\'s five best classes to predictions.jsonl, which compare pairs with another evaluation\'s', async () => {
    const cache = await readCache(data);
    const names = cache.index.splits.test.samples.map((x) => x.name);
    const [one, two] = [join(root, 'pred-sure0'), join(root, 'pred-ensemble')];
    await runCli([evalCommand], 'eval', sure0, '--data', data, '--out', one, '--backend', 'cpu');
    // The ensemble's fused scores (logit sums 5.5, 8, 5, 0, 0) rank 1 > 0 > 2 > 3 > 4: its own file, not a member's.
    await runCli([evalCommand], 'eval', sure0, '--data', data, '--ensemble', torn2, '--out', two, '--backend', 'cpu');
    const rows = async (dir: string) => (await readFile(join(dir, 'predictions.jsonl'), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(await rows(one)).toEqual(names.map((sample, i) => ({ sample, label: classes[labels[i]], top5: [0, 1, 2, 3, 4].map((c) => classes[c]) })));
    expect(await rows(two)).toEqual(names.map((sample, i) => ({ sample, label: classes[labels[i]], top5: [1, 0, 2, 3, 4].map((c) => classes[c]) })));
    // Model one is right on class 0's samples only, the ensemble on class 1's only.
    const lines = await runCli([compareCommand], 'compare', one, two, '--json');
    const c = JSON.parse(lines[0]);
    expect(c.samples).toBe(labels.length);
    expect([c.top1.a, c.top1.b, c.top1.onlyA, c.top1.onlyB]).toEqual([count(0) / labels.length, count(1) / labels.length, count(0), count(1)]);
    expect(c.top1.difference.mean).toBeCloseTo((count(1) - count(0)) / labels.length, 12);
    expect(c.perClass.find((k: { label: string }) => k.label === classes[1])).toEqual({ label: classes[1], samples: count(1), a: 0, b: 1, onlyB: count(1), onlyA: 0, p: Math.min(1, 2 ** (1 - count(1))) });
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

  it('refuses a model trained on other classes, naming both, alone or in an ensemble', async () => {
    const other = await constantModel(join(root, 'other'), [0, 0, 0, 0, 0], 'joint', ['a', 'b', 'c', 'd', 'e']);
    const message = `${other}: the model's 5 classes differ from the 5 classes of dataset ${data}`;
    await expect(evaluate({ models: [other], data, quiet: true })).rejects.toThrow(new UserError(message));
    await expect(evaluate({ models: [sure0, other], data, fusion: 'logits', quiet: true })).rejects.toThrow(new UserError(message));
  });

  it('refuses a member of another joint layout, naming both', async () => {
    const kinect = await constantModel(join(root, 'kinect'), [0, 0, 0, 0, 0], 'joint', classes, {}, 'kinect20');
    await expect(evaluate({ models: [sure0, kinect], data, quiet: true })).rejects.toThrow(new UserError(`${kinect}: model uses layout kinect20, dataset ${data} has ntu25`));
  });

  it('refuses a weight count that is not the model count, before reading anything', async () => {
    const refused = evaluate({ models: [sure0, torn2], data: join(root, 'no-such-cache'), weights: [0.6, 0.6, 0.4], quiet: true });
    await expect(refused).rejects.toBeInstanceOf(OptionError);
    await expect(refused).rejects.toThrow('weights: 3 weights for 2 models; give one per model, in order');
  });

  it('the command prints the ensemble rule and names --weights in its refusal', async () => {
    const [a, b] = [sure0, torn2];
    const lines = await runCli([evalCommand], 'eval', a, '--data', data, '--ensemble', b, '--weights', '1', '0.2', '--backend', 'cpu');
    expect(lines).toContain(`ensemble (sum of logits, weights 1 0.2): ${labels.length} samples, top-1 ${pct(count(0) / labels.length)} %, top-5 100.00 %`);
    const soft = await runCli([evalCommand], 'eval', a, '--data', data, '--ensemble', b, '--fuse', 'softmax', '--backend', 'cpu');
    expect(soft.some((l) => l.startsWith('ensemble (sum of softmax probabilities, weights 1 1): '))).toBe(true);
    const refused = runCli([evalCommand], 'eval', a, '--data', data, '--ensemble', b, '--weights', '1', '--backend', 'cpu');
    await expect(refused).rejects.toBeInstanceOf(OptionError);
    await expect(refused.catch((err) => errorMessage(err, program()))).resolves.toBe('--weights: 1 weights for 2 models; give one per model, in order');
    await expect(runCli([evalCommand], 'eval', a, '--data', data, '--fuse', 'mean')).rejects.toThrow(/--fuse <what>' argument 'mean' is invalid\. Allowed choices are logits, softmax/);
  });
});
