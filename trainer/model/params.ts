/**
 * The model's named state: trainable variables and batch-norm running statistics, keyed by the
 * official CTR-GCN `state_dict` names and stored in the official shapes (conv weights
 * [out, in, kh, kw]). Layers reshape them on use; they are tiny next to the activations.
 */
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '../../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';

export class ParamStore {
  /** Every tensor in declaration order; `trainable` says which ones the optimiser updates. */
  private readonly all = new Map<string, { v: tf.Variable; trainable: boolean }>();

  /** Declares a trainable parameter with its initial values. */
  param(name: string, shape: number[], init: Float32Array): tf.Variable {
    return this.declare(name, shape, init, true);
  }

  /** Declares a non-trainable buffer (batch-norm running mean / variance). */
  buffer(name: string, shape: number[], init: Float32Array): tf.Variable {
    return this.declare(name, shape, init, false);
  }

  private declare(name: string, shape: number[], init: Float32Array, trainable: boolean): tf.Variable {
    if (this.all.has(name)) throw new Error(`parameter ${name} declared twice`);
    // In a tidy: the initial tensor would otherwise outlive the variable's first update, a copy of the initial weights per model.
    const v = tf.tidy(() => tf.variable(tf.tensor(init, shape, 'float32'), trainable, `${name}#${nextId++}`));
    this.all.set(name, { v, trainable });
    return v;
  }

  trainableVariables(): tf.Variable[] {
    return [...this.all.values()].filter((p) => p.trainable).map((p) => p.v);
  }

  /** Trainable variables whose names start with `prefix` (one layer's weights). */
  trainableUnder(prefix: string): tf.Variable[] {
    return [...this.all].filter(([n, p]) => p.trainable && n.startsWith(prefix)).map(([, p]) => p.v);
  }

  /** Name of each trainable variable, in the order of trainableVariables(). */
  trainableNames(): string[] {
    return [...this.all].filter(([, p]) => p.trainable).map(([n]) => n);
  }

  /** A copy of every tensor (parameters and running statistics) by official name (read asynchronously: GPU backends cannot read otherwise). */
  async snapshot(): Promise<Map<string, Tensor>> {
    const out = new Map<string, Tensor>();
    for (const [name, { v }] of this.all) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  /**
   * Overwrites every tensor from `weights`, after checking that the names and shapes match exactly:
   * a missing, extra or mis-shaped tensor is refused by name before anything is changed.
   */
  load(weights: ReadonlyMap<string, Tensor>, source = 'weights'): void {
    checkNames(this.shapes(), weights, source);
    for (const [name, { v }] of this.all) v.assign(tf.tensor(weights.get(name)!.data, v.shape, 'float32'));
  }

  /** Expected shape of every tensor by name. */
  shapes(): Map<string, number[]> {
    return new Map([...this.all].map(([n, { v }]) => [n, [...v.shape]]));
  }

  dispose(): void {
    for (const { v } of this.all.values()) v.dispose();
    this.all.clear();
  }
}

let nextId = 0;

/** Refuses a weight set whose names or shapes differ from the expected ones, naming the tensor. */
export function checkNames(expected: ReadonlyMap<string, number[]>, weights: ReadonlyMap<string, Tensor>, source: string): void {
  const missing = [...expected.keys()].filter((n) => !weights.has(n));
  if (missing.length) throw new UserError(`${source}: missing tensor${missing.length > 1 ? 's' : ''} ${list(missing)}`);
  const extra = [...weights.keys()].filter((n) => !expected.has(n));
  if (extra.length) throw new UserError(`${source}: unexpected tensor${extra.length > 1 ? 's' : ''} ${list(extra)} (not part of this CTR-GCN configuration)`);
  for (const [name, shape] of expected) {
    const t = weights.get(name)!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (t.shape.join(',') !== shape.join(',') || t.data.length !== count) {
      throw new UserError(`${source}: tensor "${name}" has shape [${t.shape}], expected [${shape}]`);
    }
  }
}

function list(names: string[]): string {
  const shown = names.slice(0, 5).map((n) => `"${n}"`).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
