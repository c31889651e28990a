/**
 * `export-onnx --int8`: the int8 module as an ONNX QDQ model, the form onnxruntime's own quantiser
 * writes (QuantizeLinear → DequantizeLinear in front of each quantised input, DequantizeLinear of int8
 * weights per output channel), with the codes and scales of cocodiff's calibration instead of ORT's.
 *
 * One source of truth: the codes and scales are read from the quantised lowered graph the .wasm is
 * generated from (compiler/index.ts int8Graph, the c2 format: 8-bit activation codes, what ONNX's uint8
 * holds), matched to the exported convs by their official module name. So, per op the .wasm runs in int8:
 *   weight  DequantizeLinear(q int8 [Cout, Cin, K, 1], wScale [Cout], zero point 0, axis 0): the
 *           BN-folded weights' codes, so the export folds each conv's batch-norm as the compiler does
 *   input   DequantizeLinear(QuantizeLinear(x, xScale, xZero uint8), xScale, xZero): per tensor, one
 *           pair per tensor and scale however many convs read it (the .wasm codes a tensor once)
 *   output  f32, no QuantizeLinear: the .wasm keeps activations f32 between ops (bias, residual add and
 *           ReLU in its f32 epilogue), so a Q there would round what the .wasm does not
 * and what the .wasm computes in f32 (passes/quantise.ts INT8_F32_OPS: the CTR-GC topology, conv4, the
 * aggregation, convs of fewer than 8 input channels, data batch-norm, pooling, classifier) has no
 * activation Q/DQ. Where such a conv's weights are stored as int8 codes (the weight-only int8 of
 * INT8_F32_OPS_WEIGHT_CODES: CTR-GC conv1/conv2/conv4, the first layer's convs), its weight is those
 * codes through a DequantizeLinear too, so ONNX computes with the very f32 values the .wasm expands.
 */
import type { CtrgcSubset, Graph, Quantised, WeightCodes } from '../ir.ts';

/** A CTR-GC subset's weight codes (conv1/conv2/conv4, and conv3 where it stays f32). */
export type SubsetCodes = NonNullable<CtrgcSubset['weightCodes']>;
import { int, type GraphBuilder } from './builder.ts';
import { DataType } from './schema.ts';

/** What the quantise pass made of each module: the int8 form of its conv (a CTR-GC's conv3, all subsets), or its weight codes. */
export interface Int8Forms {
  quant: Map<string, Quantised>;
  /** A conv's weight codes, or a CTR-GC's per subset. */
  codes: Map<string, WeightCodes | SubsetCodes[]>;
}

/** The int8 forms of the lowered graph's convs, by module. */
export function int8FormsByModule(lowered: Graph): Int8Forms {
  const forms: Int8Forms = { quant: new Map(), codes: new Map() };
  for (const op of lowered.ops) {
    if (op.kind !== 'conv' && op.kind !== 'ctrgc') continue;
    if (forms.quant.has(op.module) || forms.codes.has(op.module)) throw new Error(`onnx export: two lowered ops compute ${op.module}`);
    const quant = op.kind === 'conv' ? op.quant : op.conv3Quant;
    if (quant) {
      // ONNX's activation type is uint8 (0..255): the SIMD build's 8-bit codes, not relaxed SIMD's 7-bit ones.
      if (quant.format !== 'c2') throw new Error(`onnx export: ${op.module} is quantised in the ${quant.format} format; the QDQ model takes c2 (8-bit) codes`);
      forms.quant.set(op.module, quant);
    }
    const codes = op.kind === 'conv' ? op.weightCodes : op.subsets.every((s) => s.weightCodes) ? op.subsets.map((s) => s.weightCodes!) : undefined;
    if (codes) forms.codes.set(op.module, codes);
  }
  return forms;
}

/** Writes the Q/DQ nodes and int8 initializers of the int8 convs into a GraphBuilder. */
export class QdqWriter {
  /** Dequantised inputs made so far, by tensor, scale and zero point. */
  private readonly inputs = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(private readonly g: GraphBuilder, readonly forms: Int8Forms) {}

  /** The int8 form of `module`'s conv, if the .wasm runs it in int8 (marked used: `checkAllUsed`). */
  quantOf(module: string): Quantised | undefined {
    const q = this.forms.quant.get(module);
    if (q) this.used.add(module);
    return q;
  }

  /** The weight codes of `module`'s f32 conv, if the .wasm stores them so. */
  convCodes(module: string): WeightCodes | undefined {
    const c = this.codesOf(module);
    return c && !Array.isArray(c) ? c : undefined;
  }

  /** The weight codes of `module`'s CTR-GC subsets, if the .wasm stores them so. */
  subsetCodes(module: string): SubsetCodes[] | undefined {
    const c = this.codesOf(module);
    return Array.isArray(c) ? c : undefined;
  }

  private codesOf(module: string): WeightCodes | SubsetCodes[] | undefined {
    const c = this.forms.codes.get(module);
    if (c) this.used.add(`${module}\u0000codes`);
    return c;
  }

  /** `tensor` as the int8 op sees it: its codes dequantised; made once per tensor and scale. */
  input(tensor: string, q: Quantised): string {
    const key = `${tensor}\u0000${q.xScale}\u0000${q.xZero}`;
    const made = this.inputs.get(key);
    if (made) return made;
    const name = `${tensor}.quantized${this.countFor(tensor) || ''}`;
    const scale = this.g.weight(`${name}.scale`, [], Float32Array.of(q.xScale));
    const zero = this.g.bytes(`${name}.zero_point`, [], DataType.UINT8, Uint8Array.of(q.xZero));
    const codes = this.g.node('QuantizeLinear', [tensor, scale, zero], `${name}.codes`);
    const out = this.g.node('DequantizeLinear', [codes, scale, zero], name);
    this.inputs.set(key, out);
    return out;
  }

  /**
   * Output channels [from, from + cout) of an int8 weight as a dequantised [cout, cin, K, 1] tensor
   * (a CTR-GC's subsets share one Quantised, subset-major).
   */
  weight(name: string, q: WeightCodes, from: number, dims: [number, number, number, number]): string {
    const [cout] = dims;
    const per = dims[1] * dims[2] * dims[3];
    const codes = this.g.bytes(`${name}.weight_quantized`, dims, DataType.INT8, q.q.subarray(from * per, (from + cout) * per));
    const scale = this.g.weight(`${name}.weight_scale`, [cout], q.wScale.subarray(from, from + cout));
    const zero = this.g.bytes(`${name}.weight_zero_point`, [cout], DataType.INT8, new Int8Array(cout));
    return this.g.node('DequantizeLinear', [codes, scale, zero], `${name}.weight`, [int('axis', 0)]);
  }

  /** Every int8 op and weight code of the lowered graph found its conv in the export (else the two graphs drifted apart). */
  checkAllUsed(): void {
    const missed = [...this.forms.quant.keys(), ...[...this.forms.codes.keys()].map((m) => `${m}\u0000codes`)].filter((m) => !this.used.has(m));
    if (missed.length) throw new Error(`onnx export: the int8 ops or weight codes of ${missed.map((m) => m.replace('\u0000codes', ' (codes)')).join(', ')} have no conv in the exported graph`);
  }

  private countFor(tensor: string): number {
    return [...this.inputs.keys()].filter((k) => k.startsWith(`${tensor}\u0000`)).length;
  }
}
