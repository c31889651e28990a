/**
 * CoCoDiff's loss terms. All inputs are 2-D; everything stays on plain ops the wasm backend has.
 */
import * as tf from '@tensorflow/tfjs';
import { matMul2d } from '../model/ops.ts';

/** ‖x̂0 − x0‖², mean over the feature and the batch. */
export function fineLoss(x0Hat: tf.Tensor2D, x0: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(x0Hat, x0)));
}

/**
 * Bidirectional KL contrastive loss between features and the coarse text of their labels.
 *
 * `z` [N, D] and `text` [N, D] are L2-normalised (row i of `text` is the coarse text of sample i's
 * label); logits = scale · z · textᵀ. A batch usually holds several samples of one class, whose text
 * rows are identical, so the target of row i is not one-hot but uniform over the samples j with the
 * same label. Cross-entropy against such a target still counts the target's own entropy, so we use
 * KL(target ‖ softmax(row)), once over rows (feature → text) and once over columns (text → feature),
 * each averaged over the batch, and return their mean.
 */
export function coarseContrastiveLoss(z: tf.Tensor2D, text: tf.Tensor2D, labels: tf.Tensor1D, scale: tf.Scalar | number): tf.Scalar {
  const logits = tf.mul(matMul2d(z, tf.transpose(text)), scale) as tf.Tensor2D;
  const same = tf.cast(tf.equal(tf.expandDims(labels, 1), tf.expandDims(labels, 0)), 'float32') as tf.Tensor2D;
  // `same` is symmetric, so its row-normalised form is the target both ways.
  const target = tf.div(same, tf.sum(same, 1, true)) as tf.Tensor2D;
  const featureToText = klRows(target, logits);
  const textToFeature = klRows(target, tf.transpose(logits));
  return tf.div(tf.add(featureToText, textToFeature), 2) as tf.Scalar;
}

/** Mean over rows of KL(p_i ‖ softmax(logits_i)); 0·log 0 counts as 0. */
function klRows(p: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  const logQ = tf.logSoftmax(logits);
  const logP = tf.log(tf.maximum(p, 1e-12));
  return tf.div(tf.sum(tf.mul(p, tf.sub(logP, logQ))), p.shape[0]) as tf.Scalar;
}

/** Mean softmax cross-entropy of logits [N, K] against int32 labels [N]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const oneHot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, logits.shape[1]);
  return tf.neg(tf.div(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits))), logits.shape[0])) as tf.Scalar;
}

/** Rows scaled to unit length. */
export function l2Normalise(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12)));
}
