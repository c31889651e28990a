/**
 * Codegen, stage 1 of 2: the plan. For a lowered graph it decides every tensor's layout and arena
 * offset (tensor-layout.ts, memory-plan.ts), every CTR-GC's scratch, and packs every weight into the blob
 * that becomes the data segment (pack.ts). The plan is plain data, printable as JSON
 * (`cocodiff compile --plan plan.json`, and plan.json next to the sources of `--emit-as`); stage 2,
 * the emitters in ops/, only turns it into AssemblyScript.
 */
import type { ConvOp, CtrgcOp, Graph, InputOp, LinearOp, MaxPoolOp, Op, PoolOp, SubsampleOp } from '../ir.ts';
import { roundUp, tensorLayouts, type TensorLayout } from '../tensor-layout.ts';
import { liveBuffers, planMemory, type Buffer } from '../memory-plan.ts';
import { Int8Blob, WeightBlob, packConvOp, packCtrgc, packQs8ConvOp, padTo4, type ExpandedWeights, type PackedConv, type PackedCtrgc, type PackedQs8Conv } from '../pack.ts';
import { INT8_FORMATS, type Int8Format } from '../int8/arithmetic.ts';

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
/**
 * An op's int8 part (`--int8`): the module's int8 format, the activation scale and zero point of its
 * input, where that input's codes sit in the arena (groups of channels, qs8-conv.ts), whether this op
 * is the first int8 reader that makes them, and its packed codes, scales and bias.
 */
export interface PlannedInt8 {
  format: Int8Format;
  xScale: number;
  xZero: number;
  codes: number;
  quantise: boolean;
  weights: PackedQs8Conv;
}

export type PlannedInput = Omit<InputOp, 'bn' | 'scale' | 'shift'> & Placed & { weights: { scale: number; shift: number } };
/** A conv has f32 `weights` or, with `--int8`, an `int8` part. */
export type PlannedConv = Omit<ConvOp, 'weight' | 'bias' | 'quant' | 'weightCodes'> & Placed & ({ weights: PackedConv; int8?: undefined } | { weights?: undefined; int8: PlannedInt8 });
export type PlannedMaxPool = Omit<MaxPoolOp, 'scale' | 'shift'> & Placed & { weights: { scale?: number; shift?: number } };
export type PlannedSubsample = SubsampleOp & Placed;
export type PlannedCtrgc = Omit<CtrgcOp, 'subsets' | 'bias' | 'alpha' | 'conv3Quant'> & Placed & { subsets: number; scratch: CtrgcScratch; weights: PackedCtrgc; conv3Int8?: PlannedInt8 };
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
  /** Bytes of int8 weight codes (`--int8`; 0 without): the data segment holds them after the f32 weights. */
  int8Weights: number;
  /** How the int8 convs multiply (`--int8`): c2 (codes expanded to i16 at start-up) or c4 (read as bytes). */
  int8Format?: Int8Format;
  /** The f32 weights stored as int8 codes (`--int8`, weight-only; absent without): written into WB at start-up. */
  expandedWeights?: ExpandedWeights[];
  /** Bytes of those codes (WQ). */
  weightCodeBytes?: number;
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

/** The tensors int8 ops read, each with the op indices of its first and last int8 reader. */
function int8Readers(graph: Graph): Map<string, { first: number; last: number }> {
  const readers = new Map<string, { first: number; last: number }>();
  graph.ops.forEach((op, i) => {
    if ((op.kind === 'conv' && op.quant) || (op.kind === 'ctrgc' && op.conv3Quant)) {
      const r = readers.get(op.in);
      if (r) r.last = i;
      else readers.set(op.in, { first: i, last: i });
    }
  });
  return readers;
}

/** The arena buffer holding a tensor's activation codes: ⌈C/g⌉ rows of g channels, each of the tensor's row bytes. */
const codesBuffer = (name: string): string => `#codes:${name}`;

/**
 * `weights`: every f32 weight; `storedWeights`: the runs of them the data segment holds (all of them
 * unless some are stored as int8 codes, `weightCodes`, pack.ts ExpandedWeights).
 */
