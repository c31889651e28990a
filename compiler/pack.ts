/**
 * Weight packing: every op's constants rearranged once, at compile time, into the order its kernel
 * reads them, and appended to one blob that becomes the module's data segment.
 *
 *   conv     [⌈Cout/4⌉][Cin][K][4]   four output channels' weights for one input column side by side,
 *                                     so the micro-kernel broadcasts them with 4 consecutive load32_splat;
 *                                     padded with zero channels to a multiple of 4
 *   ctrgc    conv1/conv2 [s][R][Cin], conv3 packed as a conv of s·Cout channels, conv4 packed as a
 *            conv of Cout channels per subset (its input rows are the R tanh maps of V·Vp values),
 *            PA transposed and padded to [s][V][Vp], Vp = ⌈V/4⌉·4 (row v, joints u in lanes), so that
 *            one subset's PA is one V·Vp row the conv4 kernel adds to every output channel
 *   int8 conv [⌈Cout/4⌉][⌈Cin/g⌉][K][4][g]   (`--int8`) for each group of g input channels (g = 2 in
 *                                     the c2 format, 4 in c4: int8/arithmetic.ts), the g weights of 4
 *                                     output channels side by side, so one load32_splat gives the group
 *                                     one dot step multiplies; into Int8Blob, with the scales
 *                                     xScale · wScale[co] and the bias as f32 in WeightBlob, and in c4
 *                                     the zero-point correction −xZero · Σ q[co] as i32 in Int8Blob
 */
import { INT8_FORMATS, type Int8Format } from './int8/arithmetic.ts';
import type { ConvOp, CtrgcOp, WeightCodes } from './ir.ts';
import { roundUp } from './tensor-layout.ts';

/**
 * An f32 weight array that the module writes from int8 codes at start-up (weight-only int8): with
 * `lanes` output channels interleaved (4 in a packed conv, 1 where each channel is a row of `per` values),
 *   f32 at dst: w[(b·per + j)·lanes + l] = codes[(b·per + j)·lanes + l] · scales[b·lanes + l]
 * `dst` and `scales` are byte offsets in the f32 weights (WB), `codes` in the weight codes (WQ).
 */
export interface ExpandedWeights {
  dst: number; codes: number; scales: number;
  blocks: number; per: number; lanes: number;
}

export class WeightBlob {
  private chunks: Float32Array[] = [];
  private floats = 0;
  private codeChunks: Int8Array[] = [];
  private codeCount = 0;
  /** The arrays stored as int8 codes, in the order they were added. */
  readonly expanded: ExpandedWeights[] = [];

  /** Appends values at a 16-byte aligned offset; returns that byte offset. */
  add(values: ArrayLike<number>): number {
    const pad = roundUp(this.floats, 4) - this.floats;
    if (pad) this.chunks.push(new Float32Array(pad));
    const offset = (this.floats + pad) * 4;
    this.chunks.push(Float32Array.from(values));
    this.floats += pad + values.length;
    return offset;
  }

  /**
   * Weights `values` (an [blocks][per][lanes] array, channel b·lanes + l) stored as `codes` with a scale
   * per channel: their f32 place is kept (the kernels read them there) but filled at start-up; returns its byte offset.
   */
  addCodes(values: Float32Array, codes: Int8Array, scales: Float32Array, lanes: number): number {
    if (codes.length !== values.length || values.length % scales.length !== 0 || scales.length % lanes !== 0) {
      throw new Error(`pack: ${codes.length} codes with ${scales.length} scales for ${values.length} weights in ${lanes} lane(s)`);
    }
    const dst = this.add(values);
    const pad = roundUp(this.codeCount, 16) - this.codeCount;
    if (pad) this.codeChunks.push(new Int8Array(pad));
    const at = this.codeCount + pad;
    this.codeChunks.push(codes);
    this.codeCount = at + codes.length;
    this.expanded.push({ dst, codes: at, scales: this.add(scales), blocks: scales.length / lanes, per: values.length / scales.length, lanes });
    return dst;
  }

  /** `values`, or with `codes` (and their channels `lanes` apart) the same stored as int8: addCodes. */
  addMaybeCodes(values: Float32Array, codes: { q: Int8Array; scales: Float32Array } | undefined, lanes = 1): number {
    return codes ? this.addCodes(values, codes.q, codes.scales, lanes) : this.add(values);
  }

  get bytes(): number {
    return this.floats * 4;
  }

  /** Every f32 value, those the module computes from codes included (as it will compute them). */
  toFloat32(): Float32Array {
    return concatInto(new Float32Array(roundUp(this.floats, 4)), this.chunks);
  }

