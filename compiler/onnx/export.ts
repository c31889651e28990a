/**
 * Artifact → ONNX: the inference network (backbone + classifier) as a standard ONNX model (opset 13,
 * default domain operators only), for ONNX Runtime, TensorRT and the other ONNX tools.
 *
 * It walks the compiler's semantic IR (load.ts: one op per official module, before any pass), so
 * the structure comes from the same place the .wasm's does. The IR runs one person on [C][T][V];
 * here persons join the batch as the official model does, so every tensor is [N·M, C, T, V]:
 *
 *   input [N, C, T, V, M] → Transpose, Reshape [N, M·V·C, T] → BatchNormalization (data_bn)
 *     → Reshape, Transpose, Reshape [N·M, C, T, V] → units → ReduceMean over T, V
 *     → Reshape [N, M, C] → ReduceMean over M → Gemm → logits [N, K]
 *
 * Convs are Conv (K×1 kernels), batch-norms BatchNormalization (eval mode, eps 1e-5); CTR-GC per
 * subset is Conv, ReduceMean over time, Transpose + Sub + Tanh for the joint-pair relations, Conv,
 * Mul by alpha, Add of the shared topology, and MatMul for Σ_v A[u, v] · x3[t, v]; the subsets are
 * summed with Sum. Weights keep their official names where an op holds one tensor of the state_dict.
 *
 * With `int8` (export-onnx --int8) the same walk writes a QDQ model of the int8 module (qdq.ts): the
 * batch-norms folded as the compiler folds them, and the convs the .wasm runs in int8 reading
 * QuantizeLinear → DequantizeLinear inputs and DequantizeLinear int8 weights.
 */
import type { Artifact } from '../../common/artifact.ts';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import type { FileKind } from '../../common/output-file.ts';
import type { Graph, Op, WeightCodes } from '../ir.ts';
import { buildGraph } from '../load.ts';
import type { CalibrationMethod } from '../int8/calibrate.ts';
import { foldBatchNorm } from '../passes/fold-batchnorm.ts';
import { foldConstants } from '../passes/fold-constants.ts';
import { INT8_F32_OPS, INT8_F32_OPS_WEIGHT_CODES } from '../passes/quantise.ts';
import { int8FormsByModule, QdqWriter, type SubsetCodes } from './qdq.ts';
import { DataType, modelProto } from './schema.ts';
import { GraphBuilder, int, ints } from './builder.ts';

export const ONNX_OPSET = 13;
/** IR version 7 is the one that goes with opset 13. */
const ONNX_IR_VERSION = 7;
/** The model's producer_name: how a later export tells a file it may replace (ONNX_MODEL). */
const ONNX_PRODUCER = 'cocodiff';

/** An ONNX model as this exporter writes it: one whose producer_name is ours (another tool's model is the user's). */
export const ONNX_MODEL: FileKind = {
  name: 'ONNX model',
  isOurs: (bytes) => {
    try {
      return (modelProto().decode(bytes) as { producer_name?: string }).producer_name === ONNX_PRODUCER;
    } catch {
      return false;
    }
  },
};

export interface OnnxExportOptions {
  /** A fixed batch size; default: the batch dimension is symbolic ("N"). */
  batch?: number;
  /**
   * A QDQ model of the int8 module (qdq.ts): `lowered` is the quantised graph the .wasm is generated
   * from (compiler/index.ts int8Graph, c2 format), whose codes and scales the model carries; every
   * batch-norm is then folded into its producer, and CTR-GC's alpha into conv4, as the compiler folds
   * them before quantising.
   */
  int8?: { lowered: Graph; calibration: { method: CalibrationMethod; samples: number } };
}

export interface OnnxModel {
  bytes: Uint8Array;
  /** Nodes of the graph by operator, for the CLI's summary. */
  operators: Map<string, number>;
  inputName: string;
  outputName: string;
  /** [N or "N", C, T, V, M]. */
  inputShape: Array<number | string>;
}

