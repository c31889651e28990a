import { describe, expect, it } from 'vitest';
import { buildWasm } from '../../compiler/build.ts';
import { TANH4 } from '../../compiler/codegen/kernels/tanh.ts';

// The CTR-GC topology kernel's vector tanh against Math.tanh, over the whole f32 range that matters:
// tiny arguments (where tanh(x) ≈ x and a naive (e^2x − 1)/(e^2x + 1) loses every digit), the
// curved middle, and the saturated tails past the clamp.
describe('tanh4', () => {
  it('is within 2 ulp of Math.tanh (docs/compiler.md\'s bound)', async () => {
    const N = 4096;
    const source = `${TANH4}
const BUF: usize = memory.data(${N * 4}, 16);
export function buf(): usize { return BUF; }
export function run(): void {
  for (let i: usize = 0; i < ${N}; i += 4) v128.store(BUF + (i << 2), tanh4(v128.load(BUF + (i << 2))));
}`;
    const wasm = await buildWasm({ sources: { 'tanh.ts': source }, entry: 'tanh.ts', memoryBase: 1024, segments: [] });
    const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, { env: { abort() {} } });
    const ex = instance.exports as { memory: WebAssembly.Memory; buf(): number; run(): void };
    const xs = new Float32Array(N);
    for (let i = 0; i < 1024; i++) xs[i] = (i - 512) / 40; // −12.8 … 12.8
    for (let i = 0; i < 1024; i++) xs[1024 + i] = Math.sign(i - 512 || 1) * 10 ** (-9 + (8 * (i % 512)) / 512); // ±1e-9 … ±1e-1
    for (let i = 0; i < 2048; i++) xs[2048 + i] = (i - 1024) / 256; // −4 … 4, finely
    new Float32Array(ex.memory.buffer, ex.buf(), N).set(xs);
    ex.run();
    const ys = new Float32Array(ex.memory.buffer, ex.buf(), N);
    let worstUlp = 0;
    for (let i = 0; i < N; i++) {
      const want = Math.fround(Math.tanh(xs[i]));
      const ulp = Math.max(Math.abs(want) * 2 ** -23, 2 ** -149);
      worstUlp = Math.max(worstUlp, Math.abs(ys[i] - want) / ulp);
    }
    expect(worstUlp).toBeLessThanOrEqual(2);
    expect(ys[0]).toBe(-1); // tanh(−12.8) saturates exactly
    expect(ys[1023]).toBe(1);
  }, 120_000);
});
