/**
 * Initial values as the official CTR-GCN code draws them (PyTorch's init functions), from the
 * project's seeded Rng so that a seed fixes the whole model.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.ts';
import type { ParamStore } from './params.ts';

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

export function constant(shape: number[], value: number): Float32Array {
  return new Float32Array(size(shape)).fill(value);
}

export function normal(rng: Rng, shape: number[], mean: number, std: number): Float32Array {
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = mean + std * rng.normal();
  return out;
}

export function uniform(rng: Rng, shape: number[], lo: number, hi: number): Float32Array {
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

/**
 * kaiming_normal_(w, mode='fan_out') for a conv weight [out, in, kh, kw]: std = sqrt(2 / fan_out),
 * fan_out = out · kh · kw (ReLU gain), what CTR-GCN's conv_init and weights_init use.
 */
export function kaimingNormalFanOut(rng: Rng, shape: number[]): Float32Array {
  const fanOut = shape[0] * size(shape.slice(2));
  return normal(rng, shape, 0, Math.sqrt(2 / fanOut));
}

export interface Conv {
  weight: tf.Variable;
  bias: tf.Variable;
}

/** Declares `name.weight` [out, in, k, 1] (kaiming fan-out) and `name.bias` (zeros), the official conv init. */
export function declareConv(store: ParamStore, rng: Rng, name: string, out: number, inC: number, k = 1): Conv {
  return {
    weight: store.param(`${name}.weight`, [out, inC, k, 1], kaimingNormalFanOut(rng, [out, inC, k, 1])),
    bias: store.param(`${name}.bias`, [out], constant([out], 0)),
  };
}
