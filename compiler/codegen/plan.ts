/**
 * Codegen, stage 1 of 2: the plan. For a lowered graph it decides every tensor's layout and arena
 * offset (tensor-layout.ts, memory-plan.ts), every CTR-GC's scratch, and packs every weight into the blob
 * that becomes the data segment (pack.ts). The plan is plain data, printable as JSON
 * (`cocodiff compile --plan plan.json`, and plan.json next to the sources of `--emit-as`); stage 2,
 * the emitters in ops/, only turns it into AssemblyScript.
 */
import type { ConvOp, CtrgcOp, Graph, InputOp, LinearOp, MaxPoolOp, Op, PoolOp, SubsampleOp } from '../ir.ts';
import { roundUp, tensorLayouts, type TensorLayout } from '../tensor-layout.ts';
import { liveBuffers, planMemory } from '../memory-plan.ts';
import { WeightBlob, packConvOp, packCtrgc, padTo4, type PackedConv, type PackedCtrgc } from '../pack.ts';

/** A tensor's layout (rows of padT·V zeros, T·V values, padT·V zeros, slack) and where it sits in the arena. */
export interface PlannedTensor extends TensorLayout {
  /** Byte offset of row 0 in the arena. */
  offset: number;
}

/** Arena byte offsets of one CTR-GC's scratch: xm [Cin][Vp], x1/x2 [s·R][Vp], th [s·R][V][Vp], a [s·Cout][V][Vp], x3 [s·Cout][x3Row]. */
export interface CtrgcScratch {
  xm: number; x1: number; x2: number; th: number; a: number; x3: number;
  /** Floats per x3 row: T·V plus a vector of slack for the conv kernel's last store. */
  x3Row: number;
}

/** Every planned op: where it runs (its unit, once per person or once) and the byte offsets of its packed weights. */
interface Placed {
  /** The unit it belongs to: input, l1 … l10, head. */
  layer: string;
  /** Runs once per person (everything up to the pooling) rather than once per inference. */
  perPerson: boolean;
}
export type PlannedInput = Omit<InputOp, 'bn' | 'scale' | 'shift'> & Placed & { weights: { scale: number; shift: number } };
export type PlannedConv = Omit<ConvOp, 'weight' | 'bias'> & Placed & { weights: PackedConv };
export type PlannedMaxPool = Omit<MaxPoolOp, 'scale' | 'shift'> & Placed & { weights: { scale?: number; shift?: number } };
export type PlannedSubsample = SubsampleOp & Placed;
export type PlannedCtrgc = Omit<CtrgcOp, 'subsets' | 'bias' | 'alpha'> & Placed & { subsets: number; scratch: CtrgcScratch; weights: PackedCtrgc };
export type PlannedPool = PoolOp & Placed & { persons: number };
export type PlannedLinear = Omit<LinearOp, 'weight' | 'bias'> & Placed & { classes: number; features: number; weights: PackedConv };
export type PlannedOp = PlannedInput | PlannedConv | PlannedMaxPool | PlannedSubsample | PlannedCtrgc | PlannedPool | PlannedLinear;

export interface NetworkPlan {
  /** Network input [C][T][V][M]. */
  input: Graph['input'];
  tensors: Record<string, PlannedTensor>;
  arenaBytes: number;
  /** Bytes of packed f32 weights. */
  weightBytes: number;
  /** The pooled feature the person loop sums into (outside the arena's reuse). */
  feature: string;
  ops: PlannedOp[];
}

/** The `format` field of a printed plan: marks the file as ours, so a rebuild may replace it (common/output-file.ts). */
export const PLAN_FORMAT = 'cocodiff-plan';

const CTRGC_PARTS = ['xm', 'x1', 'x2', 'th', 'a', 'x3'] as const;

/** Sizes of one CTR-GC's scratch parts, each 64-byte aligned, at offsets from 0. */
function ctrgcScratchLayout(op: CtrgcOp, src: TensorLayout): { at: Omit<CtrgcScratch, 'x3Row'>; x3Row: number; bytes: number } {
  const n = op.subsets.length;
  const Vp = roundUp(src.V, 4);
  const x3Row = src.cols + 4;
  const sizes = {
    xm: op.cin * Vp * 4,
    x1: n * op.rel * Vp * 4,
    x2: n * op.rel * Vp * 4,
    th: n * op.rel * src.V * Vp * 4,
    a: n * op.cout * src.V * Vp * 4,
    x3: n * op.cout * x3Row * 4,
  };
  let bytes = 0;
  const at = {} as Omit<CtrgcScratch, 'x3Row'>;
  for (const k of CTRGC_PARTS) {
    at[k] = bytes;
    bytes += roundUp(sizes[k], 64);
  }
  return { at, x3Row, bytes };
}

