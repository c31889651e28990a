/**
 * The CoCoDiff branch: per batch, noise the backbone's (standardised) features, denoise them back
 * under fine-text guidance into new features x̂0 of the same classes, and return the loss terms:
 *
 *   fine    ‖D(x_t, t) − sg(x0)‖², t over all steps: trains the denoiser (and, through x_t, the backbone)
 *   coarse  bidirectional KL contrastive loss between proj(x̂0_gen) and the class's coarse text (itself
 *           projected when `coarseDim` > 0; x̂0_gen de-standardised first with coarseOn `features`)
 *   ceGen   CE of the classifier on unstandardise(x̂0_gen), the generated features as extra samples
 *
 * x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε with x0 the live standardised feature, so every term reaches the backbone
 * through x_t; only the fine loss's target is stop-gradient. The generated features x̂0_gen come from
 * x_t with t in `genT` (DDIM, `genSteps` steps, stochastic with η > 0): the middle of the schedule
 * keeps part of the real feature and re-draws the rest, which is where variations (not class means)
 * come from. The branch never updates the backbone's or the classifier's weights itself.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../common/rng.ts';
import type { ClassEmbeddings } from '../text/embeddings-file.ts';
import { Dense } from './dense.ts';
import { Denoiser } from './denoiser.ts';
import { ddimStep, noise } from './diffusion.ts';
import { coarseContrastiveLoss, crossEntropy, fineLoss, l2Normalise } from './losses.ts';
import { ddimTimesteps, noiseSchedule, type NoiseSchedule } from './schedule.ts';
import { FeatureStats } from './stats.ts';
import type { CoCoDiffBranch, CoCoDiffLosses, CoCoDiffOptions } from './types.ts';

/** CLIP's initial temperature; the logit scale 1/τ is learned in log space and capped at 100. */
const INITIAL_TEMPERATURE = 0.07;
const MAX_LOGIT_SCALE = 100;
const TEMPERATURE = 'coarse.logit_scale';

/** Identity in the forward pass, zero gradient: a fixed target or a sample the loss must not move. */
export const detach = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
}) as (x: tf.Tensor) => tf.Tensor;

/** Rescales each row of `x` to the L2 norm of the same row of `like`. */
function matchNorm(x: tf.Tensor2D, like: tf.Tensor2D): tf.Tensor2D {
  const norm = (a: tf.Tensor2D) => tf.sqrt(tf.add(tf.sum(tf.square(a), 1, true), 1e-12));
  return tf.mul(x, tf.div(norm(like), norm(x))) as tf.Tensor2D;
}

