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
 *
 * Weight-only int8 (`weightCodes`, unless `f32Weights`): the weight matrices of the convs that compute
 * in f32 (the CTR-GC conv1/conv2/conv4, and conv3 and the convs left f32 for their few input channels)
 * are stored as int8 codes per output channel too: the module writes q · wScale into its f32 weight
 * area once, at start-up, so their kernels are unchanged and the data segment shrinks by 3 bytes a
 * weight. Their values in the graph become those dequantised weights, which is what the interpreter
 * (and so `--verify`) computes with. Not the classifier: on small random models its codes alone
 * doubled the logit error against f32 (the topology's codes added about nothing), for 1 % of the full
 * CTR-GCN's data. Biases, the adjacency PA and the data batch-norm stay f32 (a few values per channel).
 */
import { cloneGraph, type Graph, type WeightCodes } from '../ir.ts';
import { activationParams, dequantiseWeights, INT8_FORMATS, quantiseWeights, type Int8Format } from '../int8/arithmetic.ts';


/** Convs reading fewer channels stay f32. */
export const MIN_INT8_CHANNELS = 8;

/** What stays f32 in an int8 module, in one line (the sidecar records it). */
export const INT8_F32_OPS = `CTR-GC topology (conv1, conv2, tanh), conv4 and aggregation; convs of fewer than ${MIN_INT8_CHANNELS} input channels; data batch-norm, pooling, classifier`;
/** The same, where their weight matrices are stored as int8 codes (the default). */
export const INT8_F32_OPS_WEIGHT_CODES = `${INT8_F32_OPS}; the CTR-GC and first-layer weight matrices stored as int8 per output channel, computed in f32`;

/** Per-output-channel int8 codes of `weight` ([cout][rest]) and, in its place, the f32 values they stand for. */
function storeAsInt8(weight: Float32Array, cout: number): { codes: WeightCodes; weight: Float32Array } {
  const codes = quantiseWeights(weight, cout);
  // q · wScale is exact in double (an 8-bit integer times a 24-bit mantissa), so Float32Array rounds
  // it as the module's f32 multiply does.
  return { codes, weight: Float32Array.from(dequantiseWeights(codes)) };
}

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

/**
 * `format`: how the kernels will multiply (c4 for the relaxed-SIMD build), which sets the activation codes' range.
 * `f32Weights`: keep the f32 ops' weights in f32 (no weight-only int8).
 */
export function quantise(graph: Graph, ranges: TensorRanges, format: Int8Format, opts: { f32Weights?: boolean } = {}): Graph {
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
    if (opts.f32Weights) continue;
    if (op.kind === 'conv' && !op.quant) {
      ({ codes: op.weightCodes, weight: op.weight } = storeAsInt8(op.weight, op.cout));
    } else if (op.kind === 'ctrgc') {
      for (const s of op.subsets) {
        const w1 = storeAsInt8(s.w1, op.rel);
        const w2 = storeAsInt8(s.w2, op.rel);
        const w4 = storeAsInt8(s.w4, op.cout);
        const w3 = op.conv3Quant ? undefined : storeAsInt8(s.w3, op.cout);
        s.weightCodes = { w1: w1.codes, w2: w2.codes, w4: w4.codes, ...(w3 ? { w3: w3.codes } : {}) };
        s.w1 = w1.weight;
        s.w2 = w2.weight;
        s.w4 = w4.weight;
        if (w3) s.w3 = w3.weight;
      }
    }
  }
  return g;
}