function checkLowered(op: Op): void {
  if (op.kind === 'bn' || op.kind === 'relu' || op.kind === 'add' || op.kind === 'concat') {
    throw new Error(`codegen: op ${op.kind} → ${op.out} was not fused; run the passes first`);
  }
  if (op.kind === 'conv' && op.stride !== 1) throw new Error(`codegen: strided conv → ${op.out} was not lowered`);
  if (op.kind === 'input' && op.bn) throw new Error('codegen: the data batch-norm was not folded');
  if (op.kind === 'ctrgc' && op.alpha !== 1) throw new Error(`codegen: CTR-GC ${op.out}: alpha was not folded into conv4`);
}

export function planNetwork(graph: Graph): { plan: NetworkPlan; weights: Float32Array } {
  graph.ops.forEach(checkLowered);
  const layouts = tensorLayouts(graph);
  const { V, M } = graph.input;

  const scratchBytes = new Map<number, number>();
  graph.ops.forEach((op, i) => {
    if (op.kind === 'ctrgc') scratchBytes.set(i, ctrgcScratchLayout(op, layouts.get(op.in)!).bytes);
  });
  const memory = planMemory(liveBuffers(graph, new Map([...layouts].map(([name, l]) => [name, l.bytes])), scratchBytes));
  const tensors: Record<string, PlannedTensor> = {};
  for (const [name, l] of layouts) if (memory.offsets.has(name)) tensors[name] = { ...l, offset: memory.offsets.get(name)! };

  const blob = new WeightBlob();
  const poolIndex = graph.ops.findIndex((op) => op.kind === 'pool');
  const ops = graph.ops.map((op, i): PlannedOp => {
    const placed: Placed = {
      layer: op.kind === 'linear' || op.kind === 'pool' ? 'head' : op.kind === 'input' ? 'input' : 'module' in op ? op.module.split('.')[0] : op.out,
      perPerson: i <= poolIndex,
    };
    switch (op.kind) {
      case 'input': {
        const { bn: _bn, scale, shift, ...rest } = op;
        return { ...rest, ...placed, weights: { scale: blob.add(scale!), shift: blob.add(shift!) } };
      }
      case 'conv': {
        const { weight: _w, bias: _b, ...rest } = op;
        return { ...rest, ...placed, weights: packConvOp(blob, op) };
      }
      case 'maxpool': {
        const { scale, shift, ...rest } = op;
        return { ...rest, ...placed, weights: scale ? { scale: blob.add(scale), shift: blob.add(shift!) } : {} };
      }
      case 'subsample':
        return { ...op, ...placed };
      case 'ctrgc': {
        const { subsets, bias: _b, alpha: _a, ...rest } = op;
        const src = layouts.get(op.in)!;
        if (src.padT !== 0 || layouts.get(op.out)!.padT !== 0) throw new Error(`codegen: CTR-GC ${op.out} expects unpadded tensors`);
        const { at, x3Row } = ctrgcScratchLayout(op, src);
        const base = memory.offsets.get(`#scratch${i}`)!;
        const scratch = { xm: base + at.xm, x1: base + at.x1, x2: base + at.x2, th: base + at.th, a: base + at.a, x3: base + at.x3, x3Row };
        return { ...rest, ...placed, subsets: subsets.length, scratch, weights: packCtrgc(blob, op, V) };
      }
      case 'pool':
        return { ...op, ...placed, persons: M };
      case 'linear': {
        const { weight, bias, ...rest } = op;
        return { ...rest, ...placed, classes: bias.length, features: weight.length / bias.length, weights: { weight: blob.add(weight), bias: blob.add(padTo4(bias)) } };
      }
      default:
        throw new Error(`codegen: no kernel for op ${op.kind}`);
    }
  });
  const weights = blob.toFloat32();
  return {
    plan: { input: graph.input, tensors, arenaBytes: memory.arenaBytes, weightBytes: weights.length * 4, feature: graph.ops[poolIndex].out, ops },
    weights,
  };
}

/** The plan as JSON, one tensor or op a line: readable, and diffable between two compiles. */
export function formatPlan(plan: NetworkPlan): string {
  const { tensors, ops, ...rest } = plan;
  const head = JSON.stringify({ format: PLAN_FORMAT, ...rest }, null, 2).slice(0, -2);
  const lines = (entries: string[]): string => entries.map((e) => `    ${e}`).join(',\n');
  return `${head},\n  "tensors": {\n${lines(Object.entries(tensors).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`))}\n  },\n  "ops": [\n${lines(ops.map((op) => JSON.stringify(op)))}\n  ]\n}\n`;
}
