/**
 * Lowered IR → `network.ts`: one AssemblyScript function per op, called in order by
 * `network_forward(input, logits)` once per person, then the classifier. Weights sit at the literal
 * address WB (a data segment the build inserts there), activations in the static arena AR at the
 * offsets of the memory plan. Nothing allocates.
 */
import type { CtrgcOp, EpilogueOp, Graph, Op } from '../ir.ts';
import { roundUp, tensorLayouts, type TensorLayout } from '../layout.ts';
import { liveBuffers, planMemory } from '../memory-plan.ts';
import { WeightBlob, packConvOp, packCtrgc, padTo4, type PackedCtrgc } from '../pack.ts';
import { emitExpandHalves } from '../f16.ts';
import { convKey, emitConv, emitZeroPads, fmaFor, type ConvShape } from './kernels.ts';

export interface GeneratedNetwork {
  source: string;
  /** The packed weights; the kernels read them as f32 at byte address `weightsBase`. */
  weights: Float32Array;
  weightsBase: number;
  /** Where the data segment goes: `weightsBase` for f32, after the f32 area for f16 (expanded at start-up). */
  segmentBase: number;
  /** First byte after the weights: asc's --memoryBase, where its own static data starts. */
  memoryBase: number;
  arenaBytes: number;
  /** Per op function: the unit it belongs to (l1 … l10, head), for per-layer timings. */
  opLayers: string[];
}

export interface CodegenOptions {
  relaxedSimd?: boolean;
  /** The segment holds half floats, expanded into the f32 weight area at instantiation. */
  f16?: boolean;
}

/** Where the weights start; below it only the never-used null page corner. */
export const WEIGHTS_BASE = 1024;

