/** Shapes through every unit of the full configuration, and through the model for other layouts. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NTU25, spatialAdjacency } from 'cocodiff-runtime/shared/layouts';
import { describeCtrGcn } from '../../common/model/ctrgcn.ts';
import { Rng } from '../../common/rng.ts';
import { selectBackend } from '../../trainer/backend.ts';
import { CtrGcnModel, ctrgcnConfig } from '../../trainer/model/ctrgcn.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import { Unit } from '../../trainer/model/unit.ts';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('CTR-GCN shapes', () => {
  it('each unit of the full model maps [B, T, 25, in] to [B, T / stride, 25, out]', () => {
    const b = ctrgcnConfig();
    const store = new ParamStore();
    const rng = new Rng(1);
    let x = tf.randomNormal([2, 16, 25, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const T = [16, 16, 16, 16, 8, 8, 8, 4, 4, 4];
    describeCtrGcn(b, { C: 3, T: 16, V: 25, M: 1 }, 2).units.forEach((spec, i) => {
      const { outC } = spec;
      const unit = new Unit(store, rng, spec, spatialAdjacency(NTU25), 5, [1, 2]);
      x = unit.apply(x, false);
      expect(x.shape).toEqual([2, T[i], 25, outC]);
      expect(unit.residual !== undefined).toBe(i === 4 || i === 7);
    });
    store.dispose();
  });

  for (const [layout, V, M, T] of [['openpose18', 18, 2, 15], ['coco17', 17, 1, 20]] as const) {
    it(`a width-0.25 model on ${layout} (M = ${M}, T = ${T}) gives [N, 64] features and [N, K] logits`, () => {
      const model = CtrGcnModel.create({ backbone: ctrgcnConfig({ width: 0.25 }), input: { C: 3, T, V, M }, layout, numClasses: 11 }, 2);
      expect(model.featureDim).toBe(64);
      const f = model.features(tf.randomNormal([3, 3, T, V, M], 0, 1, 'float32', 2), false);
      expect(f.shape).toEqual([3, 64]);
      expect(model.classify(f, false).shape).toEqual([3, 11]);
      model.dispose();
    });
  }

  it('refuses an input whose C, V or M differ from the spec', () => {
    const model = CtrGcnModel.create({ backbone: ctrgcnConfig({ width: 0.25, blocks: 2 }), input: { C: 3, T: 8, V: 25, M: 2 }, layout: 'ntu25', numClasses: 4 }, 2);
    expect(() => model.features(tf.zeros([1, 3, 8, 25, 1]), false)).toThrow(/expected shape \[N, 3, T, 25, 2\]/);
    model.dispose();
  });
});
