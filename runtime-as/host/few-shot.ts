/**
 * Gestures taught on the device: a small head over the frozen backbone's pooled feature, fitted
 * from a few recordings, whose scores join the module's own class scores in one softmax. The
 * module's classifier is never touched: with nothing taught the probabilities are the module's.
 *
 * Two heads, both measured (docs/runtime.md, "Teaching a new gesture"):
 *
 *  - `ncm`, nearest class mean with a learned scale (the default): a taught class j keeps the mean
 *    μ_j of its recordings' features and a scale s_j, their spread about the mean (shrunk towards a
 *    prior ρ·‖μ_j‖² by one pseudo-recording, so one recording is enough). Its score is
 *        z_j(f) = logsumexp(z_module(f)) + θ − ‖f − μ_j‖² / s_j,
 *    so the odds of "this taught gesture" against all the module's classes together are
 *    exp(θ − d²/s_j): even at the mean, at most e^θ; a feature a few spreads away gives way to
 *    the module's classes. The module's classes lose only what falls near a taught mean.
 *  - `logistic`, a small multinomial logistic regression: z_j(f) = w_j · f̂ + b_j on the feature
 *    scaled to unit mean norm, fitted by gradient descent on the cross-entropy of every taught
 *    recording over the module's classes (their logits fixed) and every taught class, with an L2
 *    penalty λ. Only taught recordings are at hand (never the module's training data), so each
 *    taught class is pushed up wherever its recordings lie, and nothing pushes it down elsewhere.
 *
 * θ, ρ and λ were chosen on validation subjects of the synthetic set (`FEW_SHOT_SETTINGS`); the
 * nearest-mean head cost the trained classes far less there, so it is the default.
 * Pure arithmetic on Float32Arrays: browser-safe, deterministic, no dependencies.
 */

/** The head kinds `learn` fits. */
export type HeadMethod = 'ncm' | 'logistic';

/** The head kinds, for messages and checks. */
export const HEAD_METHODS: readonly HeadMethod[] = ['ncm', 'logistic'];

/** What one taught class was fitted from: per recording, the pooled feature and the module's logits. */
export interface TaughtClass {
  /** The class name. */
  name: string;
  /** Pooled features [D] of its recordings, in the order given. */
  features: Float32Array[];
  /** The module's own logits [K] for each of those recordings. */
  logits: Float32Array[];
}

/** The settings of the two heads. */
export interface FewShotSettings {
  /** ncm: log-odds of a taught class against all the module's classes at its mean. */
  theta: number;
  /** ncm: the prior spread of a class, as a fraction of its mean's squared norm. */
  rho: number;
  /** logistic: the L2 penalty on weights and biases. */
  lambda: number;
  /** logistic: gradient-descent steps and step size. */
  steps: number;
  rate: number;
}

/**
 * θ, ρ and λ chosen on the validation subjects of the synthetic set, at five recordings, by the mean
 * of the taught gesture's accuracy and the trained classes' accuracy (experiments/few-shot.ts;
 * docs/few-shot/results.json holds the grid).
 */
export const FEW_SHOT_SETTINGS: FewShotSettings = { theta: 1, rho: 0.3, lambda: 0.1, steps: 300, rate: 0.5 };

/** A fitted head: writes the taught classes' scores after the module's in `out` ([K + J]). */
export interface FewShotHead {
  scores(feature: Float32Array, logits: Float32Array, out: Float32Array): void;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

function logSumExp(z: ArrayLike<number>, n = z.length): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, z[i]);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(z[i] - max);
  return max + Math.log(s);
}

function meanOf(vectors: Float32Array[]): Float64Array {
  const mean = new Float64Array(vectors[0].length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) mean[i] += v[i] / vectors.length;
  return mean;
}

/** Fits the head of `method` over the taught classes (in order: class K + j is `taught[j]`). */
export function fitHead(method: HeadMethod, taught: readonly TaughtClass[], settings: FewShotSettings = FEW_SHOT_SETTINGS): FewShotHead {
  return method === 'ncm' ? fitNearestMean(taught, settings) : fitLogistic(taught, settings);
}

function fitNearestMean(taught: readonly TaughtClass[], { theta, rho }: FewShotSettings): FewShotHead {
  const classes = taught.map(({ features }) => {
    const mean = meanOf(features);
    let spread = 0;
    for (const f of features) for (let i = 0; i < f.length; i++) spread += (f[i] - mean[i]) ** 2;
    // Σ‖f − μ‖² over n − 1 degrees of freedom, plus one pseudo-recording at the prior spread.
    const scale = (spread + rho * dot(mean, mean)) / features.length;
    return { mean, scale: Math.max(scale, Number.MIN_VALUE) };
  });
  return {
    scores(feature, logits, out) {
      const K = logits.length;
      out.set(logits);
      const all = logSumExp(logits);
      classes.forEach(({ mean, scale }, j) => {
        let d2 = 0;
        for (let i = 0; i < feature.length; i++) d2 += (feature[i] - mean[i]) ** 2;
        out[K + j] = all + theta - d2 / scale;
      });
    },
  };
}

function fitLogistic(taught: readonly TaughtClass[], { lambda, steps, rate }: FewShotSettings): FewShotHead {
  const examples = taught.flatMap((c, j) => c.features.map((f, i) => ({ f, logits: c.logits[i], label: j })));
  const D = examples[0].f.length;
  const K = examples[0].logits.length;
  const J = taught.length;
  // Features scaled to unit mean norm, so one step size and penalty suit every backbone.
  const norm = examples.reduce((s, e) => s + Math.sqrt(dot(e.f, e.f)), 0) / examples.length || 1;
  const x = examples.map((e) => Float64Array.from(e.f, (v) => v / norm));
  const w = Array.from({ length: J }, () => new Float64Array(D));
  const b = new Float64Array(J);
  const z = new Float64Array(K + J);
  for (let step = 0; step < steps; step++) {
    const gw = Array.from({ length: J }, () => new Float64Array(D));
    const gb = new Float64Array(J);
    examples.forEach((e, n) => {
      z.set(e.logits);
      for (let j = 0; j < J; j++) z[K + j] = dot(w[j], x[n]) + b[j];
      const lse = logSumExp(z);
      for (let j = 0; j < J; j++) {
        const g = (Math.exp(z[K + j] - lse) - (e.label === j ? 1 : 0)) / examples.length;
        gb[j] += g;
        for (let i = 0; i < D; i++) gw[j][i] += g * x[n][i];
      }
    });
    for (let j = 0; j < J; j++) {
      b[j] -= rate * (gb[j] + lambda * b[j]);
      for (let i = 0; i < D; i++) w[j][i] -= rate * (gw[j][i] + lambda * w[j][i]);
    }
  }
  return {
    scores(feature, logits, out) {
      const K = logits.length;
      out.set(logits);
      for (let j = 0; j < J; j++) out[K + j] = dot(w[j], feature) / norm + b[j];
    },
  };
}

/** Softmax of `z` into `out` (the same length). */
export function softmaxInto(z: ArrayLike<number>, out: Float32Array): Float32Array {
  const lse = logSumExp(z);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(z[i] - lse);
  return out;
}
