/**
 * CTR-GCN (Chen et al., ICCV 2021) on tfjs, computing exactly what the official PyTorch model
 * computes (proven on the golden case in tests/fixtures/golden-ctrgcn-ntu60/).
 *
 * Input [N, C, T, V, M] → data BN over (M·V·C) channels → persons folded into the batch as
 * channel-last [N·M, T, V, C] → TCN-GCN units → mean over T and V, then over M → feature [N, F]
 * → dropout → fc → logits [N, K].
 */
import * as tf from '@tensorflow/tfjs';
import type { Artifact, CtrGcnConfig, InputSpec, Tensor } from '../../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS, spatialAdjacency, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { describeCtrGcn } from '../../common/model/ctrgcn.ts';
import { Rng } from '../../common/rng.ts';
import { normal, uniform } from './init.ts';
import { BatchNorm } from './norm.ts';
import { matMul2d } from './ops.ts';
import { ParamStore } from './params.ts';
import { Unit } from './unit.ts';

export type { CtrGcnConfig } from '../../common/artifact.ts';
export { ctrgcnConfig } from '../../common/model/ctrgcn.ts';

export interface ModelSpec {
  backbone: CtrGcnConfig;
  input: InputSpec;
  layout: LayoutName;
  numClasses: number;
  /** Dropout on the feature before the classifier, training only (official default 0). */
  dropout?: number;
}

export class CtrGcnModel {
  readonly featureDim: number;
  private readonly store = new ParamStore();
  private readonly dataBn: BatchNorm;
  private readonly units: Unit[] = [];
  private readonly fcWeight: tf.Variable;
  private readonly fcBias: tf.Variable;
  private readonly dropoutSeed: Rng;

  private constructor(readonly spec: ModelSpec, seed: number) {
    const { backbone: b, input, layout, numClasses } = spec;
    const joints = LAYOUTS[layout].joints.length;
    if (input.V !== joints) throw new UserError(`model spec: layout ${layout} has ${joints} joints, input.V is ${input.V}`);
    if (input.C !== b.inChannels) throw new UserError(`model spec: input.C is ${input.C}, backbone.inChannels is ${b.inChannels}`);
    const rng = new Rng(seed);
    const adjacency = spatialAdjacency(LAYOUTS[layout]);
    // The structure is common/model/ctrgcn.ts's; this class gives it tfjs variables and computation.
    const described = describeCtrGcn(b, input, numClasses, adjacency.length);
    this.dataBn = new BatchNorm(this.store, 'data_bn', input.M * input.V * input.C);
    for (const unit of described.units) this.units.push(new Unit(this.store, rng, unit, adjacency, b.temporalKernel, b.dilations));
    this.featureDim = described.featureDim;
    this.fcWeight = this.store.param('fc.weight', [numClasses, this.featureDim], normal(rng, [numClasses, this.featureDim], 0, Math.sqrt(2 / numClasses)));
    const bound = 1 / Math.sqrt(this.featureDim); // PyTorch's default Linear bias init
    this.fcBias = this.store.param('fc.bias', [numClasses], uniform(rng, [numClasses], -bound, bound));
    this.dropoutSeed = rng.fork();
  }

  /** A freshly initialised model (the official init, drawn from `seed`). */
  static create(spec: ModelSpec, seed: number): CtrGcnModel {
    return new CtrGcnModel(spec, seed);
  }

  /** The model an artifact describes, with its weights. */
  static fromArtifact(a: Artifact): CtrGcnModel {
    const m = a.model;
    const model = new CtrGcnModel({ backbone: m.backbone, input: m.input, layout: m.layout, numClasses: m.classes.length }, 0);
    model.loadNamedWeights(a.weights, `${a.dir}/weights.bin`);
    return model;
  }

  /** Pooled feature [N, F] of x [N, C, T, V, M]. */
  features(x: tf.Tensor, training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      const { C, V, M } = this.spec.input;
      if (x.rank !== 5 || x.shape[1] !== C || x.shape[3] !== V || x.shape[4] !== M) {
        throw new UserError(`model input: expected shape [N, ${C}, T, ${V}, ${M}], found [${x.shape}]`);
      }
      const [N, , T] = x.shape;
      let h = this.normaliseInput(x.reshape([N, C, T * V, M]) as tf.Tensor4D, N, T, training);
      for (const unit of this.units) h = unit.apply(h, training);
      const perPerson = tf.mean(h, [1, 2]); // [N·M, F]
      return tf.mean(perPerson.reshape([N, M, this.featureDim]), 1) as tf.Tensor2D;
    });
  }

  /**
   * data_bn: BatchNorm1d over M·V·C channels ordered m·VC + v·C + c, statistics over N and T; then
   * persons join the batch: [N, C, T·V, M] → [N·M, T, V, C].
   */
  private normaliseInput(x: tf.Tensor4D, N: number, T: number, training: boolean): tf.Tensor4D {
    const { C, V, M } = this.spec.input;
    const byPerson = tf.transpose(x, [0, 3, 2, 1]).reshape([N, M, T, V * C]); // [N, M, T, V·C]
    const rows = tf.transpose(byPerson, [0, 2, 1, 3]).reshape([N * T, M * V * C]);
    const normed = this.dataBn.apply(rows, training).reshape([N, T, M, V * C]);
    return tf.transpose(normed, [0, 2, 1, 3]).reshape([N * M, T, V, C]);
  }

  /** Logits [N, K] of features [N, F]. */
  classify(f: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return tf.tidy(() => {
      const rate = this.spec.dropout ?? 0;
      const dropped = training && rate > 0 ? tf.dropout(f, rate, undefined, this.dropoutSeed.nextU32()) : f;
      return tf.add(matMul2d(dropped as tf.Tensor2D, tf.transpose(this.fcWeight) as tf.Tensor2D), this.fcBias) as tf.Tensor2D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.store.trainableVariables();
  }

  /** Official state_dict name of each trainable variable, in the order of trainableVariables(). */
  trainableNames(): string[] {
    return this.store.trainableNames();
  }

  /** Every tensor (parameters and batch-norm running statistics) by official state_dict name. */
  namedWeights(): Promise<Map<string, Tensor>> {
    return this.store.snapshot();
  }

  /** Expected official name → shape of every tensor. */
  weightShapes(): Map<string, number[]> {
    return this.store.shapes();
  }

  /** Loads weights by official name; refuses missing, extra or mis-shaped tensors by name. */
  loadNamedWeights(weights: ReadonlyMap<string, Tensor>, source = 'weights'): void {
    this.store.load(weights, source);
  }

  dispose(): void {
    this.store.dispose();
  }
}
