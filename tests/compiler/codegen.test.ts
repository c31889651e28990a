import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWasm } from '../../compiler/build.ts';
import { generateNetwork } from '../../compiler/codegen/network.ts';
import { EmitContext } from '../../compiler/codegen/ops/context.ts';
import { convCalls } from '../../compiler/codegen/ops/conv.ts';
import { formatPlan, PLAN_FORMAT, type NetworkPlan } from '../../compiler/codegen/plan.ts';
import type { Graph } from '../../compiler/ir.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { packConv } from '../../compiler/pack.ts';
import { runPasses } from '../../compiler/passes/index.ts';
import { Rng } from '../../common/rng.ts';
import { writeGoldenArtifact } from './artifacts.ts';

/** Every top-level function of a generated source: name and line count. */
function functions(source: string): Array<{ name: string; lines: number }> {
  const out: Array<{ name: string; lines: number }> = [];
  const lines = source.split('\n');
  lines.forEach((line, i) => {
    const m = /^(?:export )?function (\w+)/.exec(line);
    if (!m) return;
    const end = lines.indexOf('}', i);
    out.push({ name: m[1], lines: end - i + 1 });
  });
  return out;
}

// The golden CTR-GCN (full size) through the plan and the emitters; no build, so this stays fast.
describe('codegen: plan, then emit (golden CTR-GCN)', () => {
  let dir: string;
  let graph: Graph;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-codegen-'));
    await writeGoldenArtifact(join(dir, 'model'));
    graph = runPasses((await loadArtifact(join(dir, 'model'))).graph);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('plans plain data: printable as JSON and read back unchanged, every tensor inside the arena', () => {
    const { plan } = generateNetwork(graph);
    expect(JSON.parse(formatPlan(plan))).toEqual({ format: PLAN_FORMAT, ...JSON.parse(JSON.stringify(plan)) });
    for (const [name, t] of Object.entries(plan.tensors)) {
      expect(t.offset % 64, name).toBe(0);
      expect(t.offset + t.bytes, name).toBeLessThanOrEqual(plan.arenaBytes);
    }
    expect(plan.ops.filter((op) => op.kind === 'ctrgc')).toHaveLength(10);
  });

  it('emits one commented kernel call per step, named functions under 80 lines, no wrappers', () => {
    const { source, plan, steps } = generateNetwork(graph);
    const fns = functions(source);
    for (const f of fns) expect(f.lines, f.name).toBeLessThanOrEqual(80);
    expect(fns.some((f) => /^op\d+$/.test(f.name))).toBe(false);
    // Micro-kernels named like XNNPACK's: datatype, operation, register block, instruction set.
    expect(fns.map((f) => f.name)).toEqual(expect.arrayContaining([
      'f32_conv1x1_4x2_wasmsimd', 'f32_conv5x1_4x2_wasmsimd_residual_relu', 'f32_ctrgc_aggregate_4x2_s3_v25_wasmsimd_residual_relu',
      'f32_ctrgc_topology_v25_wasmsimd', 'f32_maxpool3_v25_wasmsimd_affine_residual_relu', 'unit_l1', 'unit_l10', 'network_forward',
    ]));
    // Constant offsets are folded: an address is AR or WB plus one literal.
    expect(source).not.toMatch(/\b(AR|WB) \+ \d+ \+ \d+/);
    // Each op's comment names its official module: the units' ops in order, then (in network_forward) the input, pooling and classifier.
    const comments = source.split('\n').filter((l) => /^\s+\/\/ /.test(l)).map((l) => l.trim().slice(3));
    const inForward = (kind: string) => kind === 'input' || kind === 'pool' || kind === 'linear';
    const expected = [...plan.ops.filter((op) => !inForward(op.kind)), ...plan.ops.filter((op) => inForward(op.kind))].map((op) => op.module);
    expect(comments.map((c) => c.split(':')[0])).toEqual(expected);
    expect(comments).toContain('l5.tcn1.branches.0.3.conv: 5×1 conv, dilation 1, l5.tcn1.branches.0.pw_relu 32×64×25 → l5.tcn1.branches.0.out@dense (32×64×25)');
    // One statement per step (a conv into a padded tensor adds zero_time_pads); nothing else in the unit functions.
    const calls = source.split('\n').filter((l) => /^\s+(f32_|zero_time_pads)\w*\(/.test(l));
    expect(calls.length - calls.filter((l) => l.includes('zero_time_pads(')).length).toBe(steps.length);
  });

  it('emits the relaxed-SIMD kernels with a fused multiply-add', () => {
    const { source } = generateNetwork(graph, { relaxedSimd: true });
    expect(source).toContain('function f32_conv1x1_4x2_wasmrelaxedsimd(');
    expect(source).toContain('f32x4.relaxed_madd(');
    // Only the kernels without multiply-adds (max-pool, subsample) are shared with the SIMD build.
    expect(source).not.toMatch(/f32_(conv|ctrgc)\w*_wasmsimd/);
  });
});

// The conv micro-kernel against a plain-JS conv with the same roundings (multiply, then add), on a
// shape that takes every path: a 3×1 temporal conv with dilation 2, 6 output channels (a 4-row block
// and a 2-row one), 3 vectors of columns (a pair and an odd one), a residual and ReLU.
describe('codegen: the conv micro-kernel', () => {
  it('computes the convolution bit for bit as plain f32 arithmetic', async () => {
    const [cin, cout, K, dilation, cols] = [5, 6, 3, 2, 12];
    const tap = dilation * 4; // floats between taps (a row of 4 "joints" per frame)
    const xRow = cols + (K - 1) * tap + 4;
    const rng = new Rng(7);
    const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
    const x = rand(cin * xRow);
    const w = rand(cout * cin * K);
    const b = rand(cout);
    const res = rand(cout * cols);
    // Weights then bias at WB; input, residual and output at AR.
    const packed = packConv(w, cout, cin, K);
    const [X, R, O] = [0, cin * xRow * 4, (cin * xRow + cout * cols) * 4];
    const ctx = new EmitContext({} as NetworkPlan, 'wasmsimd');
    const code = convCalls(ctx, {
      K, relu: true, x: X, xRow: xRow * 4, tap: tap * 4, w: 0, b: packed.length * 4, o: O, oRow: cols * 4,
      residual: { r: { base: 'AR', offset: R }, rRow: cols * 4 }, cin, cout, cols,
    });
    expect(code).toHaveLength(2); // the 4-row kernel and the 2-row one
    const source = [
      `const ZERO = f32x4.splat(0);`,
      `const WB: usize = memory.data(${(packed.length + cout) * 4}, 64);`,
      `const AR: usize = memory.data(${(cin * xRow + 2 * cout * cols) * 4}, 64);`,
      ...ctx.kernelSources(),
      `export function wb(): usize { return WB; }`,
      `export function ar(): usize { return AR; }`,
      `export function run(): void {\n  ${code.join('\n  ')}\n}`,
    ].join('\n');
    const wasm = await buildWasm({ sources: { 'conv.ts': source }, entry: 'conv.ts', memoryBase: 1024, segments: [] });
    const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, { env: { abort() {} } });
    const ex = instance.exports as { memory: WebAssembly.Memory; wb(): number; ar(): number; run(): void };
    const f32 = (at: number, n: number) => new Float32Array(ex.memory.buffer, at, n);
    f32(ex.wb(), packed.length).set(packed);
    f32(ex.wb() + packed.length * 4, cout).set(b);
    f32(ex.ar() + X, x.length).set(x);
    f32(ex.ar() + R, res.length).set(res);
    ex.run();
    const got = f32(ex.ar() + O, cout * cols);
    const f = Math.fround;
    for (let co = 0; co < cout; co++) {
      for (let c = 0; c < cols; c++) {
        let acc = b[co];
        for (let ci = 0; ci < cin; ci++) for (let k = 0; k < K; k++) acc = f(acc + f(w[(co * cin + ci) * K + k] * x[ci * xRow + c + k * tap]));
        const want = Math.max(0, f(acc + res[co * cols + c]));
        expect(got[co * cols + c], `out[${co}][${c}]`).toBe(want);
      }
    }
  }, 60_000);
});
