/**
 * Lowered IR → `network.ts`: one AssemblyScript call per op (four for a CTR-GC, see ctrgc.ts), in
 * order in `network_forward(input, logits)`, once per person up to the pooling, then the classifier. Weights sit at the literal
 * address WB (a data segment the build inserts there), activations in the static arena AR at the
 * offsets of the memory plan. Nothing allocates.
 */
import type { EpilogueOp, Graph, Op } from '../ir.ts';
import { roundUp, tensorLayouts } from '../layout.ts';
import { liveBuffers, planMemory } from '../memory-plan.ts';
import { WeightBlob, packConvOp, packCtrgc, padTo4 } from '../pack.ts';
import { emitExpandHalves } from '../f16.ts';
import { TANH4, ctrgcScratch, ctrgcSteps, type KernelSink } from './ctrgc.ts';
import { convKey, emitConv, emitZeroPads, epilogue, fmaFor } from './kernels.ts';

/** One call in `network_forward`, as the per-kernel profile groups it. */
export interface Step {
  /** The unit it belongs to: input, l1 … l10, head. */
  layer: string;
  /** The kernel family, e.g. "conv 1×1", "conv 5×1", "ctrgc aggregate". */
  kernel: string;
  /** Multiply-adds of one call. */
  macs: number;
  /** Runs once per person (everything up to the pooling) rather than once per inference. */
  perPerson: boolean;
}

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
  /** The calls of `network_forward`, in order; a profiling build times each (`network_profile_ptr`). */
  steps: Step[];
}

export interface CodegenOptions {
  relaxedSimd?: boolean;
  /** The segment holds half floats, expanded into the f32 weight area at instantiation. */
  f16?: boolean;
  /**
   * Profiling build: every step adds its milliseconds to an f64 slot (exported `network_profile_ptr`),
   * read from the host clock `env.now`. Only the benchmark builds it; the shipped ABI imports nothing
   * but `env.abort`.
   */
  profile?: boolean;
}

/** Where the weights start; below it only the never-used null page corner. */
export const WEIGHTS_BASE = 1024;

const PROFILE_PRELUDE = (steps: number): string => [
  `@external("env", "now") declare function now(): f64;`,
  `const PROFILE: usize = memory.data(${steps * 8}, 8);`,
  `/** Milliseconds spent in each step, summed over every call since instantiation. */`,
  `export function network_profile_ptr(): usize { return PROFILE; }`,
].join('\n');

