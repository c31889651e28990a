/**
 * Which parameter groups each CoCoDiff loss term trains, backpropagated alone: with the plain
 * implementation every term reaches the backbone through x_t (only the fine loss's target is
 * stop-gradient); the earlier gradient paths (`detachBranch`) stop them all at the backbone and stop
 * CE on generated features before the denoiser.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { DiffusionBranch } from '../../trainer/cocodiff/branch.ts';
import { Dense } from '../../trainer/cocodiff/dense.ts';
import { DEFAULT_COCODIFF_OPTIONS, type CoCoDiffLosses, type CoCoDiffOptions } from '../../trainer/cocodiff/index.ts';
import type { ClassEmbeddings } from '../../trainer/text/embeddings-file.ts';

const IN = 12;
const F = 16;
const K = 3;
const DIM = 10;
const N = 6;
const OPTIONS: CoCoDiffOptions = { ...DEFAULT_COCODIFF_OPTIONS, steps: 100, genT: [10, 60], denoiserWidth: 24, denoiserBlocks: 2 };

type Group = 'backbone' | 'denoiser' | 'coarse projection' | 'temperature' | 'classifier';

function text(): ClassEmbeddings {
  const rng = new Rng(1);
  const rows = () => Float32Array.from({ length: K * DIM }, () => rng.normal());
  return { dim: DIM, coarse: rows(), fine: rows(), source: 'test' };
}

/** The largest |gradient| per group when `term` alone is backpropagated (a group with no path counts 0). */
function gradientByGroup(options: CoCoDiffOptions, term: keyof CoCoDiffLosses): Record<Group, number> {
  return tf.tidy(() => {
    const rng = new Rng(3);
    const backbone = new Dense('backbone', IN, F, rng);
    const classifier = new Dense('fc', F, K, rng);
    const branch = new DiffusionBranch(options, F, text(), 7);
    const x = tf.tensor2d(Float32Array.from({ length: N * IN }, () => rng.normal()), [N, IN]);
    const labels = tf.tensor1d([0, 0, 1, 1, 2, 2], 'int32');
    const named = branch.trainable();
    const groups: Record<Group, tf.Variable[]> = {
      backbone: backbone.variables(),
      denoiser: named.filter(([n]) => n.startsWith('denoiser.')).map(([, v]) => v),
      'coarse projection': named.filter(([n]) => n.startsWith('coarse.proj')).map(([, v]) => v),
      temperature: named.filter(([n]) => n === 'coarse.logit_scale').map(([, v]) => v),
      classifier: classifier.variables(),
    };
    const { grads } = tf.variableGrads(() => {
      const feature = tf.tanh(backbone.apply(x)) as tf.Tensor2D;
      const l = branch.losses(feature, labels, (f) => classifier.apply(f));
      // The other terms are computed too, as in training; only `term` is differentiated.
      return l[term];
    }, Object.values(groups).flat());
    const maxAbs = (vs: tf.Variable[]) => Math.max(0, ...vs.map((v) => (grads[v.name] ? tf.max(tf.abs(grads[v.name])).dataSync()[0] : 0)));
    const out = Object.fromEntries(Object.entries(groups).map(([g, vs]) => [g, maxAbs(vs)])) as Record<Group, number>;
    branch.dispose();
    return out;
  });
}

/** Which groups get a non-zero gradient; every other group must get exactly 0. */
function expectPaths(got: Record<Group, number>, live: Group[]): void {
  for (const [g, v] of Object.entries(got)) {
    if (live.includes(g as Group)) expect(v, `${g} should get a gradient`).toBeGreaterThan(0);
    else expect(v, `${g} should get exactly 0`).toBe(0);
  }
}

describe('CoCoDiff gradient paths, each loss term alone', () => {
  it('fine loss: backbone (through x_t) and denoiser; not the coarse head or the classifier', () => {
    expectPaths(gradientByGroup(OPTIONS, 'fine'), ['backbone', 'denoiser']);
  });

  it('coarse loss: backbone, denoiser, projection and temperature; not the classifier', () => {
    expectPaths(gradientByGroup(OPTIONS, 'coarse'), ['backbone', 'denoiser', 'coarse projection', 'temperature']);
  });

  it('CE on generated features: backbone, denoiser and classifier; not the coarse head', () => {
    expectPaths(gradientByGroup(OPTIONS, 'ceGen'), ['backbone', 'denoiser', 'classifier']);
  });

  it('detachBranch (the earlier paths): no term reaches the backbone, and CE on generated features trains the classifier only', () => {
    const o = { ...OPTIONS, detachBranch: true };
    expectPaths(gradientByGroup(o, 'fine'), ['denoiser']);
    expectPaths(gradientByGroup(o, 'coarse'), ['denoiser', 'coarse projection', 'temperature']);
    expectPaths(gradientByGroup(o, 'ceGen'), ['classifier']);
  });
});