  /** The weight codes of addCodes, 16-byte aligned. */
  codes(): Int8Array {
    return concatInto(new Int8Array(roundUp(this.codeCount, 16)), this.codeChunks);
  }

  /** The f32 bytes the data segment holds: every run between the arrays written from codes, at its byte offset. */
  storedRuns(): Array<{ offset: number; bytes: Uint8Array }> {
    const f32 = this.toFloat32();
    const bytes = new Uint8Array(f32.buffer);
    const runs: Array<{ offset: number; bytes: Uint8Array }> = [];
    let at = 0;
    for (const e of [...this.expanded].sort((a, b) => a.dst - b.dst)) {
      if (e.dst > at) runs.push({ offset: at, bytes: bytes.subarray(at, e.dst) });
      at = e.dst + e.blocks * e.per * e.lanes * 4;
    }
    if (at < bytes.length) runs.push({ offset: at, bytes: bytes.subarray(at) });
    return runs;
  }
}

/** A new array of `weight`'s kind (f32 weights or their int8 codes). */
const like = <A extends Float32Array | Int8Array>(weight: A, length: number): A => new (weight.constructor as new (n: number) => A)(length);

/** [Cout][Cin][K] → [⌈Cout/4⌉][Cin][K][4], zero-padded channels (f32 weights, or their int8 codes). */
export function packConv<A extends Float32Array | Int8Array>(weight: A, cout: number, cin: number, K: number): A {
  const blocks = Math.ceil(cout / 4);
  const out = like(weight, blocks * cin * K * 4);
  for (let co = 0; co < cout; co++) {
    const b = co >> 2;
    const lane = co & 3;
    for (let ci = 0; ci < cin; ci++) {
      for (let k = 0; k < K; k++) out[((b * cin + ci) * K + k) * 4 + lane] = weight[(co * cin + ci) * K + k];
    }
  }
  return out;
}

export const padTo4 = (v: Float32Array): Float32Array => {
  const out = new Float32Array(roundUp(v.length, 4));
  out.set(v);
  return out;
};

export interface PackedConv {
  weight: number;
  bias: number;
}

export function packConvOp(blob: WeightBlob, op: Pick<ConvOp, 'weight' | 'bias' | 'cout' | 'cin' | 'K' | 'weightCodes'>): PackedConv {
  const codes = op.weightCodes && { q: packConv(op.weightCodes.q, op.cout, op.cin, op.K), scales: padTo4(op.weightCodes.wScale) };
  return { weight: blob.addMaybeCodes(packConv(op.weight, op.cout, op.cin, op.K), codes, 4), bias: blob.add(padTo4(op.bias)) };
}

export interface PackedCtrgc {
  w1: number; b1: number; w2: number; b2: number;
  /** Absent when conv3 runs in int8 (its codes are packed by the planner). */
  conv3?: PackedConv;
  /** Per subset. */
  conv4: PackedConv[];
  /** Per subset: byte offset of its [V][Vp] transposed topology. */
  paT: number[];
  bias: number;
}

export function packCtrgc(blob: WeightBlob, op: CtrgcOp, V: number, withConv3 = true): PackedCtrgc {
  type Subset = CtrgcOp['subsets'][number];
  const cat = (pick: (s: Subset) => Float32Array): Float32Array => joined(op.subsets.map(pick));
  /** The subsets' codes of one weight, one after another as `cat` joins their weights (absent when stored f32). */
  const catCodes = (pick: (c: NonNullable<Subset['weightCodes']>) => WeightCodes | undefined): WeightCodes | undefined => {
    const codes = op.subsets.map((s) => s.weightCodes && pick(s.weightCodes));
    if (!codes.every(Boolean)) return undefined;
    return { q: joined(codes.map((c) => c!.q)), wScale: joined(codes.map((c) => c!.wScale)) };
  };
  /** conv1/conv2: [s·R][Cin] rows, a channel a row. */
  const rows = (pick: (s: Subset) => Float32Array, codes: WeightCodes | undefined): number => blob.addMaybeCodes(cat(pick), codes && { q: codes.q, scales: codes.wScale });
  const Vp = roundUp(V, 4);
  const paT = new Float32Array(op.subsets.length * V * Vp);
  op.subsets.forEach((s, i) => {
    for (let u = 0; u < V; u++) for (let v = 0; v < V; v++) paT[(i * V + v) * Vp + u] = s.pa[u * V + v];
  });
  const n = op.subsets.length;
  const paBase = blob.add(paT);
  return {
    w1: rows((s) => s.w1, catCodes((c) => c.w1)), b1: blob.add(cat((s) => s.b1)),
    w2: rows((s) => s.w2, catCodes((c) => c.w2)), b2: blob.add(cat((s) => s.b2)),
    conv3: withConv3 ? packConvOp(blob, { weight: cat((s) => s.w3), bias: cat((s) => s.b3), cout: n * op.cout, cin: op.cin, K: 1, weightCodes: catCodes((c) => c.w3) }) : undefined,
    conv4: op.subsets.map((s) => packConvOp(blob, { weight: s.w4, bias: s.b4, cout: op.cout, cin: op.rel, K: 1, weightCodes: s.weightCodes?.w4 })),
    paT: op.subsets.map((_, i) => paBase + i * V * Vp * 4),
    bias: blob.add(padTo4(op.bias)),
  };
}

