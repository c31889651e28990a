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
 */
import { epilogue, epilogueSuffix, fma, type EpilogueKind, type Isa, type Kernel } from './isa.ts';

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
  const rows = Array.from({ length: s.mr }, (_, i) => i);
  const taps = s.K > 1;
  const ind = taps ? '  ' : '';
  // One register block: mr rows × nr vectors from column byte `col`, opened by `open`.
  const block = (nr: number, open: string[]): string[] => {
    const js = Array.from({ length: nr }, (_, j) => j);
    const acc = (i: number, j: number): string => `a${i}_${j}`;
    return [
      ...open,
      ...rows.map((i) => `      let ${js.map((j) => `${acc(i, j)} = b${i}`).join(', ')};`),
      `      let xp: usize = x + col;`,
      `      let wp: usize = w;`,
      `      for (let ci: usize = 0; ci < cin; ci++) {`,
      ...(taps ? [`        for (let k = 0; k < ${s.K}; k++) {`] : []),
      `${ind}        ${js.map((j) => `const x${j} = v128.load(xp, ${j * 16});`).join(' ')}`,
      ...rows.map((i) => `${ind}        const w${i} = v128.load32_splat(wp, ${i * 4}); ${js.map((j) => `${acc(i, j)} = ${fma(s.isa, acc(i, j), `w${i}`, `x${j}`)};`).join(' ')}`),
      ...(taps ? [`          xp += tap;`, `          wp += 16;`, `        }`, `        xp += xRow - ${s.K} * tap;`] : [`        xp += xRow;`, `        wp += 16;`]),
      `      }`,
      `      let op: usize = o + col;`,
      ...(s.residual ? [`      let rp: usize = r + col;`] : []),
      ...rows.map((i) => {
        const stores = js.map((j) => `v128.store(op, ${epilogue(acc(i, j), s.residual ? `v128.load(rp, ${j * 16})` : undefined, s.relu)}, ${j * 16});`);
        const next = i < s.mr - 1 ? ` op += oRow;${s.residual ? ' rp += rRow;' : ''}` : '';
        return `      ${stores.join(' ')}${next}`;
      }),
      `    }`,
    ];
  };
  const params = `x: usize, xRow: usize, ${taps ? 'tap: usize, ' : ''}w: usize, b: usize, o: usize, oRow: usize, r: usize, rRow: usize, cin: usize, cout: usize, cols: usize`;
  const source = [
    `function ${name}(${params}): void {`,
    `  const end: usize = cols << 2;`,
    `  const pairs: usize = end & ~${CONV_NR * 16 - 1};`,
    `  for (let co: usize = 0; co < cout; co += ${s.mr}) {`,
    `    ${rows.map((i) => `const b${i} = v128.load32_splat(b, ${i * 4});`).join(' ')}`,
    ...block(CONV_NR, [`    for (let col: usize = 0; col < pairs; col += ${CONV_NR * 16}) {`]),
    ...block(1, [`    if (pairs < end) {`, `      const col = pairs;`]),
    `    w += cin * ${s.K * 16};`,
    `    b += ${s.mr * 4};`,
    `    o += ${s.mr} * oRow;`,
    ...(s.residual ? [`    r += ${s.mr} * rRow;`] : []),
    `  }`,
    `}`,
  ].join('\n');
  return { name, source };
}
