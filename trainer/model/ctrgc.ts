/**
 * CTR-GCN's graph convolution (`unit_gcn` with three CTR-GC blocks, one per adjacency subset).
 *
 * For subset i, on x [B, T, V, in]:
 *   x1, x2 = conv1(x), conv2(x) averaged over time           (relation features, [B, V, rel])
 *   R[b, u, v, c] = alpha · conv4(tanh(x1[b, u] − x2[b, v]))[c] + PA[i][u, v]
 *   out[b, t, u, c] = Σ_v R[b, u, v, c] · conv3(x)[b, t, v, c]
 * The subsets' outputs are summed, batch-normalised, added to down(x) and passed through ReLU.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.ts';
import { activeKernels } from '../backend.ts';
import type { Memo } from './gradient-checkpointing.ts';
import { constant, declareConv as conv, type Conv } from './init.ts';
import { BatchNorm } from './norm.ts';
import { conv1x1, convMatrix, linear, stackParts } from './ops.ts';
import type { ParamStore } from './params.ts';

export class GraphConv {
  readonly subsets: Array<{ conv1: Conv; conv2: Conv; conv3: Conv; conv4: Conv }> = [];
  readonly PA: tf.Variable;
  readonly alpha: tf.Variable;
  readonly down?: { conv: Conv; bn: BatchNorm };
  readonly bn: BatchNorm;

  /** `adjacency`: the layout's three normalised V × V subsets, the initial value of PA. */
  /** `rel`: relation channels of each subset (common/model/ctrgcn.ts's relChannels). */
  constructor(store: ParamStore, rng: Rng, name: string, inC: number, outC: number, adjacency: Float32Array[], rel: number) {
    const V = Math.round(Math.sqrt(adjacency[0].length));
    // Declaration order follows the official module order, so namedWeights() lists like a state_dict.
    this.PA = store.param(`${name}.PA`, [adjacency.length, V, V], Float32Array.from(adjacency.flatMap((a) => [...a])));
    this.alpha = store.param(`${name}.alpha`, [1], constant([1], 0));
    adjacency.forEach((_, i) => {
      const p = `${name}.convs.${i}`;
      this.subsets.push({
        conv1: conv(store, rng, `${p}.conv1`, rel, inC),
        conv2: conv(store, rng, `${p}.conv2`, rel, inC),
        conv3: conv(store, rng, `${p}.conv3`, outC, inC),
        conv4: conv(store, rng, `${p}.conv4`, outC, rel),
      });
    });
    if (inC !== outC) this.down = { conv: conv(store, rng, `${name}.down.0`, outC, inC), bn: new BatchNorm(store, `${name}.down.1`, outC) };
    // The official code starts the unit's output BN at 1e-6 so each unit begins close to its residual.
    this.bn = new BatchNorm(store, `${name}.bn`, outC, 1e-6);
  }

  /**
   * `memo` (a checkpoint's) keeps the aggregation's output for the replay: the depthwise conv is the
   * graph conv's costliest forward op, and its output is one activation.
   */
  apply(x: tf.Tensor4D, training: boolean, record = true, memo?: Memo): tf.Tensor4D {
    const [B, , V] = x.shape;
    const K = this.subsets.length;
    // conv1/conv2 are linear, so their temporal mean is the conv of the temporal mean: [B, V, in].
    const xMean = tf.mean(x, 1);
    // Each subset's R is built with the aggregated joint v first, [v, b, u, out], the layout the
    // aggregation's filter needs, so no transpose of the large R is needed later.
    const R = this.subsets.map((s, i) => {
      const x1 = linear(xMean, convMatrix(s.conv1.weight), s.conv1.bias as tf.Tensor1D); // [B, U, rel]
      const x2 = linear(xMean, convMatrix(s.conv2.weight), s.conv2.bias as tf.Tensor1D); // [B, V, rel]
      const rel = x1.shape[2]!;
      const h = tf.tanh(tf.sub(x1.reshape([1, B, V, rel]), tf.transpose(x2, [1, 0, 2]).reshape([V, B, 1, rel]))); // [V, B, U, rel]
      const refinement = linear(h, convMatrix(s.conv4.weight), s.conv4.bias as tf.Tensor1D); // [V, B, U, out]
      const pa = tf.transpose(this.PA.slice([i, 0, 0], [1, V, V]).reshape([V, V])).reshape([V, 1, V, 1]); // PA[i][u, v] at [v, ·, u, ·]
      return tf.add(tf.mul(refinement, this.alpha), pa).reshape([V, -1]);
    });
    const outC = this.bn.weight.shape[0];
    // The subsets' sum Σ_i Σ_v R_i[u, v] x3_i[v] is one contraction over (v, i): all conv3s run as
    // one matMul, and the aggregation as one op over K·V.
    const w3 = tf.concat(this.subsets.map((s) => convMatrix(s.conv3.weight)), 1) as tf.Tensor2D;
    const b3 = tf.concat(this.subsets.map((s) => s.conv3.bias), 0) as tf.Tensor1D;
    const x3 = linear(x, w3, b3).reshape([B, -1, V * K, outC]) as tf.Tensor4D; // [B, T, (v, i), out]
    const Rs = tf.transpose(stackParts(R), [1, 0, 2]).reshape([V * K, B, V, outC]) as tf.Tensor4D; // [(v, i), B, U, out]
    const sum = memo ? memo.through((known?: tf.Tensor4D) => aggregate(Rs, x3, known)) : aggregate(Rs, x3);
    let y = this.bn.apply(sum, training, record);
    y = tf.add(y, this.down ? this.down.bn.apply(conv1x1(x, this.down.conv.weight, this.down.conv.bias), training, record) : x);
    return tf.relu(y);
  }
}

/**
 * out[b, t, u, c] = Σ_w R[w, b, u, c] · x[b, t, w, c], with R [W, B, U, C] and x [B, T, W, C], by the
 * backend's kernel (trainer/kernels/). `known`, the output of an earlier call on the same R and x (a
 * checkpoint replay), skips the forward computation; the gradient still needs R and x.
 */
export function aggregate(R: tf.Tensor4D, x: tf.Tensor4D, known?: tf.Tensor4D): tf.Tensor4D {
  return activeKernels().aggregate(R, x, known);
}
