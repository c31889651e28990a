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
 * The relaxed-SIMD build keeps `i32x4.dot_i16x8_s` (its f32 kernels use relaxed_madd, as does this
 * epilogue): `i32x4.relaxed_dot_i8x16_i7x16_add_s` needs one operand in 0..127, i.e. 7-bit activations,
 * a coarser grid than the calibrated 8 bits.
 */
import { CONV_NR } from './conv.ts';
import { epilogueSuffix, fma, type EpilogueKind, type Isa, type Kernel } from './isa.ts';
import { registerBlockKernel } from './register-block.ts';

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
      const qa = i32x4.min_s(i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(a + i), vinv))), vlo), vhi);
      const qb = second ? i32x4.min_s(i32x4.max_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(a + xRow + i), vinv))), vlo), vhi) : ZERO;
      const n = i16x8.narrow_i32x4_s(qa, qb);
      v128.store(out + i, v128.shuffle<i16>(n, n, 0, 4, 1, 5, 2, 6, 3, 7));
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

/** The statement that expands `n` int8 weights at `src` into the i16 the kernels read at `dst` (addresses or their names), at instantiation. */
export function emitExpandInt8(src: number | string, dst: number | string, n: number): string {
  return [
    `// --int8: the segment holds int8 weights; the kernels read them as i16 pairs, expanded once here.`,
    `for (let i: usize = 0; i < ${n}; i += 8) v128.store(${dst} + (i << 1), v128.load8x8_s(${src} + i));`,
  ].join('\n');
}
