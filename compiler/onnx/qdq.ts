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
 * and what the .wasm keeps f32 (passes/quantise.ts INT8_F32_OPS: the CTR-GC topology, conv4, the
 * aggregation, convs of fewer than 8 input channels, data batch-norm, pooling, classifier) has no Q/DQ.
 */
import type { Graph, Quantised } from '../ir.ts';
import { int, type GraphBuilder } from './builder.ts';
import { DataType } from './schema.ts';

/** The int8 form of each exported conv, by module: a conv's quant, a CTR-GC's conv3Quant (all subsets). */
export function quantisedByModule(lowered: Graph): Map<string, Quantised> {
  const byModule = new Map<string, Quantised>();
  for (const op of lowered.ops) {
    if (op.kind !== 'conv' && op.kind !== 'ctrgc') continue;
    const quant = op.kind === 'conv' ? op.quant : op.conv3Quant;
    if (!quant) continue;
    // ONNX's activation type is uint8 (0..255): the SIMD build's 8-bit codes, not relaxed SIMD's 7-bit ones.
    if (quant.format !== 'c2') throw new Error(`onnx export: ${op.module} is quantised in the ${quant.format} format; the QDQ model takes c2 (8-bit) codes`);
    if (byModule.has(op.module)) throw new Error(`onnx export: two int8 ops compute ${op.module}`);
    byModule.set(op.module, quant);
  }
  return byModule;
}

/** Writes the Q/DQ nodes and int8 initializers of the int8 convs into a GraphBuilder. */
export class QdqWriter {
  /** Dequantised inputs made so far, by tensor, scale and zero point. */
  private readonly inputs = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(private readonly g: GraphBuilder, readonly byModule: ReadonlyMap<string, Quantised>) {}

  /** The int8 form of `module`'s conv, if the .wasm runs it in int8 (marked used: `checkAllUsed`). */
  quantOf(module: string): Quantised | undefined {
    const q = this.byModule.get(module);
    if (q) this.used.add(module);
    return q;
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
   * Output channels [from, from + cout) of a quantised weight as a dequantised [cout, cin, K, 1] tensor
   * (a CTR-GC's subsets share one Quantised, subset-major).
   */
  weight(name: string, q: Quantised, from: number, dims: [number, number, number, number]): string {
    const [cout] = dims;
    const per = dims[1] * dims[2] * dims[3];
    const codes = this.g.bytes(`${name}.weight_quantized`, dims, DataType.INT8, q.q.subarray(from * per, (from + cout) * per));
    const scale = this.g.weight(`${name}.weight_scale`, [cout], q.wScale.subarray(from, from + cout));
    const zero = this.g.bytes(`${name}.weight_zero_point`, [cout], DataType.INT8, new Int8Array(cout));
    return this.g.node('DequantizeLinear', [codes, scale, zero], `${name}.weight`, [int('axis', 0)]);
  }

  /** Every int8 op of the lowered graph found its conv in the export (else the two graphs drifted apart). */
  checkAllUsed(): void {
    const missed = [...this.byModule.keys()].filter((m) => !this.used.has(m));
    if (missed.length) throw new Error(`onnx export: the int8 ops ${missed.join(', ')} have no conv in the exported graph`);
  }

  private countFor(tensor: string): number {
    return [...this.inputs.keys()].filter((k) => k.startsWith(`${tensor}\u0000`)).length;
  }
}
