/**
 * tanh on four lanes: expm1(2x) / (expm1(2x) + 2), with 2x = k·ln2 + r, |r| ≤ ln2/2, and
 * expm1(2x) = 2^k·(e^r − 1) + (2^k − 1). Writing e^r − 1 as a polynomial without its constant term
 * keeps the relative error small near 0, where tanh(x) ≈ x; |x| is clamped at 9, where tanh is ±1
 * in f32 and 2^k stays a normal float. Max error against Math.tanh: about 2 ulp (tested).
 */
export const TANH4 = `
function tanh4(x: v128): v128 {
  const y = f32x4.mul(f32x4.min(f32x4.max(x, f32x4.splat(-9)), f32x4.splat(9)), f32x4.splat(2));
  const k = f32x4.nearest(f32x4.mul(y, f32x4.splat(1.44269504)));
  const r = f32x4.sub(f32x4.sub(y, f32x4.mul(k, f32x4.splat(0.693145752))), f32x4.mul(k, f32x4.splat(1.42860677e-6)));
  let p = f32x4.splat(1.98412698e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.38888889e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.33333333e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.16666667e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.66666667e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r);
  const two_k = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  const em1 = f32x4.add(f32x4.mul(two_k, p), f32x4.sub(two_k, f32x4.splat(1)));
  return f32x4.div(em1, f32x4.add(em1, f32x4.splat(2)));
}`;
