/**
 * The diffusion's two equations as plain functions of the schedule's ᾱ and of the noise they are
 * handed, so that each can be checked against values computed by hand for a known random stream:
 * the forward (noising) process and one DDIM step of the reverse process.
 */
import * as tf from '@tensorflow/tfjs';

/** A [rows, 1] column of f(ᾱ_t), row i at timestep t[i], for broadcasting over the feature. */
export function alphaColumn(alphaBar: Float64Array, t: number[], f: (alphaBar: number) => number): tf.Tensor2D {
  return tf.tensor2d(t.map((ti) => f(alphaBar[ti])), [t.length, 1]);
}

/** q(x_t | x0): √ᾱ_t·x0 + √(1−ᾱ_t)·ε, row i at timestep t[i]. */
export function noise(x0: tf.Tensor2D, t: number[], alphaBar: Float64Array, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.mul(x0, alphaColumn(alphaBar, t, Math.sqrt)), tf.mul(eps, alphaColumn(alphaBar, t, (ab) => Math.sqrt(1 - ab)))) as tf.Tensor2D;
}

/**
 * One DDIM step, row i from τ_i to τ'_i: with ε̂ = (x − √ᾱ·x̂0)/√(1−ᾱ), the noise the prediction
 * implies, and σ = η·√((1−ᾱ')/(1−ᾱ)·(1−ᾱ/ᾱ')),
 *
 *   x' = √ᾱ'·x̂0 + √(1−ᾱ'−σ²)·ε̂ + σ·z
 *
 * where z, fresh standard normal noise, is drawn (by `fresh`) only when η > 0.
 */
export function ddimStep(
  x: tf.Tensor2D, x0Hat: tf.Tensor2D, tau: number[], next: number[], alphaBar: Float64Array, eta: number,
  fresh: (rows: number, dim: number) => tf.Tensor2D,
): tf.Tensor2D {
  const ab = (s: number) => alphaBar[s];
  const sigma = tau.map((s, i) => eta * Math.sqrt(((1 - ab(next[i])) / (1 - ab(s))) * (1 - ab(s) / ab(next[i]))));
  const eps = tf.div(tf.sub(x, tf.mul(x0Hat, alphaColumn(alphaBar, tau, Math.sqrt))), alphaColumn(alphaBar, tau, (a) => Math.sqrt(1 - a)));
  const direction = tf.tensor2d(next.map((s, i) => Math.sqrt(Math.max(0, 1 - ab(s) - sigma[i] ** 2))), [next.length, 1]);
  let out = tf.add(tf.mul(x0Hat, alphaColumn(alphaBar, next, Math.sqrt)), tf.mul(eps, direction)) as tf.Tensor2D;
  if (eta > 0) out = tf.add(out, tf.mul(fresh(out.shape[0], out.shape[1]), tf.tensor2d(sigma, [sigma.length, 1]))) as tf.Tensor2D;
  return out;
}
