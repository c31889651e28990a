/**
 * What the per-op emitters share: the plan's tensors as address expressions, the kernels the module
 * needs (each emitted once), and the shape of what an emitter returns.
 */
import type { Isa, Kernel } from '../kernels/isa.ts';
import { ZERO_PADS_KERNEL } from '../kernels/scalar.ts';
import type { NetworkPlan, PlannedTensor } from '../plan.ts';

/** One timed call of `network_forward` (one profiling slot). */
export interface Call {
  /** AssemblyScript statements: the kernel call, sometimes followed by zero_time_pads. */
  code: string[];
  /** The kernel family the per-kernel profile groups it under, e.g. "conv 1×1", "ctrgc aggregate". */
  kernel: string;
  /** Multiply-adds of one call. */
  macs: number;
  /**
   * A threaded module (`compile --threads`) puts a barrier after this call: every thread's share of
   * it must be done before any thread runs the op's next call. (Every op ends with one anyway.)
   */
  barrierAfter?: boolean;
}

/** Output rows (channels) [begin, end) of an op: one thread's share in a threaded module (threads.ts). */
export interface RowRange {
  begin: number;
  end: number;
}

/** What one op becomes: a comment naming the official module and the shapes, then its calls. */
export interface EmittedOp {
  comment: string;
  calls: Call[];
}

export class EmitContext {
  private readonly kernels = new Map<string, string>();

  constructor(readonly plan: NetworkPlan, readonly isa: Isa) {}

  tensor(name: string): PlannedTensor {
    const t = this.plan.tensors[name];
    if (!t) throw new Error(`codegen: tensor ${name} has no place in the plan`);
    return t;
  }

  /** Arena offset of channel c's first real frame (past the time padding), moved by `frames` frames. */
  offset(name: string, c = 0, frames = 0): number {
    const t = this.tensor(name);
    return t.offset + c * t.rowStride * 4 + (t.padT + frames) * t.V * 4;
  }

  /** The same as an address: `AR + n`. */
  at(name: string, c = 0, frames = 0): string {
    return arena(this.offset(name, c, frames));
  }

  /** Bytes between two channel rows of a tensor. */
  rowBytes(name: string): number {
    return this.tensor(name).rowStride * 4;
  }

  /** Adds a kernel to the module (once); returns its name. */
  use(kernel: Kernel): string {
    if (!this.kernels.has(kernel.name)) this.kernels.set(kernel.name, kernel.source.trim());
    return kernel.name;
  }

  /** The sources of every kernel used, in order of first use. */
  kernelSources(): string[] {
    return [...this.kernels.values()];
  }
}

/** A byte address: an offset into the activation arena AR, the weights WB, or the int8 weights expanded to i16, QW. */
export interface Address {
  base: 'AR' | 'WB' | 'QW';
  offset: number;
}
export const address = (a: Address, plus = 0): string => `${a.base} + ${a.offset + plus}`;
export const arena = (offset: number): string => address({ base: 'AR', offset });
export const weight = (offset: number): string => address({ base: 'WB', offset });
export const int8Weight = (offset: number): string => address({ base: 'QW', offset });

/** `C×T×V` of a tensor. */
export const shape = (t: { C: number; T: number; V: number }): string => `${t.C}×${t.T}×${t.V}`;

/** How an op's result is stored: at a channel offset (a fused concat), plus a residual, then ReLU. */
export function describeEpilogue(op: { out: string; outOffset: number; residual?: { tensor: string; offset: number }; relu: boolean }, cout: number): string {
  const parts = [`→ ${op.out}${op.outOffset ? `[${op.outOffset}:${op.outOffset + cout}]` : ''}`];
  if (op.residual) parts.push(`+ ${op.residual.tensor}${op.residual.offset ? `[${op.residual.offset}:${op.residual.offset + cout}]` : ''}`);
  if (op.relu) parts.push('ReLU');
  return parts.join(', ');
}

/** The statement zeroing the time padding of rows [c0, c0 + n) of a tensor, if it has any. */
export function zeroPads(ctx: EmitContext, name: string, c0: number, n: number): string[] {
  const t = ctx.tensor(name);
  if (t.padT === 0) return [];
  const rowBytes = t.rowStride * 4;
  return [`${ctx.use(ZERO_PADS_KERNEL)}(${arena(t.offset + c0 * rowBytes)}, ${n}, ${rowBytes}, ${t.padT * t.V * 4}, ${t.T * t.V * 4});`];
}
