import { describe, expect, it } from 'vitest';
import { buildWasm } from '../../compiler/build.ts';
import { emitExpandInt8 } from '../../compiler/codegen/kernels/qs8-conv.ts';
import { EmitContext } from '../../compiler/codegen/ops/context.ts';
import { qs8ConvCalls } from '../../compiler/codegen/ops/conv.ts';
import type { NetworkPlan } from '../../compiler/codegen/plan.ts';
import { activationCode, inverseScale, quantiseWeights } from '../../compiler/int8/arithmetic.ts';
import { packQs8Conv } from '../../compiler/pack.ts';
import { Rng } from '../../common/rng.ts';

// The int8 kernels against a scalar reference written from their definition (int8/arithmetic.ts):
// the quantiser's codes (rounding ties to even, clamping past the range, zero padding, an odd channel
// count), the start-up expansion of int8 weights to i16, and the qs8 conv's integer sums, scale, bias,
// residual and ReLU, for a temporal conv whose output channels need the 4-row and a 2-row kernel.
describe('qs8 kernels', () => {
  it('quantise, expand and convolve exactly as the scalar definition', async () => {
    const [cin, cout, K, T, V, pad] = [5, 6, 3, 7, 3, 1];
    const cols = Math.ceil((T * V) / 4) * 4;
    const rowStride = Math.ceil(((T + 2 * pad) * V) / 4) * 4 + 4;
    const xScale = 1 / 64; // inv exactly 64, so ties are exact
    const xZero = 128; // codes −128..127 stand for −2 … 1.98
    const rng = new Rng(11);
    const x = new Float32Array(cin * rowStride);
    for (let c = 0; c < cin; c++) {
      for (let i = 0; i < rowStride; i++) {
        const inData = i >= pad * V && i < (pad + T) * V;
        // Pads are zeros (the producer writes them); data and slack: normal values, some past the range, some exact ties.
        x[c * rowStride + i] = !inData && i < pad * V ? 0 : i % 7 === 3 ? (2 * (rng.int(40) - 20) + 1) / 128 : rng.normal() * 1.5;
      }
    }
    const w = Float32Array.from({ length: cout * cin * K }, () => rng.normal());
    const { q, wScale } = quantiseWeights(w, cout);
    const bias = Float32Array.from({ length: cout }, () => rng.normal());
    const res = Float32Array.from({ length: cout * cols }, () => rng.normal());
    const scale = Float32Array.from(wScale, (s) => xScale * s);
    const packed = packQs8Conv(q, cout, cin, K);

    // Arena: x, its codes, residual, output. WB: scales, bias. SRC: the int8 codes, expanded to QW.
    const X = 0;
    const CODES = cin * rowStride * 4;
    const R = CODES + Math.ceil(cin / 2) * rowStride * 4;
    const O = R + cout * cols * 4;
    const plan = { tensors: { x: { C: cin, T, V, padT: pad, rowStride, cols, bytes: cin * rowStride * 4, offset: X } } } as unknown as NetworkPlan;
    const ctx = new EmitContext(plan, 'wasmsimd');
    const code = qs8ConvCalls(ctx, 'x', {
      K, relu: true, x: X, xRow: rowStride * 4, tap: V * 4, o: O, oRow: cols * 4,
      residual: { r: { base: 'AR', offset: R }, rRow: cols * 4 }, cin, cout, cols,
    }, { xScale, xZero, codes: CODES, quantise: true, weights: { qweight: 0, scale: 0, bias: 32 } });
    expect(code).toHaveLength(3); // quantise, the 4-row kernel, the 2-row one
    const source = [
      `const ZERO = f32x4.splat(0);`,
      `const WB: usize = memory.data(64, 64);`,
      `const SRC: usize = memory.data(${packed.length}, 64);`,
      `const QW: usize = memory.data(${packed.length * 2}, 64);`,
      `const AR: usize = memory.data(${O + cout * cols * 4}, 64);`,
      ...ctx.kernelSources(),
      `export function wb(): usize { return WB; }`,
      `export function src(): usize { return SRC; }`,
      `export function ar(): usize { return AR; }`,
      `export function run(): void {`,
      emitExpandInt8('SRC', 'QW', packed.length),
      `  ${code.join('\n  ')}`,
      `}`,
    ].join('\n');
    const wasm = await buildWasm({ sources: { 'qs8.ts': source }, entry: 'qs8.ts', memoryBase: 1024, segment: { offset: 1024, bytes: new Uint8Array(0) } });
    const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, { env: { abort() {} } });
    const ex = instance.exports as { memory: WebAssembly.Memory; wb(): number; src(): number; ar(): number; run(): void };
    const f32 = (at: number, n: number) => new Float32Array(ex.memory.buffer, at, n);
    f32(ex.wb(), cout).set(scale);
    f32(ex.wb() + 32, cout).set(bias);
    new Int8Array(ex.memory.buffer, ex.src(), packed.length).set(packed);
    f32(ex.ar() + X, x.length).set(x);
    f32(ex.ar() + R, res.length).set(res);
    ex.run();

    // The codes: pair row p holds channels 2p and 2p+1 interleaved, a missing 6th channel as 0.
    const inv = inverseScale(xScale);
    const codeOf = (c: number, i: number): number => (c < cin ? activationCode(x[c * rowStride + i], inv, xZero) : 0);
    const codes = new Int16Array(ex.memory.buffer, ex.ar() + CODES, Math.ceil(cin / 2) * rowStride * 2);
    let clamped = 0;
    for (let c = 0; c < 6; c++) {
      for (let i = 0; i < rowStride; i++) {
        expect(codes[((c >> 1) * rowStride + i) * 2 + (c & 1)], `code[${c}][${i}]`).toBe(codeOf(c, i));
        if (c < cin && Math.abs(x[c * rowStride + i]) > 2) clamped++;
      }
    }
    expect(clamped).toBeGreaterThan(0); // the clamp was exercised
    expect(activationCode(3.5 / 64, inv, xZero)).toBe(4); // a tie rounds to even
    expect(activationCode(-2.5 / 64, inv, xZero)).toBe(-2);

    const got = f32(ex.ar() + O, cout * cols);
    const f = Math.fround;
    for (let co = 0; co < cout; co++) {
      for (let col = 0; col < cols; col++) {
        let acc = 0;
        for (let ci = 0; ci < cin; ci++) for (let k = 0; k < K; k++) acc += q[(co * cin + ci) * K + k] * codeOf(ci, col + k * V);
        const want = Math.max(0, f(f(bias[co] + f(f(acc) * scale[co])) + res[co * cols + col]));
        expect(got[co * cols + col], `out[${co}][${col}]`).toBe(want);
      }
    }
  }, 120_000);
});
