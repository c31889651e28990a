/**
 * The compiler's IR: a straight-line list of ops over named tensors, for ONE person of batch 1.
 *
 * CTR-GCN never mixes persons until the final pooling (data-BN is per person-joint-coordinate, every
 * other op is per person), so the network runs once per person on [C][T][V] tensors and the `pool`
 * op averages the M persons' features. That keeps every tensor a stack of C contiguous time×joint
 * rows: a 1×1 conv is a plain matmul over the T·V columns, a temporal conv is the same matmul with
 * the input rows shifted by whole frames, and a concat is just writing at a channel offset.
 *
 * Ops are semantic (what the network computes). Passes rewrite them (fold BN, fuse epilogues, lower
 * strides); the interpreter runs any stage; codegen needs the fully lowered form.
 */
import type { Int8Format } from './int8/arithmetic.ts';

export interface TensorInfo {
  /** Channels, frames, joints: a tensor is C rows of T·V values. The feature and logits have T = V = 1. */
  C: number;
  T: number;
  V: number;
}

/** Batch-norm parameters as trained (eval mode, eps 1e-5). */
export interface BatchNorm {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}
export const BN_EPS = 1e-5;

/** What a producer does to each value before storing it: acc → acc + residual → relu. */
export interface Epilogue {
  /** Channel at which this op writes into `out` (a fused concat). */
  outOffset: number;
  /** Added before the ReLU; its channel `offset` lines up with this op's output channel 0. */
  residual?: { tensor: string; offset: number };
  relu: boolean;
}

/** The official module an op computes (`l5.tcn1.branches.0.3.conv`), for generated code and reports. */
export interface Named {
  module: string;
}

/** Data batch-norm on the [C][T][V][M] network input, per (m, v, c); folded into `scale`/`shift`. */
export interface InputOp extends Named {
  kind: 'input';
  out: string;
  bn?: BatchNorm;
  /** Per m·V·C + v·C + c: x · scale + shift. */
  scale?: Float32Array;
  shift?: Float32Array;
}

/**
 * Weights stored as int8 and computed with in f32 (`compile --int8`, passes/quantise.ts): per output
 * channel, symmetric (int8/arithmetic.ts). The op's f32 weights then hold exactly what the module
 * computes with, q · wScale[co] rounded to f32, so the interpreter needs nothing else; the data
 * segment holds the codes and scales, and the module writes the f32 values at start-up (pack.ts).
 */
export interface WeightCodes {
  /** In the order of the f32 weights, each in −127..127. */
  q: Int8Array;
  wScale: Float32Array;
}

/**
 * The int8 form of a convolution (`compile --int8`, passes/quantise.ts): its weights symmetric int8
 * per output channel, its input tensor 8-bit per tensor with the scale and zero point calibration chose.
 * The conv then computes, with integer dot products,
 *   out[co] = bias[co] + wScale[co] · xScale · Σ q[co][ci][k] · (xq[ci] − xZero)
 *   xq = clamp(round(x / xScale) + xZero, 0, activationMax)   (255, or 127 in the c4 format)
 * where `weight` keeps the f32 weights it was made from (for reports; the kernels read only `q`).
 */
export interface Quantised extends WeightCodes {
  /** How the kernels multiply, and so the activation codes' range (int8/arithmetic.ts INT8_FORMATS). */
  format: Int8Format;
  xScale: number;
  /** 0..activationMax: the code of the value 0. */
  xZero: number;
}

/** K×1 convolution over time (K = 1: pointwise). weight [Cout][Cin][K]. */
export interface ConvOp extends Epilogue, Named {
  kind: 'conv';
  in: string;
  out: string;
  cin: number;
  cout: number;
  K: number;
  dilation: number;
  stride: number;
  /** Zero frames added on each side of time. */
  pad: number;
  weight: Float32Array;
  bias: Float32Array;
  /** Set by the quantise pass: the conv runs in int8. */
  quant?: Quantised;
  /** Set by the quantise pass on a conv that stays f32: its weights are stored as int8 codes. */
  weightCodes?: WeightCodes;
}

export interface BatchNormOp {
  kind: 'bn';
  in: string;
  out: string;
  bn: BatchNorm;
}

export interface ReluOp {
  kind: 'relu';
  in: string;
  out: string;
}

export interface AddOp {
  kind: 'add';
  a: string;
  b: string;
  out: string;
}

export interface ConcatOp {
  kind: 'concat';
  ins: string[];
  out: string;
}

/** 3×1 max-pool over time, padding 1 that never wins; then optionally a per-channel affine (a folded BN). */
export interface MaxPoolOp extends Epilogue, Named {
  kind: 'maxpool';
  in: string;
  out: string;
  stride: number;
  scale?: Float32Array;
  shift?: Float32Array;
}

