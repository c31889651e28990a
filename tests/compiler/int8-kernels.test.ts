import { describe, expect, it } from 'vitest';
import { buildWasm } from '../../compiler/build.ts';
import { emitExpandInt8 } from '../../compiler/codegen/kernels/qs8-conv.ts';
import { EmitContext } from '../../compiler/codegen/ops/context.ts';
import { qs8ConvCalls, quantiseCalls } from '../../compiler/codegen/ops/conv.ts';
import type { NetworkPlan } from '../../compiler/codegen/plan.ts';
import { relaxedSimdAvailable } from '../../compiler/bench.ts';
import { activationCode, INT8_FORMATS, inverseScale, quantiseWeights, type Int8Format } from '../../compiler/int8/arithmetic.ts';
import { packQs8Conv, zeroPointCorrection } from '../../compiler/pack.ts';
import { Rng } from '../../common/rng.ts';

const relaxed = await relaxedSimdAvailable();

// The int8 kernels against a scalar reference written from their definition (int8/arithmetic.ts):
// the quantiser's codes (rounding ties to even, clamping past the range, zero padding, a channel count
// that fills no whole group), the start-up expansion of int8 weights to i16 (c2), and the qs8 conv's
// integer sums, scale, bias, residual and ReLU, for a temporal conv whose output channels need the
// 4-row and a 2-row kernel. c2 (SIMD) is bit for bit; c4 (relaxed SIMD) lets the engine fuse the
// epilogue's multiply-add (f32x4.relaxed_madd), so its outputs are held within 1e-5, far below what one
// unit of an integer sum moves them (scale ≈ 4e-4).
describe('qs8 kernels', () => {
  it('c2: quantise, expand and convolve exactly as the scalar definition', () => check('c2'), 120_000);
  it.skipIf(!relaxed)('c4: quantise to 7-bit quads and convolve with relaxed_dot_i8x16_i7x16_s as the scalar definition', () => check('c4'), 120_000);
});

