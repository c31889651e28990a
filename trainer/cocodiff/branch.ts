/**
 * The CoCoDiff branch: per batch, noise the backbone's features, denoise them back under fine-text
 * guidance into new features x̂0 of the same classes, and return the loss terms that train the
 * denoiser (fine), keep x̂0 on its class's coarse text (coarse) and feed x̂0 to the classifier as extra
 * samples (ceGen). It never touches the backbone's or the classifier's weights itself.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../common/rng.ts';
import type { ClassEmbeddings } from '../text/embeddings-file.ts';
import { Dense } from './dense.ts';
import { Denoiser } from './denoiser.ts';
import { coarseContrastiveLoss, crossEntropy, fineLoss, l2Normalise } from './losses.ts';
import { ddimTimesteps, noiseSchedule, type NoiseSchedule } from './schedule.ts';
import type { CoCoDiffBranch, CoCoDiffLosses, CoCoDiffOptions } from './types.ts';

/** CLIP's initial temperature; the logit scale 1/τ is learned in log space and capped at 100. */
const INITIAL_TEMPERATURE = 0.07;

/** Rescales each row of `x` to the L2 norm of the same row of `like`. */
function matchNorm(x: tf.Tensor2D, like: tf.Tensor2D): tf.Tensor2D {
  const norm = (a: tf.Tensor2D) => tf.sqrt(tf.add(tf.sum(tf.square(a), 1, true), 1e-12));
  return tf.mul(x, tf.div(norm(like), norm(x))) as tf.Tensor2D;
}
const MAX_LOGIT_SCALE = 100;

/** Identity in the forward pass, zero gradient: a fixed target or a sample the loss must not move. */
const detach = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

export class DiffusionBranch implements CoCoDiffBranch {
  private readonly schedule: NoiseSchedule;
  private rng: Rng;
  private readonly denoiser: Denoiser;
  /** [K, D] per-class text vectors, L2-normalised; absent when that text is switched off. */
  private readonly fineText: tf.Tensor2D | null;
  private readonly coarseText: tf.Tensor2D | null;
  private readonly coarseProjection: Dense | null;
  private readonly logitScale: tf.Variable | null;

  constructor(
    readonly options: CoCoDiffOptions,
    featureDim: number,
    text: ClassEmbeddings | null,
    seed: number,
  ) {
    if ((options.fineText || options.coarseText) && !text) throw new Error('CoCoDiff: text guidance needs class text embeddings');
    this.schedule = noiseSchedule(options.schedule, options.steps);
    // Its own stream, so switching the branch on does not change the loop's data order or init.
    this.rng = new Rng((seed ^ 0x0c0c0d1f) >>> 0);
    const classRows = (v: Float32Array) => l2Normalise(tf.tensor2d(v, [v.length / text!.dim, text!.dim]));
    this.fineText = options.fineText ? classRows(text!.fine) : null;
    this.coarseText = options.coarseText ? classRows(text!.coarse) : null;
    this.denoiser = new Denoiser(
      { featureDim, width: options.denoiserWidth, blocks: options.denoiserBlocks, textDim: options.fineText ? text!.dim : 0 },
      this.rng,
    );
    this.coarseProjection = options.coarseText ? new Dense('coarse.proj', featureDim, text!.dim, this.rng) : null;
    this.logitScale = options.coarseText ? tf.variable(tf.scalar(Math.log(1 / INITIAL_TEMPERATURE))) : null;
  }

