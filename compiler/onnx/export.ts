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
 */
import type { Artifact } from '../../common/artifact.ts';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import type { FileKind } from '../../common/output-file.ts';
import { BN_EPS, type BatchNorm, type Graph, type Op } from '../ir.ts';
import { buildGraph } from '../load.ts';
import { AttributeType, DataType, modelProto } from './schema.ts';

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

type Attribute = { name: string; type: number; i?: number; f?: number; ints?: number[] };
const int = (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i });
const ints = (name: string, values: number[]): Attribute => ({ name, type: AttributeType.INTS, ints: values });
const float = (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f });

interface TensorJson { name: string; dims: number[]; data_type: number; raw_data?: Uint8Array; int64_data?: number[] }
interface NodeJson { name: string; op_type: string; input: string[]; output: string[]; attribute: Attribute[] }

/** Collects nodes and initializers; names are unique because the IR's tensor names are. */
class GraphBuilder {
  readonly nodes: NodeJson[] = [];
  readonly initializers: TensorJson[] = [];
  readonly operators = new Map<string, number>();

  /** A float32 initializer (little-endian raw bytes). */
  weight(name: string, dims: number[], data: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`onnx export: ${name} has ${data.length} values for [${dims}]`);
    const raw = new Uint8Array(4 * data.length);
    const view = new DataView(raw.buffer);
    data.forEach((v, i) => view.setFloat32(4 * i, v, true));
    this.initializers.push({ name, dims, data_type: DataType.FLOAT, raw_data: raw });
    return name;
  }

  /** An int64 vector initializer (Reshape's target shape). */
  shape(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], data_type: DataType.INT64, int64_data: values });
    return name;
  }

  node(opType: string, inputs: string[], output: string, attribute: Attribute[] = []): string {
    this.nodes.push({ name: output, op_type: opType, input: inputs, output: [output], attribute });
    this.operators.set(opType, (this.operators.get(opType) ?? 0) + 1);
    return output;
  }

  batchNorm(input: string, output: string, bn: BatchNorm, prefix: string): string {
    const c = bn.gamma.length;
    return this.node('BatchNormalization', [
      input,
      this.weight(`${prefix}.weight`, [c], bn.gamma),
      this.weight(`${prefix}.bias`, [c], bn.beta),
      this.weight(`${prefix}.running_mean`, [c], bn.mean),
      this.weight(`${prefix}.running_var`, [c], bn.variance),
    ], output, [float('epsilon', BN_EPS)]);
  }
}

/** The ONNX model of an artifact's inference network. */
export function exportOnnx(artifact: Artifact, opts: OnnxExportOptions = {}): OnnxModel {
  if (opts.batch !== undefined && !(Number.isInteger(opts.batch) && opts.batch > 0)) {
    throw new OptionError('batch', `expected a positive integer, found ${opts.batch}`);
  }
  const graph = buildGraph(artifact);
  const { C, T, V, M } = graph.input;
  const K = graph.numClasses;
  const g = new GraphBuilder();
  for (const op of graph.ops) emit(g, graph, op);

  const N: number | string = opts.batch ?? 'N';
  const dim = (d: number | string) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d });
  const tensorType = (dims: Array<number | string>) => ({ tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map(dim) } } });
  const m = artifact.model;
  const model = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: ONNX_PRODUCER,
    producer_version: String(m.version),
    doc_string: `CTR-GCN (${m.backbone.channels.length} units [${m.backbone.channels}]) + classifier, ${K} classes, exported by cocodiff export-onnx`,
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
    ],
  };
  const type = modelProto();
  const bytes = type.encode(type.fromObject(model)).finish();
  return { bytes, operators: g.operators, inputName: 'input', outputName: graph.output, inputShape: [N, C, T, V, M] };
}

function emit(g: GraphBuilder, graph: Graph, op: Op): void {
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
      g.node('Conv', [op.in, g.weight(`${op.out}.weight`, [op.cout, op.cin, op.K, 1], op.weight), g.weight(`${op.out}.bias`, [op.cout], op.bias)], op.out, [
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
      if (op.scale || op.shift || op.relu || op.residual || op.outOffset) throw new Error(`onnx export: ${op.out} has a fused affine or epilogue (a lowered graph?)`);
      // ONNX pads a max-pool with -inf, as PyTorch does: the padding never wins.
      g.node('MaxPool', [op.in], op.out, [ints('kernel_shape', [3, 1]), ints('strides', [op.stride, 1]), ints('pads', [1, 0, 1, 0])]);
      return;
    case 'ctrgc': {
      if (op.relu || op.residual || op.outOffset) throw new Error(`onnx export: ${op.out} has a fused epilogue (a lowered graph?)`);
      const alpha = g.weight(`${op.out}.alpha`, [1], Float32Array.of(op.alpha));
      const pointwise = (name: string, input: string, cout: number, cin: number, w: Float32Array, b: Float32Array): string =>
        g.node('Conv', [input, g.weight(`${name}.weight`, [cout, cin, 1, 1], w), g.weight(`${name}.bias`, [cout], b)], name, [ints('kernel_shape', [1, 1])]);
      const parts = op.subsets.map((s, i) => {
        const p = `${op.out}.subset${i}`;
        // Relation of joints u and v from the time means of two projections: tanh(q[u] − k[v]).
        const q = g.node('ReduceMean', [pointwise(`${p}.conv1`, op.in, op.rel, op.cin, s.w1, s.b1)], `${p}.q`, [ints('axes', [2]), int('keepdims', 1)]); // [B, R, 1, V]
        const k = g.node('ReduceMean', [pointwise(`${p}.conv2`, op.in, op.rel, op.cin, s.w2, s.b2)], `${p}.k`, [ints('axes', [2]), int('keepdims', 1)]);
        const qu = g.node('Transpose', [q], `${p}.q_u`, [ints('perm', [0, 1, 3, 2])]); // [B, R, V, 1]
        const relation = g.node('Tanh', [g.node('Sub', [qu, k], `${p}.q_minus_k`)], `${p}.relation`); // [B, R, U, V]
        const refined = g.node('Mul', [pointwise(`${p}.conv4`, relation, op.cout, op.rel, s.w4, s.b4), alpha], `${p}.refined`);
        const topology = g.node('Add', [refined, g.weight(`${p}.PA`, [V, V], s.pa)], `${p}.topology`); // [B, C, U, V]
        const features = pointwise(`${p}.conv3`, op.in, op.cout, op.cin, s.w3, s.b3); // [B, C, T, V]
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
