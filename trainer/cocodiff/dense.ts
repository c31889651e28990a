/** A fully connected layer on the backend's 2-D matMul kernel (trainer/model/ops.ts). */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.ts';
import { matMul2d } from '../model/ops.ts';

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
