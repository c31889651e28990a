/**
 * Training on the wasm backend: every trainable tensor gets a finite, non-zero gradient (so no
 * kernel is missing there and no path is cut), and training-mode batch-norm moves its statistics.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../trainer/backend.ts';
import { CtrGcnModel, ctrgcnConfig } from '../../trainer/model/ctrgcn.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('gradients on wasm', () => {
  it('reach every trainable weight of a small CTR-GCN', () => {
    const model = CtrGcnModel.create({ backbone: ctrgcnConfig({ width: 0.25, blocks: 4 }), input: { C: 3, T: 12, V: 25, M: 2 }, layout: 'ntu25', numClasses: 5, dropout: 0.1 }, 4);
    // alpha starts at 0 (as in the official code), which blocks the refinement convs' gradients
    // on the first step; any non-zero value opens that path.
    const weights = model.namedWeights();
    for (const [name, t] of weights) if (name.endsWith('.alpha')) t.data.fill(0.5);
    model.loadNamedWeights(weights);
    const before = model.namedWeights().get('l2.gcn1.bn.running_mean')!.data.slice();

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
    const after = model.namedWeights().get('l2.gcn1.bn.running_mean')!.data;
    expect(Array.from(after)).not.toEqual(Array.from(before));
    model.dispose();
  }, 120_000);
});
