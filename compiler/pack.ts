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
 */
import type { ConvOp, CtrgcOp } from './ir.ts';
import { roundUp } from './tensor-layout.ts';

export class WeightBlob {
  private chunks: Float32Array[] = [];
  private floats = 0;

  /** Appends values at a 16-byte aligned offset; returns that byte offset. */
  add(values: ArrayLike<number>): number {
    const pad = roundUp(this.floats, 4) - this.floats;
    if (pad) this.chunks.push(new Float32Array(pad));
    const offset = (this.floats + pad) * 4;
    this.chunks.push(Float32Array.from(values));
    this.floats += pad + values.length;
    return offset;
  }

  get bytes(): number {
    return this.floats * 4;
  }

  toFloat32(): Float32Array {
    const out = new Float32Array(roundUp(this.floats, 4));
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** [Cout][Cin][K] → [⌈Cout/4⌉][Cin][K][4], zero-padded channels. */
export function packConv(weight: Float32Array, cout: number, cin: number, K: number): Float32Array {
  const blocks = Math.ceil(cout / 4);
  const out = new Float32Array(blocks * cin * K * 4);
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

export function packConvOp(blob: WeightBlob, op: Pick<ConvOp, 'weight' | 'bias' | 'cout' | 'cin' | 'K'>): PackedConv {
  return { weight: blob.add(packConv(op.weight, op.cout, op.cin, op.K)), bias: blob.add(padTo4(op.bias)) };
}

export interface PackedCtrgc {
  w1: number; b1: number; w2: number; b2: number;
  conv3: PackedConv;
  /** Per subset. */
  conv4: PackedConv[];
  /** Per subset: byte offset of its [V][Vp] transposed topology. */
  paT: number[];
  bias: number;
}

export function packCtrgc(blob: WeightBlob, op: CtrgcOp, V: number): PackedCtrgc {
  const cat = (pick: (s: CtrgcOp['subsets'][number]) => Float32Array): Float32Array => {
    const parts = op.subsets.map(pick);
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const Vp = roundUp(V, 4);
  const paT = new Float32Array(op.subsets.length * V * Vp);
  op.subsets.forEach((s, i) => {
    for (let u = 0; u < V; u++) for (let v = 0; v < V; v++) paT[(i * V + v) * Vp + u] = s.pa[u * V + v];
  });
  const n = op.subsets.length;
  const paBase = blob.add(paT);
  return {
    w1: blob.add(cat((s) => s.w1)), b1: blob.add(cat((s) => s.b1)),
    w2: blob.add(cat((s) => s.w2)), b2: blob.add(cat((s) => s.b2)),
    conv3: packConvOp(blob, { weight: cat((s) => s.w3), bias: cat((s) => s.b3), cout: n * op.cout, cin: op.cin, K: 1 }),
    conv4: op.subsets.map((s) => packConvOp(blob, { weight: s.w4, bias: s.b4, cout: op.cout, cin: op.rel, K: 1 })),
    paT: op.subsets.map((_, i) => paBase + i * V * Vp * 4),
    bias: blob.add(padTo4(op.bias)),
  };
}