/** The ONNX model of an artifact's inference network. */
export function exportOnnx(artifact: Artifact, opts: OnnxExportOptions = {}): OnnxModel {
  if (opts.batch !== undefined && !(Number.isInteger(opts.batch) && opts.batch > 0)) {
    throw new OptionError('batch', `expected a positive integer, found ${opts.batch}`);
  }
  const semantic = buildGraph(artifact);
  // With int8, the folds the compiler makes before quantising (batch-norms into their producers, CTR-GC's
  // alpha into conv4), so that each weight is the one the int8 module's codes stand for.
  const graph = opts.int8 ? foldConstants(foldBatchNorm(semantic)) : semantic;
  const { C, T, V, M } = graph.input;
  const K = graph.numClasses;
  const g = new GraphBuilder();
  const qdq = opts.int8 ? new QdqWriter(g, int8FormsByModule(opts.int8.lowered)) : undefined;
  for (const op of graph.ops) emit(g, graph, op, qdq);
  qdq?.checkAllUsed();

  const N: number | string = opts.batch ?? 'N';
  const dim = (d: number | string) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d });
  const tensorType = (dims: Array<number | string>) => ({ tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map(dim) } } });
  const m = artifact.model;
  const model = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: ONNX_PRODUCER,
    producer_version: String(m.version),
    doc_string: `CTR-GCN (${m.backbone.channels.length} units [${m.backbone.channels}]) + classifier, ${K} classes, exported by cocodiff export-onnx${qdq ? ` as a QDQ model of its int8 module (${qdq.forms.quant.size} int8 ops, cocodiff's ${opts.int8!.calibration.method} calibration; not onnxruntime's quantiser)` : ''}`,
    graph: {
      name: 'ctrgcn',
      node: g.nodes,
      initializer: g.initializers,
      input: [{ name: 'input', type: tensorType([N, C, T, V, M]), doc_string: 'skeletons [N, C, T, V, M]: coords, frames, joints, persons, preprocessed as the artifact says' }],
      output: [{ name: graph.output, type: tensorType([N, K]), doc_string: 'class logits [N, K]' }],
    },
    // What an app needs besides the network: class names and how the input is made.
    metadata_props: [
      { key: 'cocodiff.classes', value: JSON.stringify(m.classes) },
      { key: 'cocodiff.layout', value: m.layout },
      { key: 'cocodiff.modality', value: m.modality },
      { key: 'cocodiff.input', value: JSON.stringify({ order: 'N, C, T, V, M', ...m.input }) },
      { key: 'cocodiff.preprocessing', value: JSON.stringify(m.preprocessing) },
      { key: 'cocodiff.weightsSha256', value: m.weightsSha256 },
      ...(opts.int8 ? [{ key: 'cocodiff.int8', value: JSON.stringify({ ...opts.int8.calibration, int8Ops: qdq!.forms.quant.size, weights: 'int8, symmetric, per output channel', activations: 'uint8, per tensor', f32Ops: qdq!.forms.codes.size ? INT8_F32_OPS_WEIGHT_CODES : INT8_F32_OPS }) }] : []),
    ],
  };
  const type = modelProto();
  const bytes = type.encode(type.fromObject(model)).finish();
  return { bytes, operators: g.operators, inputName: 'input', outputName: graph.output, inputShape: [N, C, T, V, M] };
}