export function planNetwork(graph: Graph): {
  plan: NetworkPlan; weights: Float32Array; storedWeights: Array<{ offset: number; bytes: Uint8Array }>; weightCodes: Int8Array; int8Weights: Int8Array;
} {
  graph.ops.forEach(checkLowered);
  const layouts = tensorLayouts(graph);
  const { V, M } = graph.input;

  const scratchBytes = new Map<number, number>();
  graph.ops.forEach((op, i) => {
    if (op.kind === 'ctrgc') scratchBytes.set(i, ctrgcScratchLayout(op, layouts.get(op.in)!).bytes);
  });
  const readers = int8Readers(graph);
  // One format for the whole module (passes/quantise.ts gives every int8 op the same).
  const int8Format = graph.ops.map((op) => (op.kind === 'conv' ? op.quant : op.kind === 'ctrgc' ? op.conv3Quant : undefined)?.format).find(Boolean);
  const g = INT8_FORMATS[int8Format ?? 'c2'].channelsPerStep;
  const codes: Buffer[] = [...readers].map(([name, r]) => {
    const l = layouts.get(name)!;
    return { name: codesBuffer(name), bytes: Math.ceil(l.C / g) * l.rowStride * 4, first: r.first, last: r.last };
  });
  const memory = planMemory(liveBuffers(graph, new Map([...layouts].map(([name, l]) => [name, l.bytes])), scratchBytes, codes));
  const tensors: Record<string, PlannedTensor> = {};
  for (const [name, l] of layouts) if (memory.offsets.has(name)) tensors[name] = { ...l, offset: memory.offsets.get(name)! };

  const blob = new WeightBlob();
  const int8Blob = new Int8Blob(int8Format ?? 'c2');
  const int8Part = (i: number, op: { in: string; bias: ArrayLike<number>; cout: number; cin: number; K: number; quant: NonNullable<ConvOp['quant']> }): PlannedInt8 => ({
    format: op.quant.format,
    xScale: op.quant.xScale,
    xZero: op.quant.xZero,
    codes: memory.offsets.get(codesBuffer(op.in))!,
    quantise: readers.get(op.in)!.first === i,
    weights: packQs8ConvOp(blob, int8Blob, op),
  });
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
        const { weight: _w, bias: _b, quant, weightCodes: _c, ...rest } = op;
        return quant ? { ...rest, ...placed, int8: int8Part(i, { ...op, quant }) } : { ...rest, ...placed, weights: packConvOp(blob, op) };
      }
      case 'maxpool': {
        const { scale, shift, ...rest } = op;
        return { ...rest, ...placed, weights: scale ? { scale: blob.add(scale), shift: blob.add(shift!) } : {} };
      }
      case 'subsample':
        return { ...op, ...placed };
      case 'ctrgc': {
        const { subsets, bias: _b, alpha: _a, conv3Quant, ...rest } = op;
        const src = layouts.get(op.in)!;
        if (src.padT !== 0 || layouts.get(op.out)!.padT !== 0) throw new Error(`codegen: CTR-GC ${op.out} expects unpadded tensors`);
        const { at, x3Row } = ctrgcScratchLayout(op, src);
        const base = memory.offsets.get(`#scratch${i}`)!;
        const scratch = { xm: base + at.xm, x1: base + at.x1, x2: base + at.x2, th: base + at.th, a: base + at.a, x3: base + at.x3, x3Row };
        const n = subsets.length;
        const conv3Int8 = conv3Quant
          ? int8Part(i, { in: op.in, bias: subsets.flatMap((s) => [...s.b3]), cout: n * op.cout, cin: op.cin, K: 1, quant: conv3Quant })
          : undefined;
        return { ...rest, ...placed, subsets: n, scratch, weights: packCtrgc(blob, op, V, !conv3Int8), ...(conv3Int8 ? { conv3Int8 } : {}) };
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
  const int8Weights = int8Blob.toInt8();
  const weightCodes = blob.codes();
  return {
    plan: {
      input: graph.input, tensors, arenaBytes: memory.arenaBytes, weightBytes: weights.length * 4, int8Weights: int8Weights.length, ...(int8Format ? { int8Format } : {}),
      ...(weightCodes.length ? { expandedWeights: blob.expanded, weightCodeBytes: weightCodes.length } : {}), feature: graph.ops[poolIndex].out, ops,
    },
    weights,
    storedWeights: blob.storedRuns(),
    weightCodes,
    int8Weights,
  };
}

/** The plan as JSON, one tensor or op a line: readable, and diffable between two compiles. */
export function formatPlan(plan: NetworkPlan): string {
  const { tensors, ops, ...rest } = plan;
  const head = JSON.stringify({ format: PLAN_FORMAT, ...rest }, null, 2).slice(0, -2);
  const lines = (entries: string[]): string => entries.map((e) => `    ${e}`).join(',\n');
  return `${head},\n  "tensors": {\n${lines(Object.entries(tensors).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`))}\n  },\n  "ops": [\n${lines(ops.map((op) => JSON.stringify(op)))}\n  ]\n}\n`;
}