  losses(feature: tf.Tensor2D, labels: tf.Tensor1D, classify: (f: tf.Tensor2D) => tf.Tensor2D): CoCoDiffLosses {
    const o = this.options;
    const G = o.genPerSample;
    const target = o.detachTarget ? (detach(feature) as tf.Tensor2D) : feature;
    // Several generated features per real one: the batch repeated G times, each copy noised afresh.
    const x0 = G > 1 ? tf.tile(target, [G, 1]) : target;
    const y = G > 1 ? tf.tile(labels, [G]) : labels;
    const [rows, dim] = x0.shape;

    const t = Array.from({ length: rows }, () => this.rng.int(this.schedule.steps));
    const noise = new Float32Array(rows * dim);
    for (let i = 0; i < noise.length; i++) noise[i] = this.rng.normal();
    const xt = tf.add(tf.mul(x0, this.column(t, (ab) => Math.sqrt(ab))), tf.mul(tf.tensor2d(noise, [rows, dim]), this.column(t, (ab) => Math.sqrt(1 - ab)))) as tf.Tensor2D;

    const fineText = this.fineText ? (tf.gather(this.fineText, y) as tf.Tensor2D) : null;
    const x0Hat = this.generate(xt, t, fineText);

    const zero = tf.scalar(0);
    const fine = fineLoss(x0Hat, x0);
    const coarse =
      this.coarseText && this.coarseProjection && this.logitScale
        ? coarseContrastiveLoss(
            l2Normalise(this.coarseProjection.apply(x0Hat)),
            tf.gather(this.coarseText, y) as tf.Tensor2D,
            y,
            tf.minimum(tf.exp(this.logitScale), MAX_LOGIT_SCALE) as tf.Scalar,
          )
        : zero;
    // The generated features are extra training samples for the classifier only. Letting this CE
    // reach the denoiser lets it "win" by inflating x̂0 along the class direction: on synth-quick the
    // fine loss and the logits then diverged within 3 epochs. The denoiser learns from fine + coarse.
    // Each x̂0 is also brought to the norm of the real feature it came from: early in training the
    // denoiser's outputs are many times larger than real features, and their gradients wrecked the
    // classifier (real CE above chance level for the whole synth-quick run). Direction, which is
    // where the class and the diversity live, is kept.
    const ceGen = o.genCe ? crossEntropy(classify(matchNorm(detach(x0Hat) as tf.Tensor2D, x0)), y) : zero;
    return { ceGen, fine, coarse };
  }

  /**
   * x_t → x̂0 by k deterministic DDIM steps (η = 0): predict x̂0 at τ, re-noise it to the next τ' with
   * the noise the prediction implies, and predict again; the last prediction is the result.
   */
  private generate(xt: tf.Tensor2D, t: number[], fineText: tf.Tensor2D | null): tf.Tensor2D {
    const k = this.options.genSteps;
    const taus = t.map((ti) => ddimTimesteps(ti, k));
    let x = xt;
    let x0Hat = xt;
    for (let j = 0; j < k; j++) {
      const tau = taus.map((s) => s[j]);
      x0Hat = this.denoiser.predict(x, tau, fineText);
      if (j === k - 1) break;
      const next = taus.map((s) => s[j + 1]);
      const eps = tf.div(tf.sub(x, tf.mul(x0Hat, this.column(tau, Math.sqrt))), this.column(tau, (ab) => Math.sqrt(1 - ab)));
      x = tf.add(tf.mul(x0Hat, this.column(next, Math.sqrt)), tf.mul(eps, this.column(next, (ab) => Math.sqrt(1 - ab)))) as tf.Tensor2D;
    }
    return x0Hat;
  }

  /** A [rows, 1] column of f(ᾱ_t) for broadcasting over the feature. */
  private column(t: number[], f: (alphaBar: number) => number): tf.Tensor2D {
    return tf.tensor2d(t.map((ti) => f(this.schedule.alphaBar[ti])), [t.length, 1]);
  }

  private named(): Array<[string, tf.Variable]> {
    const out = this.denoiser.layers().flatMap((l) => l.named());
    if (this.coarseProjection) out.push(...this.coarseProjection.named());
    if (this.logitScale) out.push(['coarse.logit_scale', this.logitScale]);
    return out;
  }

  trainableVariables(): tf.Variable[] {
    return this.named().map(([, v]) => v);
  }

  /** Weights plus the noise generator's state, so a resumed run draws the same noise. */
  state(): Map<string, tf.Tensor> {
    const m = new Map<string, tf.Tensor>(this.named().map(([n, v]) => [n, tf.clone(v)]));
    // uint32 words stored bit-for-bit as int32.
    m.set('rng', tf.tensor1d(Int32Array.from(this.rng.state(), (w) => w | 0), 'int32'));
    return m;
  }

  restore(state: Map<string, tf.Tensor>): void {
    for (const [name, v] of this.named()) {
      const saved = state.get(name);
      if (!saved) throw new Error(`CoCoDiff checkpoint lacks "${name}"`);
      if (saved.shape.join() !== v.shape.join()) throw new Error(`CoCoDiff checkpoint "${name}": shape [${saved.shape}] ≠ [${v.shape}]`);
      v.assign(saved);
    }
    const rng = state.get('rng');
    if (rng) this.rng = new Rng(Array.from(rng.dataSync(), (w) => w >>> 0));
  }

  dispose(): void {
    tf.dispose([...this.trainableVariables(), ...[this.fineText, this.coarseText].filter((t): t is tf.Tensor2D => t !== null)]);
  }
}