/** Writes one IR op; with `qdq`, the convs the .wasm runs in int8 read dequantised codes. */
function emit(g: GraphBuilder, graph: Graph, op: Op, qdq?: QdqWriter): void {
  const { C, T, V, M } = graph.input;
  switch (op.kind) {
    case 'input': {
      // data_bn as the official model applies it: over M·V·C channels (person, joint, coord), per frame.
      if (!op.bn) throw new Error('onnx export: the input op has no batch-norm (a lowered graph?)');
      const byChannel = g.node('Transpose', ['input'], 'input.nmvct', [ints('perm', [0, 4, 3, 1, 2])]);
      const flat = g.node('Reshape', [byChannel, g.shape('data_bn.in_shape', [0, M * V * C, T])], 'data_bn.in');
      const normed = g.batchNorm(flat, 'data_bn.out', op.bn, 'data_bn');
      const split = g.node('Reshape', [normed, g.shape('data_bn.out_shape', [0, M, V, C, T])], 'data_bn.nmvct');
      const perPerson = g.node('Transpose', [split], 'data_bn.nmctv', [ints('perm', [0, 1, 3, 4, 2])]);
      g.node('Reshape', [perPerson, g.shape('persons_in_batch', [-1, C, T, V])], op.out);
      return;
    }
    case 'conv': {
      if (op.relu || op.residual || op.outOffset) throw new Error(`onnx export: ${op.out} has a fused epilogue (a lowered graph?)`);
      const dims: [number, number, number, number] = [op.cout, op.cin, op.K, 1];
      const quant = qdq?.quantOf(op.module);
      const codes = quant ? undefined : qdq?.convCodes(op.module);
      const [input, weight] = quant
        ? [qdq!.input(op.in, quant), qdq!.weight(op.out, quant, 0, dims)]
        : [op.in, codes ? qdq!.weight(op.out, codes, 0, dims) : g.weight(`${op.out}.weight`, dims, op.weight)];
      g.node('Conv', [input, weight, g.weight(`${op.out}.bias`, [op.cout], op.bias)], op.out, [
        ints('kernel_shape', [op.K, 1]), ints('strides', [op.stride, 1]), ints('dilations', [op.dilation, 1]), ints('pads', [op.pad, 0, op.pad, 0]),
      ]);
      return;
    }
    case 'bn':
      g.batchNorm(op.in, op.out, op.bn, op.out);
      return;
    case 'relu':
      g.node('Relu', [op.in], op.out);
      return;
    case 'add':
      g.node('Add', [op.a, op.b], op.out);
      return;
    case 'concat':
      g.node('Concat', op.ins, op.out, [int('axis', 1)]);
      return;
    case 'maxpool':
      if (op.relu || op.residual || op.outOffset) throw new Error(`onnx export: ${op.out} has a fused epilogue (a lowered graph?)`);
      if (Boolean(op.scale) !== Boolean(op.shift)) throw new Error(`onnx export: ${op.out} has half an affine`);
      {
        // ONNX pads a max-pool with -inf, as PyTorch does: the padding never wins.
        const pooled = g.node('MaxPool', [op.in], op.scale ? `${op.out}.max` : op.out, [ints('kernel_shape', [3, 1]), ints('strides', [op.stride, 1]), ints('pads', [1, 0, 1, 0])]);
        if (!op.scale || !op.shift) return;
        // The batch-norm after it, folded (QDQ export): a per-channel affine after the max.
        const c = op.scale.length;
        g.node('Add', [g.node('Mul', [pooled, g.weight(`${op.out}.scale`, [c, 1, 1], op.scale)], `${op.out}.scaled`), g.weight(`${op.out}.shift`, [c, 1, 1], op.shift)], op.out);
      }
      return;
    case 'ctrgc': {
      if (op.relu || op.residual || op.outOffset) throw new Error(`onnx export: ${op.out} has a fused epilogue (a lowered graph?)`);
      const alpha = g.weight(`${op.out}.alpha`, [1], Float32Array.of(op.alpha));
      const conv3Quant = qdq?.quantOf(op.module);
      const subsetCodes = qdq?.subsetCodes(op.module);
      /**
       * A 1×1 conv; `conv3Of` set: conv3 of that subset, in int8 where the .wasm runs it so. Otherwise its
       * weights come from their int8 codes where the .wasm stores them so.
       */
      const pointwise = (name: string, input: string, cout: number, cin: number, w: Float32Array, b: Float32Array, codes: WeightCodes | undefined, conv3Of?: number): string => {
        const dims: [number, number, number, number] = [cout, cin, 1, 1];
        const [x, weight] = conv3Quant && conv3Of !== undefined
          ? [qdq!.input(input, conv3Quant), qdq!.weight(name, conv3Quant, conv3Of * cout, dims)]
          : [input, codes ? qdq!.weight(name, codes, 0, dims) : g.weight(`${name}.weight`, dims, w)];
        return g.node('Conv', [x, weight, g.weight(`${name}.bias`, [cout], b)], name, [ints('kernel_shape', [1, 1])]);
      };
      const parts = op.subsets.map((s, i) => {
        const p = `${op.out}.subset${i}`;
        const codes: Partial<SubsetCodes> = subsetCodes?.[i] ?? {};
        // Relation of joints u and v from the time means of two projections: tanh(q[u] − k[v]).
        const q = g.node('ReduceMean', [pointwise(`${p}.conv1`, op.in, op.rel, op.cin, s.w1, s.b1, codes.w1)], `${p}.q`, [ints('axes', [2]), int('keepdims', 1)]); // [B, R, 1, V]
        const k = g.node('ReduceMean', [pointwise(`${p}.conv2`, op.in, op.rel, op.cin, s.w2, s.b2, codes.w2)], `${p}.k`, [ints('axes', [2]), int('keepdims', 1)]);
        const qu = g.node('Transpose', [q], `${p}.q_u`, [ints('perm', [0, 1, 3, 2])]); // [B, R, V, 1]
        const relation = g.node('Tanh', [g.node('Sub', [qu, k], `${p}.q_minus_k`)], `${p}.relation`); // [B, R, U, V]
        const refined = g.node('Mul', [pointwise(`${p}.conv4`, relation, op.cout, op.rel, s.w4, s.b4, codes.w4), alpha], `${p}.refined`);
        const topology = g.node('Add', [refined, g.weight(`${p}.PA`, [V, V], s.pa)], `${p}.topology`); // [B, C, U, V]
        const features = pointwise(`${p}.conv3`, op.in, op.cout, op.cin, s.w3, s.b3, codes.w3, i); // [B, C, T, V]
        // out[t, u] = Σ_v features[t, v] · topology[u, v]
        return g.node('MatMul', [features, g.node('Transpose', [topology], `${p}.topology_vu`, [ints('perm', [0, 1, 3, 2])])], `${p}.out`);
      });
      const sum = op.bias.some((b) => b !== 0) ? `${op.out}.sum` : op.out;
      g.node('Sum', parts, sum);
      if (sum !== op.out) g.node('Add', [sum, g.weight(`${op.out}.bias`, [op.cout, 1, 1], op.bias)], op.out);
      return;
    }
    case 'pool': {
      const perPerson = g.node('ReduceMean', [op.in], `${op.out}.per_person`, [ints('axes', [2, 3]), int('keepdims', 0)]); // [N·M, C]
      const byPerson = g.node('Reshape', [perPerson, g.shape(`${op.out}.shape`, [-1, M, graph.tensors.get(op.out)!.C])], `${op.out}.by_person`);
      g.node('ReduceMean', [byPerson], op.out, [ints('axes', [1]), int('keepdims', 0)]);
      return;
    }
    case 'linear': {
      const [K, F] = [graph.tensors.get(op.out)!.C, graph.tensors.get(op.in)!.C];
      g.node('Gemm', [op.in, g.weight('fc.weight', [K, F], op.weight), g.weight('fc.bias', [K], op.bias)], op.out, [int('transB', 1)]);
      return;
    }
    case 'subsample':
      throw new Error(`onnx export: ${op.out} is a subsample op (a lowered graph?)`);
  }
}
