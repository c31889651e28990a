/**
 * Training on the wasm backend: every trainable tensor gets a finite, non-zero gradient (so no
 * kernel is missing there and no path is cut), and training-mode batch-norm moves its statistics.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../trainer/backend.ts';
import { NTU25, spatialAdjacency } from 'cocodiff-runtime/shared/layouts';
import { relChannels } from '../../common/model/ctrgcn.ts';
import { Rng } from '../../common/rng.ts';
import { checkpoint } from '../../trainer/model/gradient-checkpointing.ts';
import { GraphConv } from '../../trainer/model/ctrgc.ts';
import { CtrGcnModel, ctrgcnConfig } from '../../trainer/model/ctrgcn.ts';
import { conv1x1, evenFrames } from '../../trainer/model/ops.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import { Unit } from '../../trainer/model/unit.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('gradients on wasm', () => {
  it('reach every trainable weight of a small CTR-GCN', async () => {
    const model = CtrGcnModel.create({ backbone: ctrgcnConfig({ width: 0.25, blocks: 4 }), input: { C: 3, T: 12, V: 25, M: 2 }, layout: 'ntu25', numClasses: 5, dropout: 0.1 }, 4);
    // alpha starts at 0 (as in the official code), which blocks the refinement convs' gradients
    // on the first step; any non-zero value opens that path.
    const weights = await model.namedWeights();
    for (const [name, t] of weights) if (name.endsWith('.alpha')) t.data.fill(0.5);
    model.loadNamedWeights(weights);
    const before = (await model.namedWeights()).get('l2.gcn1.bn.running_mean')!.data.slice();

    const x = tf.randomNormal([3, 3, 12, 25, 2], 0, 1, 'float32', 5);
    const labels = tf.oneHot(tf.tensor1d([0, 3, 4], 'int32'), 5);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(labels, model.classify(model.features(x, true), true)) as tf.Scalar,
      model.trainableVariables(),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    const names = model.trainableNames();
    const vars = model.trainableVariables();
    expect(names).toHaveLength(vars.length);
    const dead = vars
      .map((v, i) => ({ name: names[i], g: grads[v.name] }))
      .filter(({ g }) => !g || !g.dataSync().every(Number.isFinite) || tf.max(tf.abs(g)).dataSync()[0] === 0)
      .map(({ name }) => name);
    expect(dead).toEqual([]);
    const after = (await model.namedWeights()).get('l2.gcn1.bn.running_mean')!.data;
    expect(Array.from(after)).not.toEqual(Array.from(before));
    model.dispose();
  }, 120_000);
});

describe('checkpointed blocks', () => {
  it('give the same gradients as the plain tape, and update batch-norm statistics once', async () => {
    const store = new ParamStore();
    const gcn = new GraphConv(store, new Rng(3), 'g', 6, 8, spatialAdjacency(NTU25), relChannels(6, 8));
    const weights = store.trainableVariables();
    weights.find((v) => v.name.startsWith('g.alpha'))!.assign(tf.scalar(0.7).reshape([1]));
    const x = tf.randomNormal([2, 5, 25, 6], 0, 1, 'float32', 9) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 5, 25, 8], 0, 1, 'float32', 10);
    const gradsOf = (f: (x: tf.Tensor4D) => tf.Tensor) => tf.grads((xi: tf.Tensor, ...w: tf.Tensor[]) => tf.sum(tf.mul(f(xi as tf.Tensor4D), dy)))([x, ...weights]);
    const stats = (await store.snapshot()).get('g.bn.running_mean')!.data;
    const plain = gradsOf((xi) => gcn.apply(xi, true));
    const afterPlain = (await store.snapshot()).get('g.bn.running_mean')!.data;
    // One stage; its replay reuses the aggregation's output kept by the first run.
    const ckpt = gradsOf((xi) => checkpoint([{ weights, run: (h, _x, record, memo) => gcn.apply(h, true, record, memo) }], xi));
    const afterCkpt = (await store.snapshot()).get('g.bn.running_mean')!.data;
    plain.forEach((g, i) => expect(tf.max(tf.abs(tf.sub(g, ckpt[i]))).dataSync()[0]).toBeLessThan(1e-5));
    // One update per forward: (1 − 0.1)·m + 0.1·batch mean moved the statistics exactly as much again.
    const step = afterPlain.map((v, i) => v - stats[i]);
    afterCkpt.forEach((v, i) => expect(v - afterPlain[i]).toBeCloseTo(step[i] * 0.9, 5));
    store.dispose();
  }, 60_000);

  it('in two stages with a residual (a strided TCN-GCN unit) give the plain tape\'s gradients', () => {
    const store = new ParamStore();
    const spec = { name: 'u', inC: 6, outC: 8, stride: 2, rel: relChannels(6, 8), down: true, residual: 'conv', branchChannels: 2, framesIn: 6, framesOut: 3 } as const;
    const unit = new Unit(store, new Rng(4), spec, spatialAdjacency(NTU25), 5, [1, 2]);
    const weights = store.trainableVariables();
    weights.find((v) => v.name.startsWith('u.gcn1.alpha'))!.assign(tf.scalar(0.7).reshape([1]));
    const x = tf.randomNormal([2, 6, 25, 6], 0, 1, 'float32', 11) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 3, 25, 8], 0, 1, 'float32', 12);
    const gradsOf = (f: (x: tf.Tensor4D) => tf.Tensor) => tf.grads((xi: tf.Tensor, ...w: tf.Tensor[]) => tf.sum(tf.mul(f(xi as tf.Tensor4D), dy)))([x, ...weights]);
    const r = unit.residual!;
    const plain = gradsOf((xi) => {
      const y = unit.tcn.apply(unit.gcn.apply(xi, true), true);
      return tf.relu(tf.add(y, r.bn.apply(conv1x1(evenFrames(xi), r.conv.weight, r.conv.bias), true)));
    });
    const ckpt = gradsOf((xi) => unit.apply(xi, true));
    expect(ckpt).toHaveLength(plain.length);
    plain.forEach((g, i) => expect(tf.max(tf.abs(tf.sub(g, ckpt[i]))).dataSync()[0]).toBeLessThan(1e-5));
    store.dispose();
  }, 60_000);
});
