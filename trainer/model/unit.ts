/**
 * A TCN-GCN unit: relu(tcn1(gcn1(x)) + residual(x)). The residual is absent on the first unit,
 * the identity when channels and frames are unchanged, else a strided 1×1 conv + BN (`unit_tcn`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.ts';
import { checkpoint } from './checkpoint.ts';
import { GraphConv } from './ctrgc.ts';
import { declareConv, type Conv } from './init.ts';
import { BatchNorm } from './norm.ts';
import { conv1x1, evenFrames } from './ops.ts';
import type { ParamStore } from './params.ts';
import { MultiScaleTcn } from './tcn.ts';

export interface UnitShape {
  inC: number;
  outC: number;
  stride: number;
  residual: boolean;
}

export class Unit {
  readonly gcn: GraphConv;
  readonly tcn: MultiScaleTcn;
  readonly residual?: { conv: Conv; bn: BatchNorm };
  private readonly weights: tf.Variable[];
  private readonly gcnWeights: tf.Variable[];
  private readonly tcnWeights: tf.Variable[];

  constructor(
    store: ParamStore,
    rng: Rng,
    name: string,
    readonly shape: UnitShape,
    adjacency: Float32Array[],
    reduction: number,
    kernel: number,
    dilations: number[],
  ) {
    const { inC, outC, stride } = shape;
    this.gcn = new GraphConv(store, rng, `${name}.gcn1`, inC, outC, adjacency, reduction);
    this.tcn = new MultiScaleTcn(store, rng, `${name}.tcn1`, outC, stride, kernel, dilations);
    if (shape.residual && (inC !== outC || stride !== 1)) {
      this.residual = { conv: declareConv(store, rng, `${name}.residual.conv`, outC, inC), bn: new BatchNorm(store, `${name}.residual.bn`, outC) };
    }
    this.weights = store.trainableUnder(`${name}.`);
    this.gcnWeights = store.trainableUnder(`${name}.gcn1.`);
    this.tcnWeights = store.trainableUnder(`${name}.tcn1.`);
  }

  /**
   * Training checkpoints at two levels. The whole unit keeps only its input until the backward pass
   * (tfjs would otherwise keep about ten activations per unit); its replay checkpoints the graph
   * and the temporal conv again, because tfjs keeps every gradient of a backward pass until it
   * ends, so a whole unit's backward at once would need several times the memory of its halves.
   */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return training ? checkpoint((h, record) => this.forward(h, true, record), x, this.weights) : this.forward(x, false, false);
  }

  private forward(x: tf.Tensor4D, training: boolean, record: boolean): tf.Tensor4D {
    const y = training
      ? checkpoint(
          (h, first) => this.tcn.apply(h, true, record && first),
          checkpoint((h, first) => this.gcn.apply(h, true, record && first), x, this.gcnWeights),
          this.tcnWeights,
        )
      : this.tcn.apply(this.gcn.apply(x, false), false);
    if (!this.shape.residual) return tf.relu(y);
    if (!this.residual) return tf.relu(tf.add(y, x)) as tf.Tensor4D;
    const r = this.residual;
    const xs = this.shape.stride === 2 ? evenFrames(x) : x;
    return tf.relu(tf.add(y, r.bn.apply(conv1x1(xs, r.conv.weight, r.conv.bias), training, record))) as tf.Tensor4D;
  }
}
