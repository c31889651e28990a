/**
 * Adam and AdamW (Kingma & Ba; Loshchilov & Hutter), step for step as PyTorch's `torch.optim.Adam` /
 * `AdamW` compute them (β 0.9/0.999, ε 1e-8), for the CoCoDiff branch: its denoiser and contrastive
 * head want per-parameter step sizes, not the backbone's SGD at lr 0.1.
 *
 *   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  m̂ = m/(1−β1^t);  v̂ = v/(1−β2^t)
 *   AdamW first decays p ← p·(1 − lr·wd) (decoupled, skipped for `noDecay` names); then
 *   p ← p − lr·m̂/(√v̂ + ε)
 *
 * Variables that got no gradient this step are left alone (their moments too), as PyTorch does.
 */
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '../../common/artifact.ts';

export interface AdamOptions {
  lr: number;
  /** Decoupled weight decay (AdamW); 0 makes it plain Adam. */
  weightDecay: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  /** Updates taken per variable (variables skipped on a step keep their own count, as in PyTorch). */
  private readonly steps: number[];

  constructor(
    readonly named: Array<[string, tf.Variable]>,
    readonly options: AdamOptions,
    readonly noDecay: ReadonlySet<string> = new Set(),
  ) {
    if (new Set(named.map(([n]) => n)).size !== named.length) throw new Error('Adam: one distinct name per variable');
    // In a tidy: the zeros would otherwise outlive the moments' first update (tidy leaves variables alone).
    this.m = tf.tidy(() => named.map(([, p]) => tf.variable(tf.zerosLike(p), false)));
    this.v = tf.tidy(() => named.map(([, p]) => tf.variable(tf.zerosLike(p), false)));
    this.steps = named.map(() => 0);
  }

  get variables(): tf.Variable[] {
    return this.named.map(([, p]) => p);
  }

  /** One update. `grads` maps tfjs variable names to gradients, as `tf.variableGrads` returns them. */
  step(grads: Record<string, tf.Tensor>): void {
    const { lr, weightDecay } = this.options;
    const b1 = this.options.beta1 ?? 0.9;
    const b2 = this.options.beta2 ?? 0.999;
    const eps = this.options.epsilon ?? 1e-8;
    tf.tidy(() => {
      this.named.forEach(([name, p], i) => {
        const g = grads[p.name];
        if (!g) return;
        const t = ++this.steps[i];
        if (weightDecay !== 0 && !this.noDecay.has(name)) p.assign(tf.mul(p, 1 - lr * weightDecay));
        this.m[i].assign(tf.add(tf.mul(this.m[i], b1), tf.mul(g, 1 - b1)));
        this.v[i].assign(tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), 1 - b2)));
        const mHat = tf.div(this.m[i], 1 - b1 ** t);
        const denom = tf.add(tf.sqrt(tf.div(this.v[i], 1 - b2 ** t)), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(mHat, denom), lr)));
      });
    });
  }

  /** Moments and step counts by variable name, for checkpoints. */
  async state(): Promise<Map<string, Tensor>> {
    const out = new Map<string, Tensor>();
    for (const [i, [name, p]] of this.named.entries()) {
      out.set(`${name}.m`, { shape: [...p.shape], data: (await this.m[i].data()) as Float32Array });
      out.set(`${name}.v`, { shape: [...p.shape], data: (await this.v[i].data()) as Float32Array });
      out.set(`${name}.step`, { shape: [], data: Float32Array.of(this.steps[i]) });
    }
    return out;
  }

  restore(state: Map<string, Tensor>): void {
    this.named.forEach(([name, p], i) => {
      for (const [key, buf] of [['m', this.m[i]], ['v', this.v[i]]] as const) {
        const t = state.get(`${name}.${key}`);
        if (!t) throw new Error(`branch optimizer state has no "${name}.${key}"`);
        if (t.shape.join() !== p.shape.join()) throw new Error(`branch optimizer "${name}.${key}": shape [${t.shape}], variable has [${p.shape}]`);
        tf.tidy(() => buf.assign(tf.tensor(t.data, p.shape)));
      }
      this.steps[i] = state.get(`${name}.step`)?.data[0] ?? 0;
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