/** Keeps every `stride`-th frame (a strided conv lowered to a dense one, or a strided 1×1 conv's input). */
export interface SubsampleOp extends Epilogue, Named {
  kind: 'subsample';
  in: string;
  out: string;
  stride: number;
}

/** One CTR-GC subset: conv1/conv2 (relation), conv3 (features), conv4 (expansion), the shared topology PA. */
export interface CtrgcSubset {
  w1: Float32Array; b1: Float32Array; // [R][Cin]
  w2: Float32Array; b2: Float32Array; // [R][Cin]
  w3: Float32Array; b3: Float32Array; // [Cout][Cin]
  w4: Float32Array; b4: Float32Array; // [Cout][R]
  pa: Float32Array; // [V][V], PA[u][v]
  /** Set by the quantise pass: these f32 weights are stored as int8 codes (conv3 only where it stays f32). */
  weightCodes?: { w1: WeightCodes; w2: WeightCodes; w3?: WeightCodes; w4: WeightCodes };
}

/**
 * Channel-wise topology refinement graph convolution, the three subsets summed, plus `bias`:
 *   R_i = alpha · conv4(tanh(mean_t conv1(x)[u] − mean_t conv2(x)[v])) + PA_i
 *   out[c][t][u] = Σ_i Σ_v R_i[c][u][v] · conv3_i(x)[c][t][v] + bias[c]
 */
export interface CtrgcOp extends Epilogue, Named {
  kind: 'ctrgc';
  in: string;
  out: string;
  cin: number;
  cout: number;
  rel: number;
  alpha: number;
  subsets: CtrgcSubset[];
  bias: Float32Array;
  /** Set by the quantise pass: conv3 of every subset (as one conv of s·Cout rows, subset-major) runs in int8. */
  conv3Quant?: Quantised;
}

/** Mean over time and joints, averaged over the persons: [C] feature. */
export interface PoolOp extends Named {
  kind: 'pool';
  in: string;
  out: string;
}

/** weight [K][C]; runs once, after every person. */
export interface LinearOp extends Named {
  kind: 'linear';
  in: string;
  out: string;
  weight: Float32Array;
  bias: Float32Array;
}

export type Op = InputOp | ConvOp | BatchNormOp | ReluOp | AddOp | ConcatOp | MaxPoolOp | SubsampleOp | CtrgcOp | PoolOp | LinearOp;
export type OpKind = Op['kind'];

export interface Graph {
  /** Network input [C][T][V][M]. */
  input: { C: number; T: number; V: number; M: number };
  numClasses: number;
  tensors: Map<string, TensorInfo>;
  /** The per-person ops, then (after `pool`) the ops on the pooled feature. */
  ops: Op[];
  /** Name of the logits tensor. */
  output: string;
}

/** Ops that write through an epilogue and so can absorb a following concat, add or ReLU. */
export type EpilogueOp = ConvOp | MaxPoolOp | SubsampleOp | CtrgcOp;
export const isEpilogueOp = (op: Op): op is EpilogueOp =>
  op.kind === 'conv' || op.kind === 'maxpool' || op.kind === 'subsample' || op.kind === 'ctrgc';

/** The tensors an op reads, residuals included. */
export function opInputs(op: Op): string[] {
  switch (op.kind) {
    case 'input': return [];
    case 'add': return [op.a, op.b];
    case 'concat': return [...op.ins];
    default: {
      const ins = [op.in];
      if (isEpilogueOp(op) && op.residual) ins.push(op.residual.tensor);
      return ins;
    }
  }
}

export function consumers(graph: Graph, tensor: string): Op[] {
  return graph.ops.filter((op) => opInputs(op).includes(tensor));
}

export function producers(graph: Graph, tensor: string): Op[] {
  return graph.ops.filter((op) => op.out === tensor);
}

/** Per-channel affine of an eval-mode batch-norm: y = x · scale + shift. */
export function bnAffine(bn: BatchNorm): { scale: Float32Array; shift: Float32Array } {
  const n = bn.gamma.length;
  const scale = new Float32Array(n);
  const shift = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    const s = bn.gamma[c] / Math.sqrt(bn.variance[c] + BN_EPS);
    scale[c] = s;
    shift[c] = bn.beta[c] - bn.mean[c] * s;
  }
  return { scale, shift };
}

/** A deep-enough copy that a pass can rewrite ops without touching its input graph. */
export function cloneGraph(g: Graph): Graph {
  return { ...g, input: { ...g.input }, tensors: new Map(g.tensors), ops: g.ops.map((op) => structuredClone(op)) };
}
