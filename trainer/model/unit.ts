/**
 * A TCN-GCN unit: relu(tcn1(gcn1(x)) + residual(x)). The residual is absent on the first unit,
 * the identity when channels and frames are unchanged, else a strided 1×1 conv + BN (`unit_tcn`).
 */
import * as tf from '@tensorflow/tfjs';
import type { UnitSpec } from '../../common/model/ctrgcn.ts';
import type { Rng } from '../../common/rng.ts';
import { checkpoint, type Stage } from './gradient-checkpointing.ts';
import { GraphConv } from './ctrgc.ts';
import { declareConv, type Conv } from './init.ts';
import { BatchNorm } from './norm.ts';
import { conv1x1, evenFrames } from './ops.ts';
import type { ParamStore } from './params.ts';
import { MultiScaleTcn } from './tcn.ts';

export class Unit {
  readonly gcn: GraphConv;
  readonly tcn: MultiScaleTcn;
  readonly residual?: { conv: Conv; bn: BatchNorm };
  /** The checkpointed stages of training: the graph conv, then the temporal conv with the residual. */
  private readonly stages: Stage[];

  constructor(
    store: ParamStore,
    rng: Rng,
    readonly shape: UnitSpec,
    adjacency: Float32Array[],
    kernel: number,
    dilations: number[],
  ) {
    const { name, inC, outC, stride } = shape;
    this.gcn = new GraphConv(store, rng, `${name}.gcn1`, inC, outC, adjacency, shape.rel);
    this.tcn = new MultiScaleTcn(store, rng, `${name}.tcn1`, outC, stride, kernel, dilations);
    if (shape.residual === 'conv') {
      this.residual = { conv: declareConv(store, rng, `${name}.residual.conv`, outC, inC), bn: new BatchNorm(store, `${name}.residual.bn`, outC) };
    }
    const gcnWeights = store.trainableUnder(`${name}.gcn1.`);
    this.stages = [
      { weights: gcnWeights, run: (h, _x, record, memo) => this.gcn.apply(h, true, record, memo) },
      {
        weights: store.trainableUnder(`${name}.`).filter((w) => !gcnWeights.includes(w)),
        run: (h, x, record) => this.output(this.tcn.apply(h, true, record), x, true, record),
      },
    ];
  }

  /**
   * Training checkpoints the unit in two stages (see gradient-checkpointing.ts): it keeps its input, the graph
   * conv's output and the aggregation's output (three activations) instead of the about ten tfjs
   * would keep, and its backward replays the temporal conv with the residual, then the graph conv.
   */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return training ? checkpoint(this.stages, x) : this.output(this.tcn.apply(this.gcn.apply(x, false), false), x, false, false);
  }

  /** relu(y + residual(x)), y the temporal conv's output. */
  private output(y: tf.Tensor4D, x: tf.Tensor4D, training: boolean, record: boolean): tf.Tensor4D {
    if (this.shape.residual === 'none') return tf.relu(y);
    if (!this.residual) return tf.relu(tf.add(y, x)) as tf.Tensor4D;
    const r = this.residual;
    const xs = this.shape.stride === 2 ? evenFrames(x) : x;
    return tf.relu(tf.add(y, r.bn.apply(conv1x1(xs, r.conv.weight, r.conv.bias), training, record))) as tf.Tensor4D;
  }
}