/**
 * The int8 weights of the int8 convs (`--int8`). In the c2 format the module expands them to i16 at
 * start-up, so offsets are i16 byte offsets (2 bytes a code); in c4 the kernels read the bytes as they are.
 */
export class Int8Blob {
  private chunks: Int8Array[] = [];
  private count = 0;

  constructor(private readonly format: Int8Format) {}

  /** Appends bytes at a 16-byte aligned index; returns their byte offset in the area the kernels read. */
  add(values: Int8Array): number {
    const pad = roundUp(this.count, 16) - this.count;
    if (pad) this.chunks.push(new Int8Array(pad));
    const at = this.count + pad;
    this.chunks.push(values);
    this.count = at + values.length;
    return this.format === 'c2' ? at * 2 : at;
  }

  toInt8(): Int8Array {
    return concatInto(new Int8Array(roundUp(this.count, 16)), this.chunks);
  }
}

/** Arrays of one kind, one after another. */
function joined<A extends Float32Array | Int8Array>(parts: readonly A[]): A {
  return concatInto(like(parts[0], parts.reduce((n, p) => n + p.length, 0)), parts);
}

/** Copies a blob's chunks one after another into `out` (sized to the blob, its tail left zero). */
function concatInto<A extends Float32Array | Int8Array>(out: A, chunks: readonly A[]): A {
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** [Cout][Cin][K] codes → [⌈Cout/4⌉][⌈Cin/g⌉][K][4][g] for `format`'s g channels a step, zero-padded channels. */
export function packQs8Conv(q: Int8Array, cout: number, cin: number, K: number, format: Int8Format): Int8Array {
  const g = INT8_FORMATS[format].channelsPerStep;
  const groups = Math.ceil(cin / g);
  const out = new Int8Array(Math.ceil(cout / 4) * groups * K * 4 * g);
  for (let co = 0; co < cout; co++) {
    for (let ci = 0; ci < cin; ci++) {
      for (let k = 0; k < K; k++) out[((((co >> 2) * groups + Math.floor(ci / g)) * K + k) * 4 + (co & 3)) * g + (ci % g)] = q[(co * cin + ci) * K + k];
    }
  }
  return out;
}

/**
 * The c4 kernels multiply the codes themselves, not code − xZero: their accumulators start at
 * −xZero · Σ_ci Σ_k q[co][ci][k] (exact in i32), so the sum is that of code − xZero. Zero-padded to a multiple of 4 channels.
 */
export function zeroPointCorrection(q: Int8Array, cout: number, xZero: number): Int32Array {
  const per = q.length / cout;
  const out = new Int32Array(roundUp(cout, 4));
  for (let co = 0; co < cout; co++) {
    let sum = 0;
    for (let i = 0; i < per; i++) sum += q[co * per + i];
    out[co] = -xZero * sum;
  }
  return out;
}

/** Where an int8 conv's constants are: codes (and in c4 the correction) in the int8 area (QW), scales and bias in the f32 weights (WB). */
export interface PackedQs8Conv {
  qweight: number;
  scale: number;
  bias: number;
  correction?: number;
}

export function packQs8ConvOp(
  blob: WeightBlob, codes: Int8Blob,
  op: { quant: { q: Int8Array; wScale: Float32Array; xScale: number; xZero: number; format: Int8Format }; bias: ArrayLike<number>; cout: number; cin: number; K: number },
): PackedQs8Conv {
  const scale = new Float32Array(op.cout);
  for (let co = 0; co < op.cout; co++) scale[co] = op.quant.xScale * op.quant.wScale[co];
  const { format } = op.quant;
  return {
    qweight: codes.add(packQs8Conv(op.quant.q, op.cout, op.cin, op.K, format)),
    scale: blob.add(padTo4(scale)),
    bias: blob.add(padTo4(Float32Array.from(op.bias))),
    ...(format === 'c4' ? { correction: codes.add(new Int8Array(zeroPointCorrection(op.quant.q, op.cout, op.quant.xZero).buffer)) } : {}),
  };
}
