/**
 * CTR-GC, lowered to four kernels run one after the other (each a profiling step of its own):
 *
 *   topology   time mean of x; X1, X2 = conv1, conv2 of it (the convs are linear, so projecting the
 *              mean equals the official mean of the projection, at 1/T of the cost);
 *              TH[s·R + r][v][u] = tanh(X1[u] − X2[v]) on whole vectors of u
 *   conv4      A[s][c][v][u] = Σ_r W4[c][r]·TH[s·R + r][v][u] + b4[c] + PA_s[u][v], alpha folded in:
 *              a 1×1 conv over the V·Vp columns of the tanh maps, run by the conv micro-kernel, with
 *              PA_s as a residual row shared by every output channel
 *   conv3      X3 = conv3(x) for all subsets at once: the conv micro-kernel, s·Cout output rows
 *   aggregate  out[c][t][u] = Σ_s Σ_v A[s][c][v][u]·X3[s][c][t][v] + bias, then the epilogue: per
 *              channel a [T × s·V]·[s·V × Vp] matmul, register-blocked 4 frames × 2 vectors of joints
 *
 * Scratch (per op, from the memory plan): xm [Cin][Vp], x1/x2 [s·R][Vp], th [s·R][V·Vp],
 * a [s·Cout][V·Vp], x3 [s·Cout][T·V + 4].
 */
import type { CtrgcOp } from '../ir.ts';
import { roundUp, type TensorLayout } from '../layout.ts';
import type { PackedCtrgc } from '../pack.ts';
import { epilogue, type ConvShape, type Fma } from './kernels.ts';

const PARTS = ['xm', 'x1', 'x2', 'th', 'a', 'x3'] as const;
type Part = (typeof PARTS)[number];

export interface CtrgcScratch {
  offsets: Record<Part, number>;
  bytes: number;
  /** Floats per X3 row: T·V plus a vector of slack for the conv kernel's last store. */
  x3Row: number;
}

export function ctrgcScratch(op: CtrgcOp, src: TensorLayout): CtrgcScratch {
  const n = op.subsets.length;
  const V = src.V;
  const Vp = roundUp(V, 4);
  const x3Row = src.cols + 4;
  const sizes: Record<Part, number> = {
    xm: op.cin * Vp * 4,
    x1: n * op.rel * Vp * 4,
    x2: n * op.rel * Vp * 4,
    th: n * op.rel * V * Vp * 4,
    a: n * op.cout * V * Vp * 4,
    x3: n * op.cout * x3Row * 4,
  };
  let at = 0;
  const offsets = {} as Record<Part, number>;
  for (const k of PARTS) {
    offsets[k] = at;
    at += roundUp(sizes[k], 64);
  }
  return { offsets, bytes: at, x3Row };
}

/**
 * tanh on four lanes: expm1(2x) / (expm1(2x) + 2), with 2x = k·ln2 + r, |r| ≤ ln2/2, and
 * expm1(2x) = 2^k·(e^r − 1) + (2^k − 1). Writing e^r − 1 as a polynomial without its constant term
 * keeps the relative error small near 0, where tanh(x) ≈ x; |x| is clamped at 9, where tanh is ±1
 * in f32 and 2^k stays a normal float. Max error against Math.tanh: about 2 ulp (tested).
 */
export const TANH4 = `
function tanh4(x: v128): v128 {
  const y = f32x4.mul(f32x4.min(f32x4.max(x, f32x4.splat(-9)), f32x4.splat(9)), f32x4.splat(2));
  const k = f32x4.nearest(f32x4.mul(y, f32x4.splat(1.44269504)));
  const r = f32x4.sub(f32x4.sub(y, f32x4.mul(k, f32x4.splat(0.693145752))), f32x4.mul(k, f32x4.splat(1.42860677e-6)));
  let p = f32x4.splat(1.98412698e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.38888889e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.33333333e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.16666667e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.66666667e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r);
  const two_k = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  const em1 = f32x4.add(f32x4.mul(two_k, p), f32x4.sub(two_k, f32x4.splat(1)));
  return f32x4.div(em1, f32x4.add(em1, f32x4.splat(2)));
}`;

export interface CtrgcCall {
  /** The AssemblyScript statement of this step. */
  call: string;
  kernel: 'ctrgc topology' | 'ctrgc conv4' | 'ctrgc conv3' | 'ctrgc aggregate';
  /** Multiply-adds of one call (one person). */
  macs: number;
}

export interface CtrgcSite {
  op: CtrgcOp;
  src: TensorLayout;
  dst: TensorLayout;
  /** Address expressions (AssemblyScript) of the input, output, residual and scratch. */
  x: string;
  d: string;
  residual?: { addr: string; rowBytes: number };
  scratch: string;
  packed: PackedCtrgc;
}

export interface KernelSink {
  fma: Fma;
  /** Emits (once per shape) a conv kernel; returns its name. */
  conv(shape: ConvShape): string;
  /** Emits a kernel named `name` unless one of that name exists; returns the name. */
  add(name: string, emit: (name: string) => string): string;
}

