/** One optimisation step: forward, backward and update of the backbone (and the CoCoDiff branch) on one batch. */
import * as tf from '@tensorflow/tfjs';
import { weightedLoss } from '../cocodiff/index.ts';
import type { CoCoDiffBranch, LossWeights } from '../cocodiff/types.ts';
import type { Batch } from '../data/batches.ts';
import type { CtrGcnModel } from '../model/ctrgcn.ts';
import type { Adam } from './adam.ts';
import { argmax } from './metrics.ts';
import type { Sgd } from './optimizer.ts';

export type LossTerms = { loss: number; ceReal: number; ceGen?: number; fine?: number; coarse?: number };

/** The optimisers of one run: the backbone's SGD (its schedule's rate each epoch) and the branch's own. */
export interface Optimisers {
  sgd: Sgd;
  branch: Adam | null;
}

/** Mean softmax cross-entropy, written with ops whose gradients exist on every backend. */
function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const target = tf.cast(tf.oneHot(labels, logits.shape[1]), 'float32');
    return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** The step's loss, its gradients for `variables`, and the terms and logits kept past the tape (the caller disposes all three). */
export interface StepGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  kept: { logits: tf.Tensor; ceReal: tf.Tensor; ceGen?: tf.Tensor; fine?: tf.Tensor; coarse?: tf.Tensor };
}

/**
 * Forward and backward of one batch x [N, C, T, V, M], labels y [N]: CE on the real features plus the
 * CoCoDiff branch's weighted terms. No update: trainStep applies it, and the backend equivalence
 * tests compare these gradients across backends.
 */
export function stepGradients(model: CtrGcnModel, branch: CoCoDiffBranch | null, weights: LossWeights | null, variables: tf.Variable[], x: tf.Tensor, y: tf.Tensor1D): StepGradients {
  const kept: Partial<StepGradients['kept']> = {};
  try {
    const { value, grads } = tf.variableGrads(() => {
      const f = model.features(x, true);
      const logits = model.classify(f, true);
      const ceReal = crossEntropy(logits, y);
      kept.logits = tf.keep(logits);
      kept.ceReal = tf.keep(ceReal);
      if (!branch || !weights) return ceReal;
      // Generated features are classified without dropout: they are noisy already, and the model's
      // dropout stream then stays the baseline's.
      const l = branch.losses(f, y, (g) => model.classify(g, false));
      kept.ceGen = tf.keep(l.ceGen);
      kept.fine = tf.keep(l.fine);
      kept.coarse = tf.keep(l.coarse);
      const extra = weightedLoss(l, weights);
      return extra ? (tf.add(ceReal, extra) as tf.Scalar) : ceReal;
    }, variables);
    return { value, grads, kept: kept as StepGradients['kept'] };
  } catch (e) {
    tf.dispose(Object.values(kept));
    throw e;
  }
}

/**
 * Forward, backward and update on one batch. Returns the loss terms and the batch's correct count, or
 * null on a non-finite loss (nothing updated). Values are read with `await data()`, the one read
 * every backend supports (a GPU backend cannot read synchronously).
 */
export async function trainStep(model: CtrGcnModel, branch: CoCoDiffBranch | null, weights: LossWeights | null, opt: Optimisers, b: Batch, lr: number): Promise<{ terms: LossTerms; correct: number } | null> {
  const { C, T, V, M } = model.spec.input;
  const k = model.spec.numClasses;
  const x = tf.tensor(b.x, [b.size, C, T, V, M]);
  const y = tf.tensor1d(b.labels, 'int32');
  try {
    const { value, grads, kept } = stepGradients(model, branch, weights, [...opt.sgd.variables, ...(opt.branch?.variables ?? [])], x, y);
    try {
      const loss = (await value.data())[0];
      const finite = Number.isFinite(loss);
      if (finite) {
        opt.sgd.step(grads, lr);
        opt.branch?.step(grads);
      }
      const scalar = async (t?: tf.Tensor): Promise<number | undefined> => (t ? (await t.data())[0] : undefined);
      const terms = { loss, ceReal: (await scalar(kept.ceReal))!, ceGen: await scalar(kept.ceGen), fine: await scalar(kept.fine), coarse: await scalar(kept.coarse) };
      const logits = (await kept.logits.data()) as Float32Array;
      if (!finite) return null;
      let correct = 0;
      for (let i = 0; i < b.size; i++) if (argmax(logits, k, i) === b.labels[i]) correct++;
      return { terms, correct };
    } finally {
      // value may be kept.ceReal itself: disposing a tensor twice is harmless, and everything was read above.
      tf.dispose([value, ...Object.values(grads), ...Object.values(kept)]);
    }
  } finally {
    tf.dispose([x, y]);
  }
}
