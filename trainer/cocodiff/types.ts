/**
 * The contract between the training loop and the CoCoDiff branch. The loop owns the backbone, the
 * classifier and the optimiser; the branch adds loss terms and its own trainable variables, and is
 * never exported into the model artifact.
 */
import type * as tf from '@tensorflow/tfjs';

export interface CoCoDiffOptions {
  /** Diffusion steps of the forward process (1000). */
  steps: number;
  schedule: 'linear' | 'cosine';
  /** Reverse (DDIM) steps used to generate x̂0 during training (1 = one-step x0 prediction). */
  genSteps: number;
  /** Generated features per real one. */
  genPerSample: number;
  /** Detach x0 from the backbone for the diffusion losses. */
  detachTarget: boolean;
  denoiserWidth: number;
  denoiserBlocks: number;
  fineText: boolean;
  coarseText: boolean;
  genCe: boolean;
  lambdaGen: number;
  lambdaFine: number;
  lambdaCoarse: number;
}

export interface CoCoDiffLosses {
  /** Cross-entropy of the classifier on the generated features (0 when genCe is off). */
  ceGen: tf.Scalar;
  /** ‖x̂0 − x0‖², mean over the feature. */
  fine: tf.Scalar;
  /** Bidirectional KL contrastive loss against coarse text (0 when coarseText is off). */
  coarse: tf.Scalar;
}

export interface CoCoDiffBranch {
  readonly options: CoCoDiffOptions;
  /**
   * Loss terms for one batch. `feature` is the backbone's pooled feature [N, F], `labels` int32 [N],
   * `classify` the model's classifier head (features → logits). Called inside the loop's gradient
   * scope, so everything it returns is differentiable with respect to `trainableVariables()`.
   */
  losses(feature: tf.Tensor2D, labels: tf.Tensor1D, classify: (f: tf.Tensor2D) => tf.Tensor2D): CoCoDiffLosses;
  trainableVariables(): tf.Variable[];
  /** Branch state for checkpoints (name → values), restored by `restore`. */
  state(): Map<string, tf.Tensor>;
  restore(state: Map<string, tf.Tensor>): void;
  dispose(): void;
}

/** Defaults: the paper's setting where it states one, a small denoiser otherwise. */
export const DEFAULT_COCODIFF_OPTIONS: CoCoDiffOptions = {
  steps: 1000,
  schedule: 'linear',
  genSteps: 1,
  genPerSample: 1,
  detachTarget: true,
  denoiserWidth: 512,
  denoiserBlocks: 3,
  fineText: true,
  coarseText: true,
  genCe: true,
  lambdaGen: 1,
  lambdaFine: 1,
  lambdaCoarse: 0.1,
};

/**
 * Where the branch finds its text. `textFile` is a descriptions JSON (trainer/text/descriptions/);
 * `embeddingsFile` holds precomputed embeddings made elsewhere (JSON or .npy). Without either, the
 * branch picks the project's descriptions for the dataset whose class names match.
 */
export interface CoCoDiffContext {
  featureDim: number;
  classes: string[];
  runDir: string;
  seed: number;
  textFile?: string;
  embeddingsFile?: string;
}
