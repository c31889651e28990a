/**
 * Kernels that pick frames: `f32_maxpool3_v{V}_wasmsimd[_affine][_residual][_relu]`, the 3×1
 * max-pool over time (padding 1 that never wins, so a missing neighbour frame is left out; then the
 * per-channel affine of a folded batch-norm), and `f32_subsample_v{V}_wasmsimd[_residual][_relu]`,
 * which keeps every stride-th frame (a strided conv lowered to a stride-1 one). No multiply-adds, so
 * one kernel serves both instruction sets.
 *
 *   out[c][t][u] = epilogue(affine(max(x[c][t·stride − 1 .. t·stride + 1][u])))
 *
 * One frame is ⌈V/4⌉ vectors of joints, unrolled (V literal); a frame's last vector spills lanes past
 * V into the next frame's first joints (or the row's slack), which the next frame rewrites: frames
 * run in order. Channels, frames, stride and byte strides are parameters.
 */
import { roundUp } from '../../tensor-layout.ts';
import { epilogue, epilogueSuffix, type EpilogueKind, type Kernel } from './isa.ts';

export interface TimePoolKernelSpec extends EpilogueKind {
  op: 'maxpool3' | 'subsample';
  V: number;
  /** Per-channel scale and shift after the max (a folded batch-norm). */
  affine: boolean;
}

export const timePoolKernelName = (s: TimePoolKernelSpec): string =>
  `f32_${s.op}_v${s.V}_wasmsimd${s.affine ? '_affine' : ''}${epilogueSuffix(s)}`;

export function timePoolKernel(s: TimePoolKernelSpec): Kernel {
  const name = timePoolKernelName(s);
  const js = Array.from({ length: roundUp(s.V, 4) / 4 }, (_, j) => j);
  const fb = s.V * 4;
  const each = (line: (j: number) => string): string => js.map(line).join(' ');
  const pool = s.op === 'maxpool3';
  const source = [
    `function ${name}(x: usize, xRow: usize, xT: usize, stride: usize, o: usize, oRow: usize, r: usize, rRow: usize, scale: usize, shift: usize, C: usize, T: usize): void {`,
    `  for (let c: usize = 0; c < C; c++) {`,
    `    const xc: usize = x + c * xRow;`,
    `    const oc: usize = o + c * oRow;`,
    ...(s.residual ? [`    const rc: usize = r + c * rRow;`] : []),
    ...(s.affine ? [`    const sc = v128.load32_splat(scale + (c << 2));`, `    const sh = v128.load32_splat(shift + (c << 2));`] : []),
    `    for (let t: usize = 0; t < T; t++) {`,
    `      const t0: usize = t * stride;`,
    `      const f: usize = xc + t0 * ${fb};`,
    `      ${each((j) => `let y${j} = v128.load(f, ${j * 16});`)}`,
    ...(pool ? [
      `      if (t0 > 0) { ${each((j) => `y${j} = f32x4.max(y${j}, v128.load(f - ${fb}, ${j * 16}));`)} }`,
      `      if (t0 + 1 < xT) { ${each((j) => `y${j} = f32x4.max(y${j}, v128.load(f + ${fb}, ${j * 16}));`)} }`,
    ] : []),
    ...(s.affine ? [`      ${each((j) => `y${j} = f32x4.add(f32x4.mul(y${j}, sc), sh);`)}`] : []),
    ...js.map((j) => `      v128.store(oc + t * ${fb}, ${epilogue(`y${j}`, s.residual ? `v128.load(rc + t * ${fb}, ${j * 16})` : undefined, s.relu)}, ${j * 16});`),
    `    }`,
    `  }`,
    `}`,
  ].join('\n');
  return { name, source };
}
