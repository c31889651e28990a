/**
 * The int8 convolution (`compile --int8`), in two kernels:
 *
 * `qs8_quantize_pairs_wasmsimd`: a tensor's f32 rows → 8-bit activation codes (int8/arithmetic.ts), held
 *   as code − zero point in i16 and interleaved by pairs of channels: row p holds, for every column, the
 *   codes of channels 2p and 2p+1 side by side (4 bytes a column, so a pair row has the byte length and
 *   the column offsets of one f32 row: the time padding, taps and slack carry over unchanged). Run once
 *   per tensor, by its first int8 reader.
 *
 * `qs8_conv{K}x1_{MR}x2_{isa}[_residual][_relu]`: the register block the f32 conv kernel shares
 *   (register-block.ts) on those pairs. One `i32x4.dot_i16x8_s` multiplies two input channels by two weights for 4 columns and
 *   adds the pair, so a step of the reduction covers 2 channels in i32 accumulators (exact: |code| ≤ 255,
 *   |q| ≤ 127). The epilogue converts to f32, scales by xScale · wScale[co], adds the bias, then the
 *   residual and ReLU as in f32, and stores f32: the arena keeps f32 activations.
 *     out[co][col] = epilogue(b[co] + s[co] · Σ_p Σ_k dot(xq[p][col + k·tap], w[co][p][k]))
 *   w: [⌈cout/4⌉][⌈cin/2⌉][K][4][2] i16 (pack.ts: packQs8Conv), s and b: cout floats.
 *
 * The relaxed-SIMD build (the c4 format, int8/arithmetic.ts) has its own two:
 *
 * `qs8_quantize_quads_wasmrelaxedsimd`: f32 rows → 7-bit codes (0..127, the zero point included) as
 *   bytes, interleaved by fours of channels: row p holds, for every column, the codes of channels
 *   4p..4p+3 (4 bytes a column: again the byte length and column offsets of one f32 row).
 *
 * `qs8_conv{K}x1_{MR}x2c4_wasmrelaxedsimd[_residual][_relu]`: the same register block; a step is
 *   `i16x8.relaxed_dot_i8x16_i7x16_s` (4 channels × 4 columns, 16 multiplies, summed by pairs into i16),
 *   `i32x4.extadd_pairwise_i16x8_s` and an add into the i32 accumulator. Its i7 operand is the codes, in
 *   0..127 as it requires (with bit 7 set the result would be the engine's choice); the weights are the
 *   i8 operand. The pairs of i8 × i7 products fit i16 (2 · 127 · 127 < 2^15), so no engine saturates.
 *   Not the one-instruction `i32x4.relaxed_dot_i8x16_i7x16_add_s`: Node 20's baseline compiler
 *   (Liftoff) gets it wrong (twice the dot product, the addend dropped, when its operands are not
 *   locals; TurboFan and `--no-liftoff` are right), so a module would answer differently before and
 *   after tier-up. The accumulators start at −xZero · Σ q[co] (pack.ts: zeroPointCorrection), so they
 *   end at Σ q · (code − xZero), as exact as c2's.
 *   w: [⌈cout/4⌉][⌈cin/4⌉][K][4][4] int8, read in place (no expansion); c: cout i32.
 */
import { CONV_NR } from './conv.ts';
import { epilogueSuffix, fma, type EpilogueKind, type Isa, type Kernel } from './isa.ts';
import { registerBlockKernel } from './register-block.ts';

/** One vector of activation codes: the 4 floats at `address` scaled, rounded and clamped to [lo, hi]. */
const quantised = (address: string): string => `i32x4.min_s(i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(${address}), vinv))), vlo), vhi)`;

export const QUANTIZE_KERNEL: Kernel = {
  name: 'qs8_quantize_pairs_wasmsimd',
  source: `
function qs8_quantize_pairs_wasmsimd(x: usize, xRow: usize, C: usize, q: usize, inv: f32, lo: i32, hi: i32): void {
  const vinv = f32x4.splat(inv);
  const vlo = i32x4.splat(lo);
  const vhi = i32x4.splat(hi);
  for (let c: usize = 0; c < C; c += 2) {
    const a: usize = x + c * xRow;
    const second = c + 1 < C;
    const out: usize = q + (c >> 1) * xRow;
    for (let i: usize = 0; i < xRow; i += 16) {
      const qa = ${quantised('a + i')};
      const qb = second ? ${quantised('a + xRow + i')} : ZERO;
      const n = i16x8.narrow_i32x4_s(qa, qb);
      v128.store(out + i, v128.shuffle<i16>(n, n, 0, 4, 1, 5, 2, 6, 3, 7));
    }
  }
}`,
};

