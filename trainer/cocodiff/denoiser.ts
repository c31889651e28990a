/**
 * The denoiser: a residual MLP that predicts x0 from x_t.
 *
 *   h = in(x_t)
 *   each block b:  h ← h + out_b(SiLU(fc_b(LayerNorm(h)) + cond_b([time(t) ; fineText])))
 *   x̂0 = final(LayerNorm(h))            (÷ √width with unitNormOutput)
 *
 * cond_b projects the concatenation of the sinusoidal time embedding and the class's fine-text vector,
 * which is the sum of a time projection and a text projection: both are added inside every block, so
 * the fine text steers each denoising step, not only the first. out_b starts at zero, so a fresh
 * block is the identity and training starts from a plain linear map.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.ts';
import { Dense } from './dense.ts';

export const TIME_EMBEDDING_DIM = 128;

export interface DenoiserShape {
  featureDim: number;
  width: number;
  blocks: number;
  /** Dimension of the fine-text vector, or 0 for a denoiser without text. */
  textDim: number;
  /** Scale the output map's input rows to unit norm (an earlier patch, now a switch) instead of unit variance. */
  unitNormOutput?: boolean;
}

export class Denoiser {
  private readonly input: Dense;
  private readonly blocks: Array<{ fc: Dense; cond: Dense; out: Dense }>;
  private readonly final: Dense;

  constructor(readonly shape: DenoiserShape, rng: Rng) {
    const { featureDim: F, width: W, textDim } = shape;
    this.input = new Dense('denoiser.in', F, W, rng);
    this.blocks = Array.from({ length: shape.blocks }, (_, b) => ({
      fc: new Dense(`denoiser.blocks.${b}.fc`, W, W, rng),
      cond: new Dense(`denoiser.blocks.${b}.cond`, TIME_EMBEDDING_DIM + textDim, W, rng),
      out: new Dense(`denoiser.blocks.${b}.out`, W, W, rng, { zero: true }),
    }));
    this.final = new Dense('denoiser.final', W, F, rng);
  }

  /** x_t [N, F], timesteps [N] (as numbers), fine text [N, textDim] or null → x̂0 [N, F]. */
  predict(xt: tf.Tensor2D, timesteps: ArrayLike<number>, fineText: tf.Tensor2D | null): tf.Tensor2D {
    if ((fineText === null) !== (this.shape.textDim === 0)) throw new Error('denoiser: fine text given iff textDim > 0');
    const time = timeEmbedding(timesteps, TIME_EMBEDDING_DIM);
    const condInput = fineText ? tf.concat2d([time, fineText], 1) : time;
    let h = this.input.apply(xt);
    for (const b of this.blocks) {
      const pre = tf.add(b.fc.apply(layerNorm(h)), b.cond.apply(condInput)) as tf.Tensor2D;
      h = tf.add(h, b.out.apply(silu(pre)));
    }
    // Unit-norm rows were a patch for the backbone's SGD (lr 0.1, momentum 0.9), on which unit-variance
    // rows made the fine loss diverge; the branch's own Adam needs no such damping, so it is a switch.
    const normed = layerNorm(h);
    return this.final.apply(this.shape.unitNormOutput ? (tf.mul(normed, 1 / Math.sqrt(this.shape.width)) as tf.Tensor2D) : normed);
  }

  layers(): Dense[] {
    return [this.input, ...this.blocks.flatMap((b) => [b.fc, b.cond, b.out]), this.final];
  }
}

/** Transformer-style sinusoids: [sin(t·ω_i), cos(t·ω_i)], ω_i = 10000^(−i/half). */
export function timeEmbedding(timesteps: ArrayLike<number>, dim: number): tf.Tensor2D {
  const half = dim / 2;
  const out = new Float32Array(timesteps.length * dim);
  for (let n = 0; n < timesteps.length; n++) {
    for (let i = 0; i < half; i++) {
      const angle = timesteps[n] * Math.exp((-Math.log(10000) * i) / half);
      out[n * dim + i] = Math.sin(angle);
      out[n * dim + half + i] = Math.cos(angle);
    }
  }
  return tf.tensor2d(out, [timesteps.length, dim]);
}

/** Per-row normalisation without affine parameters: backbone features have no fixed scale. */
function layerNorm(x: tf.Tensor2D): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
}

function silu(x: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(x, tf.sigmoid(x));
}
