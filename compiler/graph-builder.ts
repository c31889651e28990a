/**
 * The semantic graph as it is built from an artifact: named tensors and ops appended in order, each
 * weight looked up by its official name with its shape checked, and a record of the weights used so
 * that anything left over (an op this compiler does not know) can be refused.
 */
import type { Artifact, Tensor } from '../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import type { BatchNorm, Op, TensorInfo } from './ir.ts';

export class GraphBuilder {
  readonly tensors = new Map<string, TensorInfo>();
  readonly ops: Op[] = [];
  /** Where errors point: the artifact's model.json. */
  readonly where: string;
  /** Joints: every tensor before the pooling has this V. */
  readonly V: number;
  private readonly used = new Set<string>();

  constructor(private readonly artifact: Artifact) {
    this.where = `${artifact.dir}/model.json`;
    this.V = artifact.model.input.V;
  }

  weight(name: string, shape: number[]): Float32Array {
    const t: Tensor | undefined = this.artifact.weights.get(name);
    if (!t) throw new UserError(`${this.where}: weight "${name}" is missing (the ${this.artifact.model.backbone.type} structure in "backbone" needs it)`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new UserError(`${this.where}: weight "${name}" has shape [${t.shape}], expected [${shape}]`);
    }
    this.used.add(name);
    return t.data;
  }

  /** A weight's shape as stored, for structure read from the weights themselves (the subsets of PA); it still has to be read with `weight`. */
  storedShape(name: string): number[] | undefined {
    return this.artifact.weights.get(name)?.shape;
  }

  batchNorm(prefix: string, n: number): BatchNorm {
    return {
      gamma: this.weight(`${prefix}.weight`, [n]),
      beta: this.weight(`${prefix}.bias`, [n]),
      mean: this.weight(`${prefix}.running_mean`, [n]),
      variance: this.weight(`${prefix}.running_var`, [n]),
    };
  }

  /** Declares a tensor; returns its name, for the op that writes it. */
  tensor(name: string, info: TensorInfo): string {
    this.tensors.set(name, info);
    return name;
  }

  info(name: string): TensorInfo {
    return this.tensors.get(name)!;
  }

  /** A K×1 temporal conv. Its weight is stored [Cout][Cin][K][1]; the IR drops the trailing joint axis of size 1. */
  conv(prefix: string, input: string, out: string, cin: number, cout: number, K: number, stride: number, dilation: number): void {
    const src = this.info(input);
    const pad = ((K - 1) * dilation) / 2;
    this.tensor(out, { C: cout, T: Math.floor((src.T + 2 * pad - (K - 1) * dilation - 1) / stride) + 1, V: this.V });
    this.ops.push({
      kind: 'conv', module: prefix, in: input, out, cin, cout, K, dilation, stride, pad,
      weight: this.weight(`${prefix}.weight`, [cout, cin, K, 1]), bias: this.weight(`${prefix}.bias`, [cout]),
      outOffset: 0, relu: false,
    });
  }

  bn(prefix: string, input: string, out: string): void {
    const src = this.info(input);
    this.tensor(out, { ...src });
    this.ops.push({ kind: 'bn', in: input, out, bn: this.batchNorm(prefix, src.C) });
  }

  relu(input: string, out: string): void {
    this.tensor(out, { ...this.info(input) });
    this.ops.push({ kind: 'relu', in: input, out });
  }

  add(a: string, b: string, out: string): void {
    this.tensor(out, { ...this.info(a) });
    this.ops.push({ kind: 'add', a, b, out });
  }

  /** Refuses weights no op read: they belong to a structure this compiler does not know. */
  refuseUnused(): void {
    const unknown = [...this.artifact.weights.keys()].filter((n) => !this.used.has(n));
    if (unknown.length > 0) {
      throw new UserError(`${this.where}: weight "${unknown[0]}"${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''} belongs to no op this compiler knows for backbone "${this.artifact.model.backbone.type}"`);
    }
  }
}