export function generateNetwork(graph: Graph, opts: CodegenOptions = {}): GeneratedNetwork {
  for (const op of graph.ops) {
    if (op.kind === 'bn' || op.kind === 'relu' || op.kind === 'add' || op.kind === 'concat') {
      throw new Error(`codegen: op ${op.kind} → ${op.out} was not fused; run the passes first`);
    }
    if (op.kind === 'conv' && op.stride !== 1) throw new Error(`codegen: strided conv → ${op.out} was not lowered`);
    if (op.kind === 'input' && op.bn) throw new Error('codegen: the data batch-norm was not folded');
  }
  const fma = fmaFor(Boolean(opts.relaxedSimd));
  const L = tensorLayouts(graph);
  const { V, M } = graph.input;
  const Vp = roundUp(V, 4);

  // Scratch of each CTR-GC: time mean, conv1/conv2 of it, tanh table, refined topology, conv3 output.
  const ctrgcScratch = (op: CtrgcOp) => {
    const n = op.subsets.length;
    const src = L.get(op.in)!;
    const x3Row = src.cols + 4;
    const parts = {
      xm: op.cin * Vp * 4,
      x1: n * op.rel * Vp * 4,
      x2: n * op.rel * Vp * 4,
      th: n * op.rel * V * Vp * 4,
      a: n * op.cout * V * Vp * 4,
      x3: n * op.cout * x3Row * 4,
    };
    let at = 0;
    const offsets = {} as Record<keyof typeof parts, number>;
    for (const k of Object.keys(parts) as Array<keyof typeof parts>) {
      offsets[k] = at;
      at += roundUp(parts[k], 64);
    }
    return { offsets, bytes: at, x3Row };
  };
  const scratch = new Map<number, number>();
  graph.ops.forEach((op, i) => {
    if (op.kind === 'ctrgc') scratch.set(i, ctrgcScratch(op).bytes);
  });
  const sizes = new Map([...L].map(([name, l]) => [name, l.bytes]));
  const plan = planMemory(liveBuffers(graph, sizes, scratch));
  const at = (name: string): number => plan.offsets.get(name)!;

  const blob = new WeightBlob();
  const fns: string[] = [];
  const calls: string[] = [];
  const opLayers: string[] = [];
  const layerOf = (op: Op): string => (op.kind === 'linear' || op.kind === 'pool' ? 'head' : op.kind === 'input' ? 'input' : op.out.split('.')[0]);

  /** Address of column 0 (first real frame) of channel `c` of a tensor. */
  const col0 = (name: string, c = 0): number => {
    const l = L.get(name)!;
    return at(name) + c * l.rowStride * 4 + l.padT * l.V * 4;
  };
  const residualOf = (op: EpilogueOp) =>
    op.residual ? { addr: col0(op.residual.tensor, op.residual.offset), rowBytes: L.get(op.residual.tensor)!.rowStride * 4 } : undefined;
  const zeroPads = (name: string, c0: number, n: number): string => {
    const l = L.get(name)!;
    return emitZeroPads(at(name), c0, n, l.rowStride * 4, l.padT * l.V * 4, l.T * l.V * 4);
  };

  // Conv call sites of one shape share one kernel function.
  const kernels = new Map<string, string>();
  const convKernel = (shape: ConvShape): string => {
    const key = convKey(shape);
    if (!kernels.has(key)) kernels.set(key, emitConv(key, shape, fma));
    return key;
  };

  /**
   * `function key(x, d, r, sc, w)`: one CTR-GC unit (all subsets) of one shape. x input, d output,
   * r residual, sc scratch (offsets `so`), w the packed weights (offsets relative to conv1's).
   */
  const emitCtrgcKernel = (
    key: string, op: CtrgcOp, src: TensorLayout, dst: TensorLayout, resRowBytes: number | undefined,
    so: Record<'xm' | 'x1' | 'x2' | 'th' | 'a' | 'x3', number>, x3Row: number, p: PackedCtrgc,
  ): string => {
    const n = op.subsets.length;
    const T = src.T;
    const js = Array.from({ length: Vp / 4 }, (_, j) => j);
    const S = (k: keyof typeof so): string => `(sc + ${so[k]})`;
    const W = (offset: number): string => `(w + ${offset - p.w1})`;
    const conv3 = convKernel({
      inRowBytes: src.rowStride * 4, tapBytes: 0, K: 1, cin: op.cin, cout: n * op.cout, cols: src.cols,
      outRowBytes: x3Row * 4, relu: false,
    });
    const aggRows = (rows: number): string[] => {
      const out: string[] = [];
      for (const j of js) for (let q = 0; q < rows; q++) out.push(`      let p${q}_${j} = bias;`);
      out.push(`      for (let s: usize = 0; s < ${n}; s++) {`);
      out.push(`        const a0: usize = ${S('a')} + (s * ${op.cout} + c) * ${V * Vp * 4};`);
      out.push(`        const xrow: usize = ${S('x3')} + (s * ${op.cout} + c) * ${x3Row * 4} + t * ${V * 4};`);
      out.push(`        for (let v: usize = 0; v < ${V}; v++) {`);
      for (let q = 0; q < rows; q++) out.push(`          const x${q} = v128.load32_splat(xrow + (v << 2), ${q * V * 4});`);
      out.push(`          const arow: usize = a0 + v * ${Vp * 4};`);
      for (const j of js) {
        out.push(`          const a${j} = v128.load(arow, ${j * 16});`);
        for (let q = 0; q < rows; q++) out.push(`          p${q}_${j} = ${fma(`p${q}_${j}`, `x${q}`, `a${j}`)};`);
      }
      out.push(`        }`);
      out.push(`      }`);
      // Stored row by row, in order: a row's lanes past V spill into the next row, which is stored after.
      for (let q = 0; q < rows; q++) {
        for (const j of js) {
          let v = `p${q}_${j}`;
          if (resRowBytes !== undefined) v = `f32x4.add(${v}, v128.load(rr + t * ${V * 4}, ${q * V * 4 + j * 16}))`;
          if (op.relu) v = `f32x4.pmax(ZERO, ${v})`;
          out.push(`      v128.store(dd + t * ${V * 4}, ${v}, ${q * V * 4 + j * 16});`);
        }
      }
      return out;
    };
    const Teven = T - (T % 2);
    return [
      `function ${key}(x: usize, d: usize, r: usize, sc: usize, w: usize): void {`,
      `  // time mean of the input (conv1 and conv2 are linear: mean, then project)`,
      `  for (let ci: usize = 0; ci < ${op.cin}; ci++) {`,
      `    const s: usize = x + ci * ${src.rowStride * 4};`,
      ...js.map((j) => `    let m${j} = ZERO;`),
      `    for (let t: usize = 0; t < ${T}; t++) {`,
      ...js.map((j) => `      m${j} = f32x4.add(m${j}, v128.load(s + t * ${V * 4}, ${j * 16}));`),
      `    }`,
      ...js.map((j) => `    v128.store(${S('xm')} + ci * ${Vp * 4}, f32x4.mul(m${j}, f32x4.splat(${(1 / T).toPrecision(9)})), ${j * 16});`),
      `  }`,
      `  // conv1, conv2 of the mean, all subsets: X1/X2[s·R + r][u]`,
      `  for (let ir: usize = 0; ir < ${n * op.rel}; ir++) {`,
      ...js.map((j) => `    let p${j} = v128.load32_splat(${W(p.b1)} + (ir << 2));\n    let q${j} = v128.load32_splat(${W(p.b2)} + (ir << 2));`),
      `    const w1: usize = ${W(p.w1)} + ir * ${op.cin * 4};`,
      `    const w2: usize = ${W(p.w2)} + ir * ${op.cin * 4};`,
      `    for (let ci: usize = 0; ci < ${op.cin}; ci++) {`,
      `      const a = v128.load32_splat(w1 + (ci << 2));`,
      `      const b = v128.load32_splat(w2 + (ci << 2));`,
      `      const xm: usize = ${S('xm')} + ci * ${Vp * 4};`,
      ...js.map((j) => `      const x${j} = v128.load(xm, ${j * 16});\n      p${j} = ${fma(`p${j}`, 'a', `x${j}`)};\n      q${j} = ${fma(`q${j}`, 'b', `x${j}`)};`),
      `    }`,
      ...js.map((j) => `    v128.store(${S('x1')} + ir * ${Vp * 4}, p${j}, ${j * 16});\n    v128.store(${S('x2')} + ir * ${Vp * 4}, q${j}, ${j * 16});`),
      `  }`,
      `  // TH[s·R + r][v][u] = tanh(X1[u] − X2[v])`,
      `  for (let ir: usize = 0; ir < ${n * op.rel}; ir++) {`,
      `    const x1: usize = ${S('x1')} + ir * ${Vp * 4};`,
      `    for (let v: usize = 0; v < ${V}; v++) {`,
      `      const b = load<f32>(${S('x2')} + ir * ${Vp * 4} + (v << 2));`,
      `      const th: usize = ${S('th')} + (ir * ${V} + v) * ${Vp * 4};`,
      `      for (let u: usize = 0; u < ${Vp}; u++) store<f32>(th + (u << 2), Mathf.tanh(load<f32>(x1 + (u << 2)) - b));`,
      `    }`,
      `  }`,
      `  // A[s][c][v][u] = PA_s[u][v] + b4 + Σ_r W4[c][r] · TH[r][v][u]   (alpha folded into conv4)`,
      `  for (let s: usize = 0; s < ${n}; s++) {`,
      `    for (let c: usize = 0; c < ${op.cout}; c++) {`,
      `      const bias = v128.load32_splat(${W(p.b4)} + ((s * ${op.cout} + c) << 2));`,
      `      const wr: usize = ${W(p.w4)} + (s * ${op.cout} + c) * ${op.rel * 4};`,
      `      for (let v: usize = 0; v < ${V}; v++) {`,
      ...js.map((j) => `        let a${j} = f32x4.add(bias, v128.load(${W(p.paT)} + (s * ${V} + v) * ${Vp * 4}, ${j * 16}));`),
      `        const th: usize = ${S('th')} + (s * ${op.rel * V} + v) * ${Vp * 4};`,
      `        for (let r: usize = 0; r < ${op.rel}; r++) {`,
      `          const k = v128.load32_splat(wr + (r << 2));`,
      ...js.map((j) => `          a${j} = ${fma(`a${j}`, 'k', `v128.load(th + r * ${V * Vp * 4}, ${j * 16})`)};`),
      `        }`,
      ...js.map((j) => `        v128.store(${S('a')} + ((s * ${op.cout} + c) * ${V} + v) * ${Vp * 4}, a${j}, ${j * 16});`),
      `      }`,
      `    }`,
      `  }`,
      `  ${conv3}(x, ${S('x3')}, 0, ${W(p.conv3.weight)}, ${W(p.conv3.bias)});`,
      `  // out[c][t][u] = Σ_s Σ_v A[s][c][v][u] · X3[s][c][t][v] + bias, two frames per step`,
      `  for (let c: usize = 0; c < ${op.cout}; c++) {`,
      `    const bias = v128.load32_splat(${W(p.bias)} + (c << 2));`,
      `    const dd: usize = d + c * ${dst.rowStride * 4};`,
      resRowBytes !== undefined ? `    const rr: usize = r + c * ${resRowBytes};` : '',
      Teven > 0 ? `    for (let t: usize = 0; t < ${Teven}; t += 2) {\n${aggRows(2).join('\n')}\n    }` : '',
      T % 2 ? `    {\n      const t: usize = ${T - 1};\n${aggRows(1).join('\n')}\n    }` : '',
      `  }`,
      `}`,
    ].filter(Boolean).join('\n');
  };

  let featureAddr = 0;
  graph.ops.forEach((op, i) => {
    const name = `op${i}`;
    opLayers.push(layerOf(op));
    switch (op.kind) {
      case 'input': {
        const { C, T } = graph.input;
        const out = L.get(op.out)!;
        const scale = blob.add(op.scale!);
        const shift = blob.add(op.shift!);
        fns.push([
          `function ${name}(input: usize, m: usize): void {`,
          `  for (let c: usize = 0; c < ${C}; c++) {`,
          `    const dst: usize = AR + ${col0(op.out)} + c * ${out.rowStride * 4};`,
          `    for (let t: usize = 0; t < ${T}; t++) {`,
          `      for (let v: usize = 0; v < ${V}; v++) {`,
          `        const ch: usize = (m * ${V} + v) * ${C} + c;`,
          `        const x = load<f32>(input + ((((c * ${T} + t) * ${V} + v) * ${M} + m) << 2));`,
          `        store<f32>(dst + ((t * ${V} + v) << 2), x * load<f32>(WB + ${scale} + (ch << 2)) + load<f32>(WB + ${shift} + (ch << 2)));`,
          `      }`,
          `    }`,
          `  }`,
          zeroPads(op.out, 0, C),
          `}`,
        ].join('\n'));
        calls.push(`${name}(input, m);`);
        return;
      }
      case 'conv': {
        const src = L.get(op.in)!;
        const dst = L.get(op.out)!;
        const packed = packConvOp(blob, op);
        const res = residualOf(op);
        const kernel = convKernel({
          inRowBytes: src.rowStride * 4, tapBytes: op.dilation * src.V * 4, K: op.K, cin: op.cin, cout: op.cout,
          cols: dst.cols, outRowBytes: dst.rowStride * 4, resRowBytes: res?.rowBytes, relu: op.relu,
        });
        fns.push([
          `function ${name}(): void {`,
          `  ${kernel}(AR + ${col0(op.in) - op.pad * src.V * 4}, AR + ${col0(op.out, op.outOffset)}, AR + ${res?.addr ?? 0}, WB + ${packed.weight}, WB + ${packed.bias});`,
          zeroPads(op.out, op.outOffset, op.cout),
          `}`,
        ].filter(Boolean).join('\n'));
        calls.push(`${name}();`);
        return;
      }
      case 'maxpool':
      case 'subsample': {
        const src = L.get(op.in)!;
        const dst = L.get(op.out)!;
        const res = residualOf(op);
        const affine = op.kind === 'maxpool' && op.scale ? { scale: blob.add(op.scale), shift: blob.add(op.shift!) } : undefined;
        const body: string[] = [];
        const sv = src.V * 4;
        if (op.kind === 'maxpool') {
          body.push(`        let y = load<f32>(s + t0 * ${sv} + (v << 2));`);
          body.push(`        if (t0 > 0) y = Mathf.max(y, load<f32>(s + (t0 - 1) * ${sv} + (v << 2)));`);
          body.push(`        if (t0 + 1 < ${src.T}) y = Mathf.max(y, load<f32>(s + (t0 + 1) * ${sv} + (v << 2)));`);
          if (affine) body.push(`        y = y * sc + sh;`);
        } else {
          body.push(`        let y = load<f32>(s + t0 * ${sv} + (v << 2));`);
        }
        if (res) body.push(`        y += load<f32>(r + ((t * ${V} + v) << 2));`);
        if (op.relu) body.push(`        y = Mathf.max(y, 0);`);
        body.push(`        store<f32>(d + ((t * ${V} + v) << 2), y);`);
        fns.push([
          `function ${name}(): void {`,
          `  for (let c: usize = 0; c < ${src.C}; c++) {`,
          `    const s: usize = AR + ${col0(op.in)} + c * ${src.rowStride * 4};`,
          `    const d: usize = AR + ${col0(op.out, op.outOffset)} + c * ${dst.rowStride * 4};`,
          res ? `    const r: usize = AR + ${res.addr} + c * ${res.rowBytes};` : '',
          affine ? `    const sc = load<f32>(WB + ${affine.scale} + (c << 2));\n    const sh = load<f32>(WB + ${affine.shift} + (c << 2));` : '',
          `    for (let t: usize = 0; t < ${dst.T}; t++) {`,
          `      const t0: usize = t * ${op.stride};`,
          `      for (let v: usize = 0; v < ${V}; v++) {`,
          ...body,
          `      }`,
          `    }`,
          `  }`,
          zeroPads(op.out, op.outOffset, src.C),
          `}`,
        ].filter(Boolean).join('\n'));
        calls.push(`${name}();`);
        return;
      }
      case 'ctrgc': {
        const { offsets: so, x3Row } = ctrgcScratch(op);
        const src = L.get(op.in)!;
        const dst = L.get(op.out)!;
        if (src.padT !== 0 || dst.padT !== 0) throw new Error(`codegen: CTR-GC ${op.out} expects unpadded tensors`);
        const p = packCtrgc(blob, op, V);
        const res = residualOf(op);
        const key = `ctrgc_i${op.cin}x${src.rowStride}_o${op.cout}x${dst.rowStride}_r${op.rel}_s${op.subsets.length}_t${src.T}_v${V}_r${res?.rowBytes ?? 0}${op.relu ? '_relu' : ''}`;
        if (!kernels.has(key)) kernels.set(key, emitCtrgcKernel(key, op, src, dst, res?.rowBytes, so, x3Row, p));
        fns.push(`function ${name}(): void {\n  ${key}(AR + ${col0(op.in)}, AR + ${col0(op.out, op.outOffset)}, AR + ${res?.addr ?? 0}, AR + ${plan.offsets.get(`#scratch${i}`)!}, WB + ${p.w1});\n}`);
        calls.push(`${name}();`);
        return;
      }
      case 'pool': {
        const src = L.get(op.in)!;
        featureAddr = at(op.out);
        const TV = src.T * src.V;
        fns.push([
          `function ${name}(): void {`,
          `  for (let c: usize = 0; c < ${src.C}; c++) {`,
          `    const s: usize = AR + ${col0(op.in)} + c * ${src.rowStride * 4};`,
          `    let acc: f32 = 0;`,
          `    for (let i: usize = 0; i < ${TV}; i++) acc += load<f32>(s + (i << 2));`,
          `    const f: usize = AR + ${featureAddr} + (c << 2);`,
          `    store<f32>(f, load<f32>(f) + acc * ${(1 / (TV * M)).toPrecision(9)});`,
          `  }`,
          `}`,
        ].join('\n'));
        calls.push(`${name}();`);
        return;
      }
      case 'linear': {
        const K = op.bias.length;
        const C = op.weight.length / K;
        const w = blob.add(op.weight);
        const b = blob.add(padTo4(op.bias));
        fns.push([
          `function ${name}(logits: usize): void {`,
          `  for (let k: usize = 0; k < ${K}; k++) {`,
          `    let acc = load<f32>(WB + ${b} + (k << 2));`,
          `    const w: usize = WB + ${w} + k * ${C * 4};`,
          `    for (let c: usize = 0; c < ${C}; c++) acc += load<f32>(w + (c << 2)) * load<f32>(AR + ${at(op.in)} + (c << 2));`,
          `    store<f32>(logits + (k << 2), acc);`,
          `  }`,
          `}`,
        ].join('\n'));
        calls.push(`${name}(logits);`);
        return;
      }
      default:
        throw new Error(`codegen: no kernel for op ${op.kind}`);
    }
  });

  const poolIndex = graph.ops.findIndex((op) => op.kind === 'pool');
  const featureC = graph.tensors.get(graph.ops[poolIndex].out)!.C;
  const weights = blob.toFloat32();
  const f32Bytes = weights.length * 4;
  const segmentBase = opts.f16 ? roundUp(WEIGHTS_BASE + f32Bytes, 64) : WEIGHTS_BASE;
  const memoryBase = opts.f16 ? roundUp(segmentBase + f32Bytes / 2, 64) : roundUp(WEIGHTS_BASE + f32Bytes, 64);
  const source = [
    `// Generated by cocodiff compile: the network for one fixed model. Do not edit.`,
    `// ${graph.ops.length} ops; weights ${weights.length * 4} bytes at ${WEIGHTS_BASE}; arena ${plan.arenaBytes} bytes.`,
    `const WB: usize = ${WEIGHTS_BASE};`,
    `const AR: usize = memory.data(${plan.arenaBytes + 64}, 64);`,
    `const ZERO = f32x4.splat(0);`,
    `export const NETWORK_MEMORY_BYTES: i32 = ${plan.arenaBytes + 64 + memoryBase - WEIGHTS_BASE};`,
    `export const NETWORK_OP_COUNT: i32 = ${graph.ops.length};`,
    '',
    opts.f16 ? emitExpandHalves(segmentBase, WEIGHTS_BASE, weights.length) : '',
    ...kernels.values(),
    ...fns,
    '',
    `export function network_forward(input: usize, logits: usize): void {`,
    `  memory.fill(AR + ${featureAddr}, 0, ${featureC * 4});`,
    `  for (let m: usize = 0; m < ${M}; m++) {`,
    ...calls.slice(0, poolIndex + 1).map((c) => `    ${c}`),
    `  }`,
    ...calls.slice(poolIndex + 1).map((c) => `  ${c}`),
    `}`,
    '',
    `/** Runs op i alone for person m (profiling builds export it to time each layer). */`,
    `export function network_run_op(i: i32, input: usize, logits: usize, m: usize): void {`,
    `  switch (i) {`,
    ...calls.map((c, i) => `    case ${i}: ${c} break;`),
    `  }`,
    `}`,
    '',
  ].join('\n');
  return {
    source, weights, weightsBase: WEIGHTS_BASE, segmentBase, memoryBase,
    arenaBytes: plan.arenaBytes, opLayers,
  };
}
