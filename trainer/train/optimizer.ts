/**
 * SGD with (Nesterov) momentum and L2 weight decay, step for step as PyTorch's `torch.optim.SGD`
 * computes it, so the CTR-GCN recipe means the same thing here as in the authors' code:
 *
 *   g   = grad + weightDecay · p          (decay joins the gradient, it is not decoupled)
 *   buf = momentum · buf + g              (buf starts at 0, which equals PyTorch's buf = g on step 1)
 *   d   = nesterov ? g + momentum · buf : buf
 *   p   = p − lr · d
 *
 * Variables that got no gradient this step are skipped entirely (decay and momentum included),
 * again as PyTorch skips parameters whose `.grad` is None.
 */
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '../../common/artifact.ts';

export interface SgdOptions {
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}

export const CTRGCN_SGD: SgdOptions = { momentum: 0.9, weightDecay: 4e-4, nesterov: true };

export class Sgd {
  private readonly buffers: tf.Variable[];

  /**
   * `names` key the momentum buffers in `state()`; they must be distinct and stable across
   * processes (tfjs's own variable names carry a global counter, so they are the fallback only).
   */
  constructor(
    readonly variables: tf.Variable[],
    readonly options: SgdOptions,
    readonly names: string[] = variables.map((v) => v.name),
  ) {
    if (names.length !== variables.length || new Set(names).size !== names.length) throw new Error('Sgd: one distinct name per variable');
    // In a tidy: the zeros would otherwise outlive the buffers' first update (tidy leaves variables alone).
    this.buffers = tf.tidy(() => variables.map((v) => tf.variable(tf.zerosLike(v), false)));
  }

  /** One update. `grads` maps variable names to gradients, as `tf.variableGrads` returns them. */
  step(grads: Record<string, tf.Tensor>, lr: number): void {
    const { momentum, weightDecay, nesterov } = this.options;
    tf.tidy(() => {
      const m = tf.scalar(momentum);
      const wd = tf.scalar(weightDecay);
      const rate = tf.scalar(lr);
      this.variables.forEach((p, i) => {
        const grad = grads[p.name];
        if (!grad) return;
        const g = weightDecay !== 0 ? tf.add(grad, tf.mul(p, wd)) : grad;
        const buf = this.buffers[i];
        buf.assign(tf.add(tf.mul(buf, m), g));
        const d = nesterov ? tf.add(g, tf.mul(buf, m)) : buf;
        p.assign(tf.sub(p, tf.mul(d, rate)));
      });
    });
  }

  /** Momentum buffers by variable name, for checkpoints. */
  async state(): Promise<Map<string, Tensor>> {
    const out = new Map<string, Tensor>();
    for (const [i, v] of this.variables.entries()) out.set(this.names[i], { shape: [...v.shape], data: (await this.buffers[i].data()) as Float32Array });
    return out;
  }

  /** Restores `state()`; every variable must be present with its shape. */
  restore(state: Map<string, Tensor>): void {
    this.variables.forEach((v, i) => {
      const t = state.get(this.names[i]);
      if (!t) throw new Error(`optimizer state has no momentum buffer for "${this.names[i]}"`);
      if (t.shape.join() !== v.shape.join()) throw new Error(`momentum buffer "${this.names[i]}": shape [${t.shape}], variable has [${v.shape}]`);
      tf.tidy(() => this.buffers[i].assign(tf.tensor(t.data, v.shape)));
    });
  }

  dispose(): void {
    for (const b of this.buffers) b.dispose();
  }
}
