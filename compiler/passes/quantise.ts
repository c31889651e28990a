/**
 * `compile --int8`: marks the convolutions that run in int8 and gives each its codes (int8/arithmetic.ts).
 * Not one of the default passes: it needs the activation ranges calibration measured (int8/calibrate.ts),
 * and it runs last, on the lowered graph, so that the BN folding and epilogue fusion are those of f32.
 *
 * What runs in int8 and what stays f32, and why:
 *   int8  every K×1 and 1×1 conv (TCN branches, residual and down projections) and each CTR-GC's conv3,
 *         the feature projection: together nearly all multiply-adds of the network
 *   f32   the CTR-GC topology (time mean, conv1/conv2, tanh) and conv4: a handful of multiply-adds whose
 *         output, the refined adjacency, scales every feature of the layer, and tanh saturates, so 8-bit
 *         codes there would cost accuracy for no time; the aggregation Σ A·x3 (A depends on the input,
 *         so it has no calibrated range); max-pool and subsample (no arithmetic); the data batch-norm,
 *         the pooling and the classifier (once per inference); and convs with fewer than
 *         MIN_INT8_CHANNELS input channels (the first layer's 3 coordinates: tiny, and most sensitive)
 * Residual adds and ReLU stay in the f32 epilogue of the int8 kernel: the arena keeps f32 activations,
 * and each int8 op's input tensor is turned into 8-bit codes once, by its first int8 reader.
 */
import { cloneGraph, type Graph } from '../ir.ts';
import { activationParams, INT8_FORMATS, quantiseWeights, type Int8Format } from '../int8/arithmetic.ts';


/** Convs reading fewer channels stay f32. */
export const MIN_INT8_CHANNELS = 8;

/** What stays f32 in an int8 module, in one line (the sidecar records it). */
export const INT8_F32_OPS = `CTR-GC topology (conv1, conv2, tanh), conv4 and aggregation; convs of fewer than ${MIN_INT8_CHANNELS} input channels; data batch-norm, pooling, classifier`;

/** An activation range per tensor, as calibration chose it. */
export type TensorRanges = ReadonlyMap<string, { lo: number; hi: number }>;

/** The tensors an int8 op reads as codes: the ones calibration must measure. */
export function int8Inputs(graph: Graph): Set<string> {
  const names = new Set<string>();
  for (const op of graph.ops) {
    if ((op.kind === 'conv' || op.kind === 'ctrgc') && op.cin >= MIN_INT8_CHANNELS) names.add(op.in);
  }
  return names;
}

/** `format`: how the kernels will multiply (c4 for the relaxed-SIMD build), which sets the activation codes' range. */
export function quantise(graph: Graph, ranges: TensorRanges, format: Int8Format): Graph {
  const g = cloneGraph(graph);
  const input = (name: string) => {
    const r = ranges.get(name);
    if (!r) throw new Error(`quantise: no calibrated range for tensor ${name}`);
    return { format, ...activationParams(r.lo, r.hi, INT8_FORMATS[format].activationMax) };
  };
  for (const op of g.ops) {
    if (op.kind === 'conv' && op.cin >= MIN_INT8_CHANNELS) {
      op.quant = { ...quantiseWeights(op.weight, op.cout), ...input(op.in) };
    } else if (op.kind === 'ctrgc' && op.cin >= MIN_INT8_CHANNELS) {
      const w3 = new Float32Array(op.subsets.length * op.cout * op.cin);
      op.subsets.forEach((s, i) => w3.set(s.w3, i * op.cout * op.cin));
      op.conv3Quant = { ...quantiseWeights(w3, op.subsets.length * op.cout), ...input(op.in) };
    }
  }
  return g;
}