export class DiffusionBranch implements CoCoDiffBranch {
  private readonly schedule: NoiseSchedule;
  private rng: Rng;
  private readonly denoiser: Denoiser;
  private readonly stats: FeatureStats;
  /** [K, D] per-class text vectors, L2-normalised; absent when that text is switched off. */
  private readonly fineText: tf.Tensor2D | null;
  private readonly coarseText: tf.Tensor2D | null;
  private readonly coarseProjection: Dense | null;
  /** The coarse text's map into the shared space (only with coarseDim > 0). */
  private readonly coarseTextProjection: Dense | null;
  private readonly logitScale: tf.Variable | null;
  readonly noDecay: ReadonlySet<string> = new Set([TEMPERATURE]);

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
      { featureDim, width: options.denoiserWidth, blocks: options.denoiserBlocks, textDim: options.fineText ? text!.dim : 0, unitNormOutput: options.unitNormOutput },
      this.rng,
    );
    const shared = options.coarseDim > 0;
    this.coarseProjection = options.coarseText ? new Dense('coarse.proj', featureDim, shared ? options.coarseDim : text!.dim, this.rng) : null;
    this.coarseTextProjection = options.coarseText && shared ? new Dense('coarse.text_proj', text!.dim, options.coarseDim, this.rng) : null;
    this.logitScale = options.coarseText ? tf.variable(tf.scalar(Math.log(1 / INITIAL_TEMPERATURE))) : null;
    this.stats = new FeatureStats(featureDim);
  }

  losses(feature: tf.Tensor2D, labels: tf.Tensor1D, classify: (f: tf.Tensor2D) => tf.Tensor2D): CoCoDiffLosses {
    const o = this.options;
    this.stats.update(feature);
    const live = o.detachBranch ? (detach(feature) as tf.Tensor2D) : feature;
    const x0 = this.stats.standardise(live);
    const fineText = (y: tf.Tensor1D) => (this.fineText ? (tf.gather(this.fineText, y) as tf.Tensor2D) : null);

    // Fine loss: the denoiser learns x0 from x_t over the whole schedule.
    const tAll = this.draw(x0.shape[0], 0, this.schedule.steps - 1);
    const fine = fineLoss(this.denoiser.predict(this.noised(x0, tAll), tAll, fineText(labels)), detach(x0) as tf.Tensor2D);

    // Generated features: G noisings of each real feature, from t in the generation range.
    const G = o.genPerSample;
    const x0Gen = G > 1 ? tf.tile(x0, [G, 1]) : x0;
    const y = G > 1 ? (tf.tile(labels, [G]) as tf.Tensor1D) : labels;
    const tGen = this.draw(x0Gen.shape[0], o.genT[0], o.genT[1]);
    const x0Hat = this.generate(this.noised(x0Gen, tGen), tGen, fineText(y));

    const zero = tf.scalar(0);
    let coarse: tf.Scalar = zero;
    if (this.coarseText && this.coarseProjection && this.logitScale) {
      const text = tf.gather(this.coarseText, y) as tf.Tensor2D;
      coarse = coarseContrastiveLoss(
        l2Normalise(this.coarseProjection.apply(o.coarseOn === 'features' ? this.stats.unstandardise(x0Hat) : x0Hat)),
        this.coarseTextProjection ? l2Normalise(this.coarseTextProjection.apply(text)) : text,
        y,
        tf.minimum(tf.exp(this.logitScale), MAX_LOGIT_SCALE) as tf.Scalar,
      );
    }
    let ceGen: tf.Scalar = zero;
    if (o.genCe) {
      let generated = this.stats.unstandardise(o.detachBranch ? (detach(x0Hat) as tf.Tensor2D) : x0Hat);
      if (o.matchNorm) generated = matchNorm(generated, detach(G > 1 ? tf.tile(feature, [G, 1]) : feature) as tf.Tensor2D);
      ceGen = crossEntropy(classify(generated), y);
    }
    return { ceGen, fine, coarse };
  }

  /** `rows` timesteps uniform in [lo, hi]. */
  private draw(rows: number, lo: number, hi: number): number[] {
    return Array.from({ length: rows }, () => lo + this.rng.int(hi - lo + 1));
  }

  private normal(rows: number, dim: number): tf.Tensor2D {
    const values = new Float32Array(rows * dim);
    for (let i = 0; i < values.length; i++) values[i] = this.rng.normal();
    return tf.tensor2d(values, [rows, dim]);
  }

  /** q(x_t | x0) with noise from the branch's stream. */
  private noised(x0: tf.Tensor2D, t: number[]): tf.Tensor2D {
    const [rows, dim] = x0.shape;
    return noise(x0, t, this.schedule.alphaBar, this.normal(rows, dim));
  }

  /**
   * x_t → x̂0 by k DDIM steps: predict x̂0 at τ, move to the next τ' with the noise the prediction
   * implies plus, for η > 0, fresh noise of variance σ² = η²·(1−ᾱ')/(1−ᾱ)·(1−ᾱ/ᾱ'); the last
   * prediction is the result.
   */
  private generate(xt: tf.Tensor2D, t: number[], fineText: tf.Tensor2D | null): tf.Tensor2D {
    const k = this.options.genSteps;
    const eta = this.options.eta;
    const taus = t.map((ti) => ddimTimesteps(ti, k));
    let x = xt;
    let x0Hat = xt;
    for (let j = 0; j < k; j++) {
      const tau = taus.map((s) => s[j]);
      x0Hat = this.denoiser.predict(x, tau, fineText);
      if (j === k - 1) break;
      const next = taus.map((s) => s[j + 1]);
      x = ddimStep(x, x0Hat, tau, next, this.schedule.alphaBar, eta, (rows, dim) => this.normal(rows, dim));
    }
    return x0Hat;
  }

  trainable(): Array<[string, tf.Variable]> {
    const out = this.denoiser.layers().flatMap((l) => l.named());
    if (this.coarseProjection) out.push(...this.coarseProjection.named());
    if (this.coarseTextProjection) out.push(...this.coarseTextProjection.named());
    if (this.logitScale) out.push([TEMPERATURE, this.logitScale]);
    return out;
  }

  /** Weights, running statistics and the noise generator's state, so a resumed run draws the same noise. */
  state(): Map<string, tf.Tensor> {
    const m = new Map<string, tf.Tensor>([...this.trainable(), ...this.stats.named()].map(([n, v]) => [n, tf.clone(v)]));
    // uint32 words stored bit-for-bit as int32.
    m.set('rng', tf.tensor1d(Int32Array.from(this.rng.state(), (w) => w | 0), 'int32'));
    return m;
  }

  restore(state: Map<string, tf.Tensor>): void {
    for (const [name, v] of [...this.trainable(), ...this.stats.named()]) {
      const saved = state.get(name);
      if (!saved) throw new Error(`CoCoDiff checkpoint lacks "${name}"`);
      if (saved.shape.join() !== v.shape.join()) throw new Error(`CoCoDiff checkpoint "${name}": shape [${saved.shape}] ≠ [${v.shape}]`);
      v.assign(saved);
    }
    const rng = state.get('rng');
    if (rng) this.rng = new Rng(Array.from(rng.dataSync(), (w) => w >>> 0));
  }

  dispose(): void {
    tf.dispose([...this.trainable().map(([, v]) => v), ...this.stats.named().map(([, v]) => v), ...[this.fineText, this.coarseText].filter((t): t is tf.Tensor2D => t !== null)]);
  }
}
