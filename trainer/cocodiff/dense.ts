/**
 * A fully connected layer whose forward and backward passes are plain 2-D matMuls.
 *
 * tfjs's own matMul gradient uses the transposeA/transposeB flags, which the wasm backend runs as a
 * scalar loop (about 3 GFLOP/s instead of 40). Transposing explicitly and multiplying without flags
 * keeps the CoCoDiff branch on the fast path, so it costs little next to the backbone.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.ts';

/** x [N, I] · w [I, O], gradients dx = dy · wᵀ and dw = xᵀ · dy. */
const matMul2dOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
    },
  };
});

/** x [N, I] · w [I, O], gradients dx = dy · wᵀ and dw = xᵀ · dy. */
export function matMul2d(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return matMul2dOp(x, w) as tf.Tensor2D;
}

export class Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable | null;

  /**
   * Glorot-uniform weights from the seeded generator (so a run is reproducible on every backend);
   * `zero` starts the layer at 0, used for the last layer of each residual block so a fresh block is
   * the identity.
   */
  constructor(readonly name: string, inputs: number, outputs: number, rng: Rng, opts: { bias?: boolean; zero?: boolean } = {}) {
    const limit = Math.sqrt(6 / (inputs + outputs));
    const values = new Float32Array(inputs * outputs);
    if (!opts.zero) for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-limit, limit);
    // tfjs variable names are global to the engine, so ours live in `named()` instead.
    this.w = tf.variable(tf.tensor2d(values, [inputs, outputs]));
    this.b = opts.bias === false ? null : tf.variable(tf.zeros([outputs]));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    const y = matMul2d(x, this.w as tf.Tensor2D);
    return this.b ? tf.add(y, this.b) : y;
  }

  variables(): tf.Variable[] {
    return this.b ? [this.w, this.b] : [this.w];
  }

  /** name.weight [in, out] and name.bias [out], for checkpoints. */
  named(): Array<[string, tf.Variable]> {
    return this.b ? [[`${this.name}.weight`, this.w], [`${this.name}.bias`, this.b]] : [[`${this.name}.weight`, this.w]];
  }
}
