/**
 * The contract between the training loop and the CoCoDiff branch. The loop owns the backbone, the
 * classifier and their SGD; the branch adds loss terms, its own trainable variables (trained by its
 * own optimiser, `optimizer` below) and running feature statistics, and is never exported into the
 * model artifact.
 */
import type * as tf from '@tensorflow/tfjs';

export interface CoCoDiffOptions {
  /** Diffusion steps of the forward process (1000). */
  steps: number;
  schedule: 'linear' | 'cosine';
  /** Generated features come from x_t with t drawn uniformly in [min, max] (inclusive). */
  genT: [number, number];
  /** Reverse (DDIM) steps used to generate x̂0 during training (1 = one-step x0 prediction). */
  genSteps: number;
  /** DDIM's η: 0 deterministic, 1 as stochastic as DDPM (only matters with genSteps > 1). */
  eta: number;
  /** Generated features per real one. */
  genPerSample: number;
  /**
   * The earlier implementation's gradient paths, kept as an ablation: x0 detached from the backbone
   * for every diffusion loss, and CE on the generated features stopped before the denoiser.
   */
  detachBranch: boolean;
  /** Earlier patch: rescale each generated feature to its real feature's norm before the classifier. */
  matchNorm: boolean;
  /** Earlier patch: the denoiser's output map takes unit-norm rows instead of unit-variance rows. */
  unitNormOutput: boolean;
  denoiserWidth: number;
  denoiserBlocks: number;
  fineText: boolean;
  coarseText: boolean;
  genCe: boolean;
  lambdaGen: number;
  lambdaFine: number;
  lambdaCoarse: number;
  /** λ_gen rises linearly from 0 over this many epochs (0 = from the start). */
  lambdaGenWarmup: number;
  /** The branch's own optimiser (the backbone keeps its SGD schedule). */
  optimizer: 'adam' | 'adamw';
  lr: number;
  /** AdamW's decoupled weight decay (never applied to the coarse temperature); ignored by adam. */
  weightDecay: number;
  /**
   * What the coarse loss projects: x̂0 in the standardised frame the diffusion works in, or x̂0
   * de-standardised back to the backbone's feature scale (`features`, what the classifier sees).
   */
  coarseOn: 'standardised' | 'features';
  /**
   * 0: x̂0 is projected into the coarse text's own space and the text stays fixed; N > 0: x̂0 and the
   * text are both projected into N dimensions by learned maps (CLIP-style, the reference's 256).
   */
  coarseDim: number;
}

export interface CoCoDiffLosses {
  /** Cross-entropy of the classifier on the generated features (0 when genCe is off). */
  ceGen: tf.Scalar;
  /** ‖x̂0 − sg(x0)‖² in standardised feature space, mean over the feature and the batch. */
  fine: tf.Scalar;
  /** Bidirectional KL contrastive loss against coarse text (0 when coarseText is off). */
  coarse: tf.Scalar;
}

/** The weights of the three terms for one step (λ_gen includes its warm-up). */
export interface LossWeights {
  gen: number;
  fine: number;
  coarse: number;
}

export interface CoCoDiffBranch {
  readonly options: CoCoDiffOptions;
  /**
   * Loss terms for one training batch. `feature` is the backbone's pooled feature [N, F], live (its
   * gradients reach the backbone), `labels` int32 [N], `classify` the model's classifier head
   * (features → logits). Called inside the loop's gradient scope. Also updates the running feature
   * statistics (which take no gradient).
   */
  losses(feature: tf.Tensor2D, labels: tf.Tensor1D, classify: (f: tf.Tensor2D) => tf.Tensor2D): CoCoDiffLosses;
  /** Weights and the coarse temperature, by checkpoint name. */
  trainable(): Array<[string, tf.Variable]>;
  /** Names of trainable variables that take no weight decay (the temperature). */
  readonly noDecay: ReadonlySet<string>;
  /** Branch state for checkpoints (name → values: weights, running statistics, noise generator), restored by `restore`. */
  state(): Map<string, tf.Tensor>;
  restore(state: Map<string, tf.Tensor>): void;
  dispose(): void;
}

/**
 * Defaults: the paper's setting where it states one. The generation range, η and the λs are set by
 * reasoning, not by a search (docs/training.md, "Ablation"). The gradient paths are the paper's plain ones:
 * validation favoured --detach-branch only within noise. The earlier patches stay off (not measured).
 */
export const DEFAULT_COCODIFF_OPTIONS: CoCoDiffOptions = {
  steps: 1000,
  schedule: 'linear',
  genT: [100, 400],
  genSteps: 1,
  eta: 0,
  genPerSample: 1,
  detachBranch: false,
  matchNorm: false,
  unitNormOutput: false,
  denoiserWidth: 512,
  denoiserBlocks: 3,
  fineText: true,
  coarseText: true,
  genCe: true,
  lambdaGen: 1,
  lambdaFine: 1,
  lambdaCoarse: 0.1,
  lambdaGenWarmup: 2,
  optimizer: 'adamw',
  lr: 1e-3,
  weightDecay: 1e-4,
  coarseOn: 'standardised',
  coarseDim: 0,
};

/**
 * The settings of the independent PyTorch implementation that gained +1.96 [+0.8, +3.1] points with
 * the full CTR-GCN on synthetic K = 8 (its code: λ_fine 1, λ_coarse 0.5, λ_gen 0.5 without warm-up,
 * the coarse loss on de-standardised x̂0 with x̂0 and text both projected into 256 dimensions, the
 * branch's own AdamW at 1e-3 with decay 1e-4, 1000 linear steps, one-step x̂0 from t ∈ [100, 400], a
 * 512-wide 3-block denoiser). The backbone's base rate 0.1 × batch / 64 belongs to it too; it is a
 * training option (`referenceLr`), not the branch's.
 */
export const REFERENCE_COCODIFF_OPTIONS: CoCoDiffOptions = {
  ...DEFAULT_COCODIFF_OPTIONS,
  steps: 1000,
  schedule: 'linear',
  genT: [100, 400],
  genSteps: 1,
  genPerSample: 1,
  denoiserWidth: 512,
  denoiserBlocks: 3,
  lambdaGen: 0.5,
  lambdaFine: 1,
  lambdaCoarse: 0.5,
  lambdaGenWarmup: 0,
  optimizer: 'adamw',
  lr: 1e-3,
  weightDecay: 1e-4,
  coarseOn: 'features',
  coarseDim: 256,
};

/** The reference's backbone rate: the authors' 0.1 at batch 64, scaled linearly. */
export function referenceLr(batch: number): number {
  return 0.1 * (batch / 64);
}

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
