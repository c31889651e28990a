/**
 * `f32_ctrgc_aggregate_4x2_s{S}_v{V}_{isa}[_residual][_relu][_tail{n}]`: the CTR-GC aggregation,
 *
 *   out[c][t][u] = epilogue(b[c] + Σ_s Σ_v x3[s][c][t][v] · a[s][c][v][u])
 *
 * per channel a [T × s·V]·[s·V × Vp] matmul. Register blocks of 4 frames × 2 vectors of joints keep
 * 8 accumulators, 4 broadcast frame values and 2 rows of A in registers (the conv micro-kernel's
 * 4 × 2 shape); an odd last vector gets a 4 × 1 block. A row's last vector spills lanes past V into
 * the next frame's first joints, so within a block of frames the column blocks run right to left:
 * the next frame's true values are stored after the spill (the last frame spills into the row's slack).
 *
 * V is literal (the blocks unroll over its vectors), and so is the number of subsets S: as a
 * parameter, the loop over the 3 subsets made the kernel 7-15 % slower (measured in turns against a
 * literal one). Channels, frames and byte strides are parameters. T must be a multiple of 4 unless the
 * kernel is specialised with a `_tail{T % 4}` block.
 *   x3  [s·cout][x3Row bytes] conv3's output (T·V floats a row); a: [s·cout][V][Vp] the refined topologies
 *   d   output row 0 (dRow bytes apart); r: residual row 0 (rRow bytes apart); b: bias, cout floats
 *   c0, c1  (`_range` only) the channels this call aggregates
 */
import { roundUp } from '../../tensor-layout.ts';
import { epilogue, epilogueSuffix, fma, type EpilogueKind, type Isa, type Kernel } from './isa.ts';

export interface AggregateKernelSpec extends EpilogueKind {
  isa: Isa;
  V: number;
  /** CTR-GC subsets summed over. */
  subsets: number;
  /** T % 4: the frames of a last, short block (0: none). */
  tail: number;
  /**
   * Channels [c0, c1) only, as two more parameters (a threaded module, `compile --threads`: each
   * thread aggregates its own channels; the arithmetic per channel is the same).
   */
  channelRange?: boolean;
}

export const aggregateKernelName = (s: AggregateKernelSpec): string =>
  `f32_ctrgc_aggregate_4x2_s${s.subsets}_v${s.V}_${s.isa}${epilogueSuffix(s)}${s.tail ? `_tail${s.tail}` : ''}${s.channelRange ? '_range' : ''}`;

export function aggregateKernel(s: AggregateKernelSpec): Kernel {
  const name = aggregateKernelName(s);
  const { V } = s;
  const Vp = roundUp(V, 4);
  const vecs = Vp / 4;
  const pairs = Math.floor(vecs / 2);
  const fb = V * 4; // bytes per frame

  // frames × (1 or 2) vectors from column byte `col` of frame t, col literal.
  const block = (frames: number, col: number, nr: number): string[] => {
    const qs = Array.from({ length: frames }, (_, q) => q);
    const js = Array.from({ length: nr }, (_, j) => j);
    const acc = (q: number, j: number): string => `p${q}_${j}`;
    const res = (q: number, j: number): string | undefined => (s.residual ? `v128.load(rp, ${q * fb + j * 16})` : undefined);
    const store = (q: number): string => js.map((j) => `v128.store(dp, ${epilogue(acc(q, j), res(q, j), s.relu)}, ${q * fb + j * 16});`).join(' ');
    return [
      `      { // joints ${col / 4} … ${col / 4 + 4 * nr - 1}`,
      `        let ${qs.flatMap((q) => js.map((j) => `${acc(q, j)} = bias`)).join(', ')};`,
      `        for (let si: usize = 0; si < ${s.subsets}; si++) {`,
      `          const xr: usize = x3 + (si * cout + c) * x3Row + t * ${fb}; const ar: usize = a + (si * cout + c) * ${V * Vp * 4} + ${col};`,
      `          for (let v: usize = 0; v < ${V}; v++) {`,
      `            ${js.map((j) => `const a${j} = v128.load(ar + v * ${Vp * 4}, ${j * 16});`).join(' ')}`,
      ...qs.map((q) => `            const x${q} = v128.load32_splat(xr + (v << 2), ${q * fb}); ${js.map((j) => `${acc(q, j)} = ${fma(s.isa, acc(q, j), `x${q}`, `a${j}`)};`).join(' ')}`),
      `          }`,
      `        }`,
      `        const dp: usize = dd + t * ${fb} + ${col};${s.residual ? ` const rp: usize = rr + t * ${fb} + ${col};` : ''}`,
      ...(frames > 1 ? qs.filter((q) => q % 2 === 0).map((q) => `        ${store(q)}${q + 1 < frames ? ` ${store(q + 1)}` : ''}`) : [`        ${store(0)}`]),
      `      }`,
    ];
  };
  // One block of frames: the odd last vector first, then the pairs right to left.
  const frameBlock = (frames: number): string[] => [
    ...(vecs % 2 ? block(frames, (vecs - 1) * 16, 1) : []),
    ...Array.from({ length: pairs }, (_, i) => block(frames, (pairs - 1 - i) * 32, 2)).flat(),
  ];
  const source = [
    `function ${name}(x3: usize, x3Row: usize, a: usize, d: usize, dRow: usize, r: usize, rRow: usize, b: usize, cout: usize, T: usize${s.channelRange ? ', c0: usize, c1: usize' : ''}): void {`,
    s.channelRange ? `  for (let c: usize = c0; c < c1; c++) {` : `  for (let c: usize = 0; c < cout; c++) {`,
    `    const bias = v128.load32_splat(b + (c << 2));`,
    `    const dd: usize = d + c * dRow;`,
    s.residual ? `    const rr: usize = r + c * rRow;` : '',
    `    for (let t: usize = 0; t < (T & ~3); t += 4) {`,
    ...frameBlock(4),
    `    }`,
    ...(s.tail ? [`    {`, `      const t: usize = T & ~3;`, ...frameBlock(s.tail), `    }`] : []),
    `  }`,
    `}`,
  ].filter(Boolean).join('\n');
  return { name, source };
}
