/**
 * The register-blocked convolution skeleton that the f32 kernel (conv.ts) and the int8 kernel
 * (qs8-conv.ts) share: a loop over blocks of `mr` output rows, and in each a loop over columns in
 * blocks of `nr` vectors (an odd last vector gets an mr×1 block), whose accumulators stay in
 * registers through one pass over the input rows (× K taps), then take the epilogue and are stored
 * once. What a kernel fills in is only what differs: the per-output-channel vectors it reads (bias,
 * scales), the accumulators' start, the one multiply-add step, and how an accumulator becomes the f32
 * value the epilogue takes.
 *
 * Parameters of the emitted function, in order: x, xRow, [tap], w, the channel vectors, o, oRow,
 * r, rRow, the reduction count, cout, cols (byte strides as in conv.ts).
 */
import { epilogue, type EpilogueKind } from './isa.ts';

export interface RegisterBlockSpec extends EpilogueKind {
  name: string;
  /** Temporal taps (1: pointwise). */
  K: number;
  /** Output rows per block. */
  mr: number;
  /** Vectors of 4 columns per full block. */
  nr: number;
  /** The rows one pass reduces over: their count's parameter name and the loop index (one weight vector of 16 bytes per row and tap). */
  reduce: { count: string; index: string };
  /** Per-output-channel f32 arrays the kernel takes after w, in parameter order; row i of a block splats element i of each into `${array}${i}`. */
  channelVectors: string[];
  /** The accumulator of row i before the reduction. */
  init: (row: number) => string;
  /** The accumulator after one step: `acc` plus the product of the splat weights `w` and the input vector `x`. */
  step: (acc: string, w: string, x: string) => string;
  /** The f32 vector the epilogue takes, from row i's accumulator. */
  value: (row: number, acc: string) => string;
}

export function registerBlockKernel(s: RegisterBlockSpec): string {
  const rows = Array.from({ length: s.mr }, (_, i) => i);
  const taps = s.K > 1;
  const ind = taps ? '  ' : '';
  const { count, index } = s.reduce;
  // One register block: mr rows × nr vectors from column byte `col`, opened by `open`.
  const block = (nr: number, open: string[]): string[] => {
    const js = Array.from({ length: nr }, (_, j) => j);
    const acc = (i: number, j: number): string => `a${i}_${j}`;
    return [
      ...open,
      ...rows.map((i) => `      let ${js.map((j) => `${acc(i, j)} = ${s.init(i)}`).join(', ')};`),
      `      let xp: usize = x + col;`,
      `      let wp: usize = w;`,
      `      for (let ${index}: usize = 0; ${index} < ${count}; ${index}++) {`,
      ...(taps ? [`        for (let k = 0; k < ${s.K}; k++) {`] : []),
      `${ind}        ${js.map((j) => `const x${j} = v128.load(xp, ${j * 16});`).join(' ')}`,
      ...rows.map((i) => `${ind}        const w${i} = v128.load32_splat(wp, ${i * 4}); ${js.map((j) => `${acc(i, j)} = ${s.step(acc(i, j), `w${i}`, `x${j}`)};`).join(' ')}`),
      ...(taps ? [`          xp += tap;`, `          wp += 16;`, `        }`, `        xp += xRow - ${s.K} * tap;`] : [`        xp += xRow;`, `        wp += 16;`]),
      `      }`,
      `      let op: usize = o + col;`,
      ...(s.residual ? [`      let rp: usize = r + col;`] : []),
      ...rows.map((i) => {
        const stores = js.map((j) => `v128.store(op, ${epilogue(s.value(i, acc(i, j)), s.residual ? `v128.load(rp, ${j * 16})` : undefined, s.relu)}, ${j * 16});`);
        const next = i < s.mr - 1 ? ` op += oRow;${s.residual ? ' rp += rRow;' : ''}` : '';
        return `      ${stores.join(' ')}${next}`;
      }),
      `    }`,
    ];
  };
  const vectors = s.channelVectors.map((v) => `${v}: usize, `).join('');
  const params = `x: usize, xRow: usize, ${taps ? 'tap: usize, ' : ''}w: usize, ${vectors}o: usize, oRow: usize, r: usize, rRow: usize, ${count}: usize, cout: usize, cols: usize`;
  return [
    `function ${s.name}(${params}): void {`,
    `  const end: usize = cols << 2;`,
    `  const pairs: usize = end & ~${s.nr * 16 - 1};`,
    `  for (let co: usize = 0; co < cout; co += ${s.mr}) {`,
    `    ${rows.map((i) => s.channelVectors.map((v) => `const ${v}${i} = v128.load32_splat(${v}, ${i * 4});`).join(' ')).join(' ')}`,
    ...block(s.nr, [`    for (let col: usize = 0; col < pairs; col += ${s.nr * 16}) {`]),
    ...block(1, [`    if (pairs < end) {`, `      const col = pairs;`]),
    `    w += ${count} * ${s.K * 16};`,
    ...s.channelVectors.map((v) => `    ${v} += ${s.mr * 4};`),
    `    o += ${s.mr} * oRow;`,
    ...(s.residual ? [`    r += ${s.mr} * rRow;`] : []),
    `  }`,
    `}`,
  ].join('\n');
}