async function check(format: Int8Format): Promise<void> {
    const c4 = format === 'c4';
    const { activationMax, channelsPerStep: g } = INT8_FORMATS[format];
    const [cin, cout, K, T, V, pad] = [5, 6, 3, 7, 3, 1];
    const cols = Math.ceil((T * V) / 4) * 4;
    const rowStride = Math.ceil(((T + 2 * pad) * V) / 4) * 4 + 4;
    const xScale = 1 / 64; // inv exactly 64, so ties are exact
    const xZero = c4 ? 64 : 128; // codes −128..127 stand for −2 … 1.98 (c4: −64..63, −1 … 0.98)
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
    const packed = packQs8Conv(q, cout, cin, K, format);
    // c4: the correction's i32s follow the codes in QW, which the kernels read in place.
    const correctionAt = Math.ceil(packed.length / 16) * 16;
    const qw = c4 ? new Int8Array(correctionAt + 32) : packed;
    if (c4) {
      qw.set(packed);
      qw.set(new Int8Array(zeroPointCorrection(q, cout, xZero).buffer), correctionAt);
    }

    // Arena: x, its codes, residual, output. WB: scales, bias. SRC: the int8 codes, expanded to QW (c2), or QW itself (c4).
    const X = 0;
    const CODES = cin * rowStride * 4;
    const R = CODES + Math.ceil(cin / g) * rowStride * 4;
    const O = R + cout * cols * 4;
    const plan = { tensors: { x: { C: cin, T, V, padT: pad, rowStride, cols, bytes: cin * rowStride * 4, offset: X } } } as unknown as NetworkPlan;
    const ctx = new EmitContext(plan, c4 ? 'wasmrelaxedsimd' : 'wasmsimd');
    const int8 = { format, xScale, xZero, codes: CODES, quantise: true, weights: { qweight: 0, scale: 0, bias: 32, ...(c4 ? { correction: correctionAt } : {}) } } as const;
    const code = [...quantiseCalls(ctx, 'x', int8), ...qs8ConvCalls(ctx, 'x', {
      K, relu: true, x: X, xRow: rowStride * 4, tap: V * 4, o: O, oRow: cols * 4,
      residual: { r: { base: 'AR', offset: R }, rRow: cols * 4 }, cin, cout, cols,
    }, int8)];
    expect(code).toHaveLength(3); // quantise, the 4-row kernel, the 2-row one
    const source = [
      `const ZERO = f32x4.splat(0);`,
      `const WB: usize = memory.data(64, 64);`,
      `const SRC: usize = memory.data(${qw.length}, 64);`,
      c4 ? `const QW = SRC;` : `const QW: usize = memory.data(${packed.length * 2}, 64);`,
      `const AR: usize = memory.data(${O + cout * cols * 4}, 64);`,
      ...ctx.kernelSources(),
      `export function wb(): usize { return WB; }`,
      `export function src(): usize { return SRC; }`,
      `export function ar(): usize { return AR; }`,
      `export function run(): void {`,
      c4 ? '' : emitExpandInt8('SRC', 'QW', packed.length),
      `  ${code.join('\n  ')}`,
      `}`,
    ].join('\n');
    const wasm = await buildWasm({ sources: { 'qs8.ts': source }, entry: 'qs8.ts', memoryBase: 1024, segments: [], relaxedSimd: c4 });
    const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, { env: { abort() {} } });
    const ex = instance.exports as { memory: WebAssembly.Memory; wb(): number; src(): number; ar(): number; run(): void };
    const f32 = (at: number, n: number) => new Float32Array(ex.memory.buffer, at, n);
    f32(ex.wb(), cout).set(scale);
    f32(ex.wb() + 32, cout).set(bias);
    new Int8Array(ex.memory.buffer, ex.src(), qw.length).set(qw);
    f32(ex.ar() + X, x.length).set(x);
    f32(ex.ar() + R, res.length).set(res);
    ex.run();

    // The codes: row p holds channels g·p … g·p + g − 1 interleaved, missing channels as the code of 0;
    // c2 holds code − xZero as i16, c4 the code itself as a byte.
    const inv = inverseScale(xScale);
    const codeOf = (c: number, i: number): number => (c < cin ? activationCode(x[c * rowStride + i], inv, xZero, activationMax) : 0);
    const codes = c4 ? new Uint8Array(ex.memory.buffer, ex.ar() + CODES, 2 * rowStride * 4) : new Int16Array(ex.memory.buffer, ex.ar() + CODES, Math.ceil(cin / 2) * rowStride * 2);
    let clamped = 0;
    for (let c = 0; c < Math.ceil(cin / g) * g; c++) {
      for (let i = 0; i < rowStride; i++) {
        expect(codes[(Math.floor(c / g) * rowStride + i) * g + (c % g)], `code[${c}][${i}]`).toBe(codeOf(c, i) + (c4 ? xZero : 0));
        if (c < cin && Math.abs(x[c * rowStride + i]) > (c4 ? 1 : 2)) clamped++;
      }
    }
    expect(clamped).toBeGreaterThan(0); // the clamp was exercised
    expect(activationCode(3.5 / 64, inv, xZero, activationMax)).toBe(4); // a tie rounds to even
    expect(activationCode(-2.5 / 64, inv, xZero, activationMax)).toBe(-2);

    const got = f32(ex.ar() + O, cout * cols);
    const f = Math.fround;
    for (let co = 0; co < cout; co++) {
      for (let col = 0; col < cols; col++) {
        let acc = 0;
        for (let ci = 0; ci < cin; ci++) for (let k = 0; k < K; k++) acc += q[(co * cin + ci) * K + k] * codeOf(ci, col + k * V);
        const want = Math.max(0, f(f(bias[co] + f(f(acc) * scale[co])) + res[co * cols + col]));
        if (c4) expect(Math.abs(got[co * cols + col] - want), `out[${co}][${col}]`).toBeLessThan(1e-5);
        else expect(got[co * cols + col], `out[${co}][${col}]`).toBe(want);
      }
    }
}