/** The four steps of one CTR-GC call site; kernels of equal shape are shared between sites. */
export function ctrgcSteps(site: CtrgcSite, sink: KernelSink): CtrgcCall[] {
  const { op, src, dst, packed: p } = site;
  const n = op.subsets.length;
  const { V, T } = src;
  const Vp = roundUp(V, 4);
  const { offsets: so, x3Row } = ctrgcScratch(op, src);
  const at = (part: Part, bytes = 0): string => `${site.scratch} + ${so[part] + bytes}`;
  const W = (offset: number): string => `WB + ${offset}`;

  const topology = sink.add(`ctrgc_topology_i${op.cin}x${src.rowStride}_r${n}x${op.rel}_t${T}_v${V}`, (name) => emitTopology(name, op, src, so, sink.fma));
  const conv4 = sink.conv({
    inRowBytes: V * Vp * 4, tapBytes: 0, K: 1, cin: op.rel, cout: op.cout, cols: V * Vp, outRowBytes: V * Vp * 4,
    resRowBytes: 0, relu: false,
  });
  const conv3 = sink.conv({
    inRowBytes: src.rowStride * 4, tapBytes: 0, K: 1, cin: op.cin, cout: n * op.cout, cols: src.cols,
    outRowBytes: x3Row * 4, relu: false,
  });
  const resKey = site.residual ? `_r${site.residual.rowBytes}` : '';
  const aggregate = sink.add(
    `ctrgc_aggregate_c${op.cout}_s${n}_t${T}_v${V}_o${dst.rowStride}${resKey}${op.relu ? '_relu' : ''}`,
    (name) => emitAggregate(name, op, src, dst, x3Row, site.residual?.rowBytes, sink.fma),
  );

  const rowTh = op.rel * V * Vp * 4;
  const rowA = op.cout * V * Vp * 4;
  return [
    {
      kernel: 'ctrgc topology', macs: 2 * n * op.rel * op.cin * V,
      call: `${topology}(${site.x}, ${at('xm')}, ${W(p.w1)}, ${W(p.b1)}, ${W(p.w2)}, ${W(p.b2)});`,
    },
    ...op.subsets.map((_, s): CtrgcCall => ({
      kernel: 'ctrgc conv4', macs: op.cout * op.rel * V * V,
      call: `${conv4}(${at('th', s * rowTh)}, ${at('a', s * rowA)}, ${W(p.paT[s])}, ${W(p.conv4[s].weight)}, ${W(p.conv4[s].bias)});`,
    })),
    {
      kernel: 'ctrgc conv3', macs: n * op.cout * op.cin * T * V,
      call: `${conv3}(${site.x}, ${at('x3')}, 0, ${W(p.conv3.weight)}, ${W(p.conv3.bias)});`,
    },
    {
      kernel: 'ctrgc aggregate', macs: n * op.cout * T * V * V,
      call: `${aggregate}(${at('x3')}, ${at('a')}, ${site.d}, ${site.residual?.addr ?? '0'}, ${W(p.bias)});`,
    },
  ];
}

/** `(x, sc, w1, b1, w2, b2)`: xm, X1, X2 and TH in the scratch at `sc` (laid out as ctrgcScratch says). */
function emitTopology(name: string, op: CtrgcOp, src: TensorLayout, so: CtrgcScratch['offsets'], fma: Fma): string {
  const { V, T } = src;
  const Vp = roundUp(V, 4);
  const nR = op.subsets.length * op.rel;
  const js = Array.from({ length: Vp / 4 }, (_, j) => j);
  const S = (part: Part): string => `(sc + ${so[part]})`;
  return [
    `function ${name}(x: usize, sc: usize, w1: usize, b1: usize, w2: usize, b2: usize): void {`,
    `  for (let ci: usize = 0; ci < ${op.cin}; ci++) {`,
    `    const s: usize = x + ci * ${src.rowStride * 4};`,
    ...js.map((j) => `    let m${j} = ZERO;`),
    `    for (let t: usize = 0; t < ${T}; t++) {`,
    ...js.map((j) => `      m${j} = f32x4.add(m${j}, v128.load(s + t * ${V * 4}, ${j * 16}));`),
    `    }`,
    ...js.map((j) => `    v128.store(${S('xm')} + ci * ${Vp * 4}, f32x4.mul(m${j}, f32x4.splat(${(1 / T).toPrecision(9)})), ${j * 16});`),
    `  }`,
    `  for (let ir: usize = 0; ir < ${nR}; ir++) {`,
    ...js.map((j) => `    let p${j} = v128.load32_splat(b1 + (ir << 2));\n    let q${j} = v128.load32_splat(b2 + (ir << 2));`),
    `    const wa: usize = w1 + ir * ${op.cin * 4};`,
    `    const wb: usize = w2 + ir * ${op.cin * 4};`,
    `    for (let ci: usize = 0; ci < ${op.cin}; ci++) {`,
    `      const a = v128.load32_splat(wa + (ci << 2));`,
    `      const b = v128.load32_splat(wb + (ci << 2));`,
    `      const xm: usize = ${S('xm')} + ci * ${Vp * 4};`,
    ...js.map((j) => `      const x${j} = v128.load(xm, ${j * 16});\n      p${j} = ${fma(`p${j}`, 'a', `x${j}`)};\n      q${j} = ${fma(`q${j}`, 'b', `x${j}`)};`),
    `    }`,
    ...js.map((j) => `    v128.store(${S('x1')} + ir * ${Vp * 4}, p${j}, ${j * 16});\n    v128.store(${S('x2')} + ir * ${Vp * 4}, q${j}, ${j * 16});`),
    `  }`,
    `  for (let ir: usize = 0; ir < ${nR}; ir++) {`,
    `    const x1: usize = ${S('x1')} + ir * ${Vp * 4};`,
    ...js.map((j) => `    const u${j} = v128.load(x1, ${j * 16});`),
    `    for (let v: usize = 0; v < ${V}; v++) {`,
    `      const b = v128.load32_splat(${S('x2')} + ir * ${Vp * 4} + (v << 2));`,
    `      const th: usize = ${S('th')} + (ir * ${V} + v) * ${Vp * 4};`,
    ...js.map((j) => `      v128.store(th, tanh4(f32x4.sub(u${j}, b)), ${j * 16});`),
    `    }`,
    `  }`,
    `}`,
  ].join('\n');
}

