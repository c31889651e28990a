/**
 * The int8 arithmetic of `compile --int8`, in one place: how a weight and an activation become 8-bit
 * codes, and what value a code stands for. The quantise pass, the interpreter (which simulates the
 * int8 network) and the generated kernels all follow these rules, so the .wasm can be checked
 * against the interpreter as closely as the f32 one.
 *
 *   weights      per output channel, symmetric: q = round(w / wScale) in −127..127, wScale = max|w| / 127
 *   activations  per tensor, asymmetric: code = clamp(round(x / xScale) + xZero, 0, activationMax),
 *                activationMax by the module's int8 format (INT8_FORMATS): 255 (8 bits), or 127 (7 bits)
 *                where the kernels use relaxed SIMD's i8 × i7 dot product
 */

/** The largest weight code: symmetric, so −128 is never used and q · q' never overflows a pairwise i16 dot. */
export const WEIGHT_MAX = 127;
/**
 * How an int8 module's kernels multiply, which decides the activation codes' range and how many input
 * channels one step of the reduction takes (qs8-conv.ts):
 *   c2  `i32x4.dot_i16x8_s` on codes − xZero as i16, channels in pairs; 8-bit codes (SIMD)
 *   c4  `i32x4.relaxed_dot_i8x16_i7x16_add_s` on the codes as bytes, channels in fours; the i7 operand
 *       must lie in 0..127 (else the result is the engine's choice), so codes have 7 bits (relaxed SIMD)
 */
export const INT8_FORMATS = {
  c2: { activationMax: 255, channelsPerStep: 2 },
  c4: { activationMax: 127, channelsPerStep: 4 },
} as const;
export type Int8Format = keyof typeof INT8_FORMATS;

/** Round half to even, as wasm's f32x4.nearest does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-output-channel symmetric int8 weights of a [cout][rest] f32 array. */
export function quantiseWeights(weight: Float32Array, cout: number): { q: Int8Array; wScale: Float32Array } {
  const per = weight.length / cout;
  const q = new Int8Array(weight.length);
  const wScale = new Float32Array(cout);
  for (let co = 0; co < cout; co++) {
    let max = 0;
    for (let i = 0; i < per; i++) max = Math.max(max, Math.abs(weight[co * per + i]));
    // An all-zero channel gets scale 1 (its codes are 0 whatever the scale).
    const scale = Math.fround(max > 0 ? max / WEIGHT_MAX : 1);
    wScale[co] = scale;
    for (let i = 0; i < per; i++) q[co * per + i] = Math.max(-WEIGHT_MAX, Math.min(WEIGHT_MAX, roundHalfEven(weight[co * per + i] / scale)));
  }
  return { q, wScale };
}

/** Scale and zero point of a per-tensor activation range [lo, hi] in codes 0..activationMax; the range is widened to hold 0 exactly. */
export function activationParams(lo: number, hi: number, activationMax: number): { xScale: number; xZero: number } {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const xScale = Math.fround(max > min ? (max - min) / activationMax : 1);
  const xZero = Math.max(0, Math.min(activationMax, roundHalfEven(-min / xScale)));
  return { xScale, xZero };
}

/** What the kernels multiply by: the f32 reciprocal of the activation scale. */
export const inverseScale = (xScale: number): number => Math.fround(1 / xScale);

/** code − xZero of one value, exactly as the quantise kernels compute it (f32 multiply, round half even, clamp). */
export function activationCode(x: number, inv: number, xZero: number, activationMax: number): number {
  const r = roundHalfEven(Math.fround(x * inv));
  return Math.max(-xZero, Math.min(activationMax - xZero, Number.isNaN(r) ? 0 : r));
}

/** The activations the int8 network computes with: every value replaced by xScale · (code − xZero). */
export function fakeQuantise(x: Float32Array, p: { xScale: number; xZero: number; format: Int8Format }): Float32Array {
  const inv = inverseScale(p.xScale);
  const max = INT8_FORMATS[p.format].activationMax;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = p.xScale * activationCode(x[i], inv, p.xZero, max);
  return out;
}

/** The weights the int8 network computes with: q · wScale[co]. */
export function dequantiseWeights(p: { q: Int8Array; wScale: Float32Array }): Float64Array {
  const per = p.q.length / p.wScale.length;
  const w = new Float64Array(p.q.length);
  for (let i = 0; i < w.length; i++) w[i] = p.q[i] * p.wScale[Math.floor(i / per)];
  return w;
}
