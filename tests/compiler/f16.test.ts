/**
 * `--weights f16`, checked against arithmetic rather than against itself: every one of the 65,536
 * half-float bit patterns has an exact value, 2^(e−15)·(1 + m/1024) (or 2^−14·m/1024 when e = 0),
 * so the packer must map each exact value, and each midpoint between neighbours, to the one right
 * pattern, and the module's start-up decoder must turn each pattern back into that exact value.
 */
import { describe, expect, it } from 'vitest';
import { buildWasm } from '../../compiler/build.ts';
import { emitExpandHalves, packF16, toHalf } from '../../compiler/f16.ts';
import { halfValue } from '../helpers/half.ts';

/** The float32 next to `x` towards +∞ (`up`) or −∞. */
function nextF32(x: number, up: boolean): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  if (x === 0) u[0] = up ? 1 : 0x80000001;
  else u[0] += (x > 0) === up ? 1 : -1;
  return f[0];
}

describe('toHalf (float32 → binary16, round to nearest even)', () => {
  it('maps the exact value of every finite half to its own bit pattern', () => {
    const wrong: string[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if (((h >> 10) & 0x1f) !== 31 && toHalf(halfValue(h)) !== h) wrong.push(`0x${h.toString(16)} → 0x${toHalf(halfValue(h)).toString(16)}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('rounds a value between two neighbours to the nearer, and an exact midpoint to the even one', () => {
    // Every pair of adjacent positive finite halves, normal and subnormal (their midpoints are floats).
    const wrong: string[] = [];
    const check = (x: number, want: number, what: string) => void (toHalf(x) !== want && wrong.push(`${what}: 0x${toHalf(x).toString(16)}, expected 0x${want.toString(16)}`));
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (halfValue(h) + halfValue(h + 1)) / 2;
      const even = h % 2 === 0 ? h : h + 1;
      check(mid, even, `midpoint above 0x${h.toString(16)}`);
      check(-mid, 0x8000 | even, `midpoint below −0x${h.toString(16)}`);
      check(nextF32(mid, false), h, `just below the midpoint above 0x${h.toString(16)}`);
      check(nextF32(mid, true), h + 1, `just above the midpoint above 0x${h.toString(16)}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('overflows to ±∞ from the midpoint past 65504, flushes below half the smallest subnormal to ±0, keeps NaN a NaN', () => {
    const maxMid = (65504 + 65536) / 2; // 65520: a tie between 0x7bff (odd) and the next, ∞
    expect(toHalf(nextF32(maxMid, false))).toBe(0x7bff);
    expect(toHalf(maxMid)).toBe(0x7c00);
    expect(toHalf(-maxMid)).toBe(0xfc00);
    expect(toHalf(65536)).toBe(0x7c00); // half exponent 31 with any mantissa is ∞ here, never a NaN
    expect(toHalf(100_000)).toBe(0x7c00);
    expect(toHalf(-131_000)).toBe(0xfc00);
    expect(toHalf(1e30)).toBe(0x7c00);
    expect(toHalf(Infinity)).toBe(0x7c00);
    expect(toHalf(-Infinity)).toBe(0xfc00);
    expect(toHalf(2 ** -25)).toBe(0); // the tie between 0 and the smallest subnormal goes to 0 (even)
    expect(toHalf(nextF32(2 ** -25, true))).toBe(1);
    expect(toHalf(-(2 ** -26))).toBe(0x8000);
    expect(toHalf(1e-30)).toBe(0);
    const nan = toHalf(NaN);
    expect((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0).toBe(true);
  });

  it('packF16 writes one little-endian half per value, in order', () => {
    const values = Float32Array.of(1, -2, 65504, 2 ** -24, 0.1);
    const bytes = packF16(values);
    expect(bytes.length).toBe(10);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect([0, 1, 2, 3, 4].map((i) => view.getUint16(2 * i, true))).toEqual(Array.from(values, toHalf));
  });
});

describe('the module\'s half decoder (emitExpandHalves, run in wasm)', () => {
  it('expands every one of the 65,536 bit patterns to its exact value', async () => {
    const N = 0x10000;
    const SRC = 1024;
    const DST = SRC + 2 * N;
    const source = `export function expand(): void {\n${emitExpandHalves(SRC, DST, N)}\n}`;
    const wasm = await buildWasm({ sources: { 'halves.ts': source }, entry: 'halves.ts', memoryBase: DST + 4 * N + 64, segments: [] });
    const { instance } = await WebAssembly.instantiate(wasm as Uint8Array<ArrayBuffer>, { env: { abort() {} } });
    const ex = instance.exports as { memory: WebAssembly.Memory; expand(): void };
    const halves = new Uint16Array(ex.memory.buffer, SRC, N);
    for (let h = 0; h < N; h++) halves[h] = h;
    // Every float slot, and the one after the last, starts as a sentinel: each must be written, that one not.
    const slots = new Uint32Array(ex.memory.buffer, DST, N + 1);
    slots.fill(0xdeadbeef);
    ex.expand();
    expect(slots[N].toString(16)).toBe('deadbeef');
    const floats = new Float32Array(ex.memory.buffer, DST, N);
    let wrong = 0;
    let first = '';
    for (let h = 0; h < N; h++) {
      const want = halfValue(h);
      const ok = Number.isNaN(want) ? Number.isNaN(floats[h]) : Object.is(floats[h], want);
      if (!ok && wrong++ === 0) first = `0x${h.toString(16)}: got ${floats[h]}, expected ${want}`;
    }
    expect(first).toBe('');
    expect(wrong).toBe(0);
  }, 120_000);
});