/**
 * `(x3, a, d, r, bias)`. Blocks of 4 frames × 2 vectors of joints keep 8 accumulators, 4 broadcast
 * frame values and 2 rows of A in registers (the micro-kernel's 4 × 2 shape); an odd last vector
 * gets a 4 × 1 block. A row's last vector spills its lanes past V into the next frame's first
 * joints, so within a block of frames the column blocks run right to left: the next frame's true
 * values are stored after the spill (and the last frame spills into the row's slack).
 */
function emitAggregate(name: string, op: CtrgcOp, src: TensorLayout, dst: TensorLayout, x3Row: number, resRowBytes: number | undefined, fma: Fma): string {
  const { V, T } = src;
  const Vp = roundUp(V, 4);
  const n = op.subsets.length;
  const vecs = Vp / 4;
  const colBlocks: number[][] = [];
  for (let j = 0; j < vecs; j += 2) colBlocks.push(j + 1 < vecs ? [j, j + 1] : [j]);
  colBlocks.reverse();

  const block = (frames: number, cols: number[]): string[] => {
    const acc = (q: number, j: number) => `p${q}_${j}`;
    const out: string[] = ['      {'];
    for (let q = 0; q < frames; q++) for (const j of cols) out.push(`        let ${acc(q, j)} = bias;`);
    out.push(`        for (let s: usize = 0; s < ${n}; s++) {`);
    out.push(`          const xr: usize = x3 + (s * ${op.cout} + c) * ${x3Row * 4} + t * ${V * 4};`);
    out.push(`          const ar: usize = a + (s * ${op.cout} + c) * ${V * Vp * 4};`);
    out.push(`          for (let v: usize = 0; v < ${V}; v++) {`);
    for (const j of cols) out.push(`            const a${j} = v128.load(ar + v * ${Vp * 4}, ${j * 16});`);
    for (let q = 0; q < frames; q++) {
      out.push(`            const x${q} = v128.load32_splat(xr + (v << 2), ${q * V * 4});`);
      for (const j of cols) out.push(`            ${acc(q, j)} = ${fma(acc(q, j), `x${q}`, `a${j}`)};`);
    }
    out.push(`          }`);
    out.push(`        }`);
    for (let q = 0; q < frames; q++) {
      for (const j of cols) {
        const res = resRowBytes === undefined ? undefined : `v128.load(rr + t * ${V * 4}, ${q * V * 4 + j * 16})`;
        const v = epilogue(acc(q, j), res, op.relu);
        out.push(`        v128.store(dd + t * ${V * 4}, ${v}, ${q * V * 4 + j * 16});`);
      }
    }
    out.push('      }');
    return out;
  };
  const frameBlock = (frames: number): string[] => colBlocks.flatMap((cols) => block(frames, cols));

  const T4 = T - (T % 4);
  return [
    `function ${name}(x3: usize, a: usize, d: usize, r: usize, b: usize): void {`,
    `  for (let c: usize = 0; c < ${op.cout}; c++) {`,
    `    const bias = v128.load32_splat(b + (c << 2));`,
    `    const dd: usize = d + c * ${dst.rowStride * 4};`,
    resRowBytes !== undefined ? `    const rr: usize = r + c * ${resRowBytes};` : '',
    T4 > 0 ? `    for (let t: usize = 0; t < ${T4}; t += 4) {\n${frameBlock(4).join('\n')}\n    }` : '',
    T % 4 ? `    {\n      const t: usize = ${T4};\n${frameBlock(T % 4).join('\n')}\n    }` : '',
    `  }`,
    `}`,
  ].filter(Boolean).join('\n');
}