const timed = (call: string, i: number): string =>
  `{ const t0 = now(); ${call} store<f64>(PROFILE, load<f64>(PROFILE, ${i * 8}) + (now() - t0), ${i * 8}); }`;

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

  const scratch = new Map<number, number>();
  graph.ops.forEach((op, i) => {
    if (op.kind === 'ctrgc') scratch.set(i, ctrgcScratch(op, L.get(op.in)!).bytes);
  });
  const sizes = new Map([...L].map(([name, l]) => [name, l.bytes]));
  const plan = planMemory(liveBuffers(graph, sizes, scratch));
  const at = (name: string): number => plan.offsets.get(name)!;

  const blob = new WeightBlob();
  const fns: string[] = [];
  const calls: string[] = [];
  const steps: Step[] = [];
  const poolIndex = graph.ops.findIndex((op) => op.kind === 'pool');
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

  // Kernels of one shape are emitted once and shared by their call sites.
  const kernels = new Map<string, string>();
  const sink: KernelSink = {
    fma,
    conv: (shape) => sink.add(convKey(shape), (name) => emitConv(name, shape, fma)),
    add: (name, emit) => {
      if (!kernels.has(name)) kernels.set(name, emit(name));
      return name;
    },
  };

  let featureAddr = 0;
  graph.ops.forEach((op, i) => {
    const name = `op${i}`;
    const step = (kernel: string, macs: number, call: string): void => {
      calls.push(call);
      steps.push({ layer: layerOf(op), kernel, macs, perPerson: i <= poolIndex });
    };
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
        step('input', 0, `${name}(input, m);`);
        return;
      }
      case 'conv': {
        const src = L.get(op.in)!;
        const dst = L.get(op.out)!;
        const packed = packConvOp(blob, op);
        const res = residualOf(op);
        const kernel = sink.conv({
          inRowBytes: src.rowStride * 4, tapBytes: op.dilation * src.V * 4, K: op.K, cin: op.cin, cout: op.cout,
          cols: dst.cols, outRowBytes: dst.rowStride * 4, resRowBytes: res?.rowBytes, relu: op.relu,
        });
        fns.push([
          `function ${name}(): void {`,
          `  ${kernel}(AR + ${col0(op.in) - op.pad * src.V * 4}, AR + ${col0(op.out, op.outOffset)}, AR + ${res?.addr ?? 0}, WB + ${packed.weight}, WB + ${packed.bias});`,
          zeroPads(op.out, op.outOffset, op.cout),
          `}`,
        ].filter(Boolean).join('\n'));
        step(`conv ${op.K}×1`, op.cout * op.cin * op.K * dst.T * dst.V, `${name}();`);
        return;
      }
      case 'maxpool':
      case 'subsample': {
        const src = L.get(op.in)!;
        const dst = L.get(op.out)!;
        const res = residualOf(op);
        const affine = op.kind === 'maxpool' && op.scale ? { scale: blob.add(op.scale), shift: blob.add(op.shift!) } : undefined;
        const sv = src.V * 4;
        // One frame is ⌈V/4⌉ vectors of joints; a frame's last vector spills lanes past V into the next
        // frame's first joints (or the row's slack), which the next frame rewrites: frames run in order.
        // The pool's padding never wins, so a missing neighbour frame is simply left out.
        const frame = (prev: boolean, next: boolean): string[] => Array.from({ length: roundUp(V, 4) / 4 }, (_, j) => {
          let y = `v128.load(s + t0 * ${sv}, ${j * 16})`;
          if (prev) y = `f32x4.max(${y}, v128.load(s + (t0 - 1) * ${sv}, ${j * 16}))`;
          if (next) y = `f32x4.max(${y}, v128.load(s + (t0 + 1) * ${sv}, ${j * 16}))`;
          if (affine) y = `f32x4.add(f32x4.mul(${y}, sc), sh)`;
          y = epilogue(y, res ? `v128.load(r + t * ${V * 4}, ${j * 16})` : undefined, op.relu);
          return `        v128.store(d + t * ${V * 4}, ${y}, ${j * 16});`;
        });
        // Runs of output frames with the same neighbours, each one loop.
        const runs: Array<{ from: number; to: number; prev: boolean; next: boolean }> = [];
        for (let t = 0; t < dst.T; t++) {
          const t0 = t * op.stride;
          const prev = op.kind === 'maxpool' && t0 > 0;
          const next = op.kind === 'maxpool' && t0 + 1 < src.T;
          const last = runs[runs.length - 1];
          if (last && last.prev === prev && last.next === next) last.to = t + 1;
          else runs.push({ from: t, to: t + 1, prev, next });
        }
        fns.push([
          `function ${name}(): void {`,
          `  for (let c: usize = 0; c < ${src.C}; c++) {`,
          `    const s: usize = AR + ${col0(op.in)} + c * ${src.rowStride * 4};`,
          `    const d: usize = AR + ${col0(op.out, op.outOffset)} + c * ${dst.rowStride * 4};`,
          res ? `    const r: usize = AR + ${res.addr} + c * ${res.rowBytes};` : '',
          affine ? `    const sc = v128.load32_splat(WB + ${affine.scale} + (c << 2));\n    const sh = v128.load32_splat(WB + ${affine.shift} + (c << 2));` : '',
          ...runs.flatMap((run) => [
            `    for (let t: usize = ${run.from}; t < ${run.to}; t++) {`,
            `      const t0: usize = t * ${op.stride};`,
            ...frame(run.prev, run.next),
            `    }`,
          ]),
          `  }`,
          zeroPads(op.out, op.outOffset, src.C),
          `}`,
        ].filter(Boolean).join('\n'));
        step(op.kind, 0, `${name}();`);
        return;
      }
      case 'ctrgc': {
        const src = L.get(op.in)!;
        const dst = L.get(op.out)!;
        if (src.padT !== 0 || dst.padT !== 0) throw new Error(`codegen: CTR-GC ${op.out} expects unpadded tensors`);
        const res = residualOf(op);
        const parts = ctrgcSteps({
          op, src, dst,
          x: `AR + ${col0(op.in)}`,
          d: `AR + ${col0(op.out, op.outOffset)}`,
          residual: res ? { addr: `AR + ${res.addr}`, rowBytes: res.rowBytes } : undefined,
          scratch: `AR + ${at(`#scratch${i}`)}`,
          packed: packCtrgc(blob, op, V),
        }, sink);
        for (const part of parts) step(part.kernel, part.macs, part.call);
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
          `    store<f32>(CONTRIB + (c << 2), acc * ${(1 / (TV * M)).toPrecision(9)});`,
          `  }`,
          `}`,
        ].join('\n'));
        step('pool', 0, `${name}();`);
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
        step('linear', op.weight.length, `${name}(logits);`);
        return;
      }
      default:
        throw new Error(`codegen: no kernel for op ${op.kind}`);
    }
  });

  const perPerson = steps.filter((s) => s.perPerson).length;
  const body = opts.profile ? calls.map(timed) : calls;
  const featureC = graph.tensors.get(graph.ops[poolIndex].out)!.C;
  const contribBytes = roundUp(featureC * 4, 64);
  // A person slot that is all zeros (nobody there: most NTU actions have one actor in two slots)
  // always contributes the same pooled feature, one per slot (the data batch-norm differs by slot).
  // It is computed the first time, by the same code, and reused: bit-identical answers, half the
  // work for a single actor.
  const personLoop = M > 1 ? [
    `  for (let m: usize = 0; m < ${M}; m++) {`,
    `    const empty = personIsEmpty(input, m);`,
    `    const saved: usize = EMPTY_CONTRIB + m * ${contribBytes};`,
    `    if (empty && load<u8>(EMPTY_READY + m)) {`,
    `      memory.copy(CONTRIB, saved, ${featureC * 4});`,
    `    } else {`,
    ...body.slice(0, perPerson).map((c) => `      ${c}`),
    `      if (empty) {`,
    `        memory.copy(saved, CONTRIB, ${featureC * 4});`,
    `        store<u8>(EMPTY_READY + m, 1);`,
    `      }`,
    `    }`,
    `    addContribution();`,
    `  }`,
  ] : [
    `  const m: usize = 0;`,
    ...body.slice(0, perPerson).map((c) => `  ${c}`),
    `  addContribution();`,
  ];
  const { C: inC, T: inT } = graph.input;
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
    `/** One person's share of the pooled feature, and the share of an empty person slot once known. */`,
    `const CONTRIB: usize = memory.data(${contribBytes}, 64);`,
    M > 1 ? `const EMPTY_CONTRIB: usize = memory.data(${M * contribBytes}, 64);\nconst EMPTY_READY: usize = memory.data(${M}); // byte m: slot m's empty share is saved` : '',
    '',
    opts.f16 ? emitExpandHalves(segmentBase, WEIGHTS_BASE, weights.length) : '',
    opts.profile ? PROFILE_PRELUDE(steps.length) : '',
    TANH4,
    ...kernels.values(),
    ...fns,
    '',
    M > 1 ? [
      `function personIsEmpty(input: usize, m: usize): bool {`,
      `  for (let i: usize = 0; i < ${inC * inT * V}; i++) if (load<f32>(input + ((i * ${M} + m) << 2)) != 0) return false;`,
      `  return true;`,
      `}`,
    ].join('\n') : '',
    `function addContribution(): void {`,
    `  for (let c: usize = 0; c < ${featureC}; c++) {`,
    `    const f: usize = AR + ${featureAddr} + (c << 2);`,
    `    store<f32>(f, load<f32>(f) + load<f32>(CONTRIB + (c << 2)));`,
    `  }`,
    `}`,
    '',
    `export function network_forward(input: usize, logits: usize): void {`,
    `  memory.fill(AR + ${featureAddr}, 0, ${featureC * 4});`,
    ...personLoop,
    ...body.slice(perPerson).map((c) => `  ${c}`),
    `}`,
    '',
  ].join('\n');
  return {
    source, weights, weightsBase: WEIGHTS_BASE, segmentBase, memoryBase,
    arenaBytes: plan.arenaBytes, steps,
  };
}