export const QUANTIZE_QUADS_KERNEL: Kernel = {
  name: 'qs8_quantize_quads_wasmrelaxedsimd',
  source: `
function qs8_quantize_quads_wasmrelaxedsimd(x: usize, xRow: usize, C: usize, q: usize, inv: f32, lo: i32, hi: i32): void {
  const vinv = f32x4.splat(inv);
  const vlo = i32x4.splat(lo);
  const vhi = i32x4.splat(hi);
  const vzero = i32x4.splat(-lo);
  for (let c: usize = 0; c < C; c += 4) {
    const out: usize = q + (c >> 2) * xRow;
    for (let i: usize = 0; i < xRow; i += 16) {
      // Channels past C get the code of 0 (their weights are 0 too).
      const qa = c < C ? i32x4.add(${quantised('x + c * xRow + i')}, vzero) : vzero;
      const qb = c + 1 < C ? i32x4.add(${quantised('x + (c + 1) * xRow + i')}, vzero) : vzero;
      const qc = c + 2 < C ? i32x4.add(${quantised('x + (c + 2) * xRow + i')}, vzero) : vzero;
      const qd = c + 3 < C ? i32x4.add(${quantised('x + (c + 3) * xRow + i')}, vzero) : vzero;
      const n = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(qa, qb), i16x8.narrow_i32x4_s(qc, qd));
      v128.store(out + i, v128.shuffle<i8>(n, n, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    }
  }
}`,
};

export interface Qs8ConvKernelSpec extends EpilogueKind {
  isa: Isa;
  K: number;
  mr: number;
}

export const qs8ConvKernelName = (s: Qs8ConvKernelSpec): string => `qs8_conv${s.K}x1_${s.mr}x${CONV_NR}_${s.isa}${epilogueSuffix(s)}`;

export function qs8ConvKernel(s: Qs8ConvKernelSpec): Kernel {
  const name = qs8ConvKernelName(s);
  const source = registerBlockKernel({
    ...s, name, nr: CONV_NR,
    reduce: { count: 'cinPairs', index: 'p' },
    channelVectors: ['s', 'b'],
    init: () => 'ZERO',
    // Two channels × 4 columns per instruction, summed into exact i32 accumulators.
    step: (acc, w, x) => `i32x4.add(${acc}, i32x4.dot_i16x8_s(${x}, ${w}))`,
    value: (i, acc) => fma(s.isa, `b${i}`, `f32x4.convert_i32x4_s(${acc})`, `s${i}`),
  });
  return { name, source };
}

export const qs8C4ConvKernelName = (s: Omit<Qs8ConvKernelSpec, 'isa'>): string => `qs8_conv${s.K}x1_${s.mr}x${CONV_NR}c4_wasmrelaxedsimd${epilogueSuffix(s)}`;

/** The relaxed-SIMD int8 conv (c4): 4 channels a step with relaxed_dot_i8x16_i7x16_s. */
export function qs8C4ConvKernel(s: Omit<Qs8ConvKernelSpec, 'isa'>): Kernel {
  const name = qs8C4ConvKernelName(s);
  const source = registerBlockKernel({
    ...s, name, nr: CONV_NR,
    reduce: { count: 'cinQuads', index: 'p' },
    channelVectors: ['s', 'b', 'c'],
    init: (i) => `c${i}`,
    // Weights (i8) first, codes (i7: 0..127) second.
    step: (acc, w, x) => `i32x4.add(${acc}, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(${w}, ${x})))`,
    value: (i, acc) => fma('wasmrelaxedsimd', `b${i}`, `f32x4.convert_i32x4_s(${acc})`, `s${i}`),
  });
  return { name, source };
}

/** The statement that expands `n` int8 weights at `src` into the i16 the kernels read at `dst` (addresses or their names), at instantiation. */
export function emitExpandInt8(src: number | string, dst: number | string, n: number): string {
  return [
    `// --int8: the segment holds int8 weights; the kernels read them as i16 pairs, expanded once here.`,
    `for (let i: usize = 0; i < ${n}; i += 8) v128.store(${dst} + (i << 1), v128.load8x8_s(${src} + i));`,
  ].join('\n');
}
