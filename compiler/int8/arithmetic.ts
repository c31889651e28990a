/**
 * The int8 arithmetic of `compile --int8`, in one place: how a weight and an activation become 8-bit
 * codes, and what value a code stands for. The quantise pass, the interpreter (which simulates the
 * int8 network) and the generated kernels all follow these rules, so the .wasm can be checked
 * against the interpreter as closely as the f32 one.
 *
 *   weights      per output channel, symmetric: q = round(w / wScale) in −127..127, wScale = max|w| / 127
 *   activations  per tensor, asymmetric 8-bit: code = clamp(round(x / xScale) + xZero, 0, 255);
 *                the kernels hold code − xZero (in −255..255, as i16), so zero padding stays 0
 */

/** The largest weight code: symmetric, so −128 is never used and q · q' never overflows a pairwise i16 dot. */
export const WEIGHT_MAX = 127;
/** Activation codes are 0..ACTIVATION_MAX. */
export const ACTIVATION_MAX = 255;

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

/** Scale and zero point of a per-tensor activation range [lo, hi]; the range is widened to hold 0 exactly. */
export function activationParams(lo: number, hi: number): { xScale: number; xZero: number } {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const xScale = Math.fround(max > min ? (max - min) / ACTIVATION_MAX : 1);
  const xZero = Math.max(0, Math.min(ACTIVATION_MAX, roundHalfEven(-min / xScale)));
  return { xScale, xZero };
}

/** What the kernels multiply by: the f32 reciprocal of the activation scale. */
export const inverseScale = (xScale: number): number => Math.fround(1 / xScale);

/** code − xZero of one value, exactly as the quantise kernel computes it (f32 multiply, round half even, clamp). */
export function activationCode(x: number, inv: number, xZero: number): number {
  const r = roundHalfEven(Math.fround(x * inv));
  return Math.max(-xZero, Math.min(ACTIVATION_MAX - xZero, Number.isNaN(r) ? 0 : r));
}

/** The activations the int8 network computes with: every value replaced by xScale · (code − xZero). */
export function fakeQuantise(x: Float32Array, p: { xScale: number; xZero: number }): Float32Array {
  const inv = inverseScale(p.xScale);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = p.xScale * activationCode(x[i], inv, p.xZero);
  return out;
}

/** The weights the int8 network computes with: q · wScale[co]. */
export function dequantiseWeights(p: { q: Int8Array; wScale: Float32Array }): Float64Array {
  const per = p.q.length / p.wScale.length;
  const w = new Float64Array(p.q.length);
  for (let i = 0; i < w.length; i++) w[i] = p.q[i] * p.wScale[Math.floor(i / per)];
  return w;
}
