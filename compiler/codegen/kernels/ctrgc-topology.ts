/**
 * `f32_ctrgc_topology_v{V}_{isa}`: the channel-wise topology of one CTR-GC, all subsets at once.
 *
 *   xm[ci][u]    = (1/T) Σ_t x[ci][t][u]                                time mean of the input
 *   x1[i][u]     = b1[i] + Σ_ci w1[i][ci]·xm[ci][u]   (x2 likewise)     conv1, conv2 of the mean
 *   th[i][v][u]  = tanh(x1[i][u] − x2[i][v])                            i over subsets × R
 *
 * Projecting the mean equals the official mean of the projection (the convs are linear) at 1/T of
 * the cost. Joints sit in Vp = ⌈V/4⌉·4 lanes, unrolled (V is the one literal: the register count
 * depends on it); rows of xm, x1, x2 are Vp floats, th is [i][v][Vp]. Needs tanh4 (tanh.ts).
 */
import { roundUp } from '../../tensor-layout.ts';
import { fma, type Isa, type Kernel } from './isa.ts';

export const topologyKernelName = (V: number, isa: Isa): string => `f32_ctrgc_topology_v${V}_${isa}`;

export function topologyKernel(V: number, isa: Isa): Kernel {
  const name = topologyKernelName(V, isa);
  const Vp = roundUp(V, 4);
  const js = Array.from({ length: Vp / 4 }, (_, j) => j);
  const each = (line: (j: number) => string): string[] => js.map(line);
  const source = [
    `function ${name}(x: usize, xRow: usize, T: usize, invT: f32, cin: usize, rows: usize, w1: usize, b1: usize, w2: usize, b2: usize, xm: usize, x1: usize, x2: usize, th: usize): void {`,
    `  for (let ci: usize = 0; ci < cin; ci++) {`,
    `    const s: usize = x + ci * xRow;`,
    `    ${js.map((j) => `let m${j} = ZERO;`).join(' ')}`,
    `    for (let t: usize = 0; t < T; t++) {`,
    ...each((j) => `      m${j} = f32x4.add(m${j}, v128.load(s + t * ${V * 4}, ${j * 16}));`),
    `    }`,
    ...each((j) => `    v128.store(xm + ci * ${Vp * 4}, f32x4.mul(m${j}, f32x4.splat(invT)), ${j * 16});`),
    `  }`,
    `  for (let i: usize = 0; i < rows; i++) {`,
    ...each((j) => `    let p${j} = v128.load32_splat(b1 + (i << 2)); let q${j} = v128.load32_splat(b2 + (i << 2));`),
    `    const wa: usize = w1 + i * cin * 4;`,
    `    const wb: usize = w2 + i * cin * 4;`,
    `    for (let ci: usize = 0; ci < cin; ci++) {`,
    `      const a = v128.load32_splat(wa + (ci << 2));`,
    `      const b = v128.load32_splat(wb + (ci << 2));`,
    `      const m: usize = xm + ci * ${Vp * 4};`,
    ...each((j) => `      const x${j} = v128.load(m, ${j * 16}); p${j} = ${fma(isa, `p${j}`, 'a', `x${j}`)}; q${j} = ${fma(isa, `q${j}`, 'b', `x${j}`)};`),
    `    }`,
    ...each((j) => `    v128.store(x1 + i * ${Vp * 4}, p${j}, ${j * 16}); v128.store(x2 + i * ${Vp * 4}, q${j}, ${j * 16});`),
    `  }`,
    `  for (let i: usize = 0; i < rows; i++) {`,
    `    const u: usize = x1 + i * ${Vp * 4};`,
    `    ${js.map((j) => `const u${j} = v128.load(u, ${j * 16});`).join(' ')}`,
    `    for (let v: usize = 0; v < ${V}; v++) {`,
    `      const b = v128.load32_splat(x2 + i * ${Vp * 4} + (v << 2));`,
    `      const h: usize = th + (i * ${V} + v) * ${Vp * 4};`,
    ...each((j) => `      v128.store(h, tanh4(f32x4.sub(u${j}, b)), ${j * 16});`),
    `    }`,
    `  }`,
    `}`,
  ].join('\n');
  return { name, source };
}
