/**
 * `--weights f16`: the data segment holds IEEE half floats (half the .wasm), expanded once into the
 * f32 weight area when the module starts, so the kernels are the same as for f32 weights.
 */

/** Float32 → binary16, round to nearest even (overflow → ±inf, tiny → subnormal or ±0). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++;
  e = half >>> 10;
  return sign | half;
}

export function packF16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]);
  return new Uint8Array(out.buffer);
}

/** The AssemblyScript that expands `n` halves at `src` into floats at `dst` (run at instantiation). */
export function emitExpandHalves(src: number, dst: number, n: number): string {
  return [
    `// --weights f16: expand the half-float segment into the f32 weights once, at instantiation.`,
    `for (let i: usize = 0; i < ${n}; i++) {`,
    `  const h = <u32>load<u16>(${src} + (i << 1));`,
    `  const sign = (h & 0x8000) << 16;`,
    `  const e = (h >> 10) & 0x1f;`,
    `  const m = h & 0x3ff;`,
    `  let bits: u32 = sign | ((e + 112) << 23) | (m << 13);`,
    `  if (e == 0) bits = sign | reinterpret<u32>(<f32>m * 5.9604644775390625e-8);`,
    `  else if (e == 31) bits = sign | 0x7f800000 | (m << 13);`,
    `  store<u32>(${dst} + (i << 2), bits);`,
    `}`,
  ].join('\n');
}
