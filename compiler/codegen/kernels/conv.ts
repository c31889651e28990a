/**
 * The convolution micro-kernel, `f32_conv{K}x1_{MR}x2_{isa}[_residual][_relu]`: the one
 * register-blocked matmul every convolution of the network runs (K = 1: a pointwise conv, a plain
 * matmul over the T·V columns; K > 1: a temporal conv, the same matmul with the input rows read
 * at K shifted columns), and the kernel the benchmark measures as the practical peak of one core.
 *
 *   out[co][col] = epilogue(b[co] + Σ_ci Σ_k w[co][ci][k] · x[ci][col + k·tap])
 *
 * In XNNPACK's shape: a block of MR output rows × 2 vectors of 4 columns stays in 2·MR accumulators
 * (8 for 4×2: with 2 input vectors and a broadcast weight, well inside x86-64's 16 vector registers;
 * 4×3 spills under V8 and ran at 0.7× the speed), one pass over the input channels broadcasts MR
 * packed weights and loads 2 input vectors per step, the bias is the accumulators' first value and
 * the epilogue runs in registers before the single store. An odd last vector of columns gets an
 * MR×1 block. MR is 4 except for the last rows of a conv whose channels are not a multiple of 4.
 *
 * Everything but the register block, K and the epilogue is a parameter, so one function serves
 * every layer (byte strides: xRow, oRow, rRow; rRow = 0 adds the same residual row to every output row):
 *   x    input row 0 at the first output column (tap k reads x + k·tap)
 *   w    packed weights [⌈cout/4⌉][cin][K][4] (pack.ts; MR < 4 reads the first MR lanes); b: bias, cout floats
 *   o    output row 0; r: residual row 0 (unread without a residual)
 *
 * The loops and the block are register-block.ts's, shared with the int8 kernel; this file gives the f32 step.
 */
import { epilogueSuffix, fma, type EpilogueKind, type Isa, type Kernel } from './isa.ts';
import { registerBlockKernel } from './register-block.ts';

/** Output rows per register block. */
export const CONV_MR = 4;
/** Vectors of 4 columns per register block. */
export const CONV_NR = 2;

export interface ConvKernelSpec extends EpilogueKind {
  isa: Isa;
  /** Temporal taps (1: pointwise). */
  K: number;
  /** Output rows per register block: CONV_MR, or the remainder of a conv's channels. */
  mr: number;
}

export const convKernelName = (s: ConvKernelSpec): string =>
  `f32_conv${s.K}x1_${s.mr}x${CONV_NR}_${s.isa}${epilogueSuffix(s)}`;

export function convKernel(s: ConvKernelSpec): Kernel {
  const name = convKernelName(s);
  const source = registerBlockKernel({
    ...s, name, nr: CONV_NR,
    reduce: { count: 'cin', index: 'ci' },
    channelVectors: ['b'],
    // The bias is the accumulators' first value, so the epilogue takes them as they are.
    init: (i) => `b${i}`,
    step: (acc, w, x) => fma(s.isa, acc, w, x),
    value: (_i, acc) => acc,
  });
  return { name, source };
}
