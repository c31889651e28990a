/**
 * CoCoDiff, the training-only plug-in (Zhao et al., arXiv 2504.21266). The loop creates the branch,
 * adds `weightedLoss(...)` to its real cross-entropy, and trains the branch's variables with the
 * branch's own optimiser; nothing here is ever exported into the model artifact.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { classTextEmbeddings } from '../text/class-embeddings.ts';
import { DiffusionBranch } from './branch.ts';
import type { CoCoDiffBranch, CoCoDiffContext, CoCoDiffLosses, CoCoDiffOptions, LossWeights } from './types.ts';

export { DEFAULT_COCODIFF_OPTIONS, REFERENCE_COCODIFF_OPTIONS, referenceLr } from './types.ts';
export type { CoCoDiffBranch, CoCoDiffContext, CoCoDiffLosses, CoCoDiffOptions, LossWeights } from './types.ts';

/**
 * Builds the branch. Text is loaded (and encoded once, cached in ctx.runDir) only when fine or coarse
 * guidance is on: the "diffusion without text" ablation needs no encoder at all.
 */
export async function createCoCoDiffBranch(options: CoCoDiffOptions, ctx: CoCoDiffContext): Promise<CoCoDiffBranch> {
  validateOptions(options);
  const text =
    options.fineText || options.coarseText
      ? await classTextEmbeddings({ classes: ctx.classes, runDir: ctx.runDir, textFile: ctx.textFile, embeddingsFile: ctx.embeddingsFile })
      : null;
  return new DiffusionBranch(options, ctx.featureDim, text, ctx.seed);
}

/**
 * λ_gen·CE_gen + λ_fine·L_fine + λ_coarse·L_coarse: what the branch adds to CE_real. Terms whose λ is 0
 * are left out of the graph (not multiplied by 0), and with all three at 0 there is nothing to add
 * (null): the step's gradients are then exactly the baseline's.
 */
export function weightedLoss(l: CoCoDiffLosses, w: LossWeights): tf.Scalar | null {
  const terms = ([[l.ceGen, w.gen], [l.fine, w.fine], [l.coarse, w.coarse]] as const).filter(([, lambda]) => lambda !== 0);
  return terms.length === 0 ? null : (tf.addN(terms.map(([t, lambda]) => tf.mul(t, lambda))) as tf.Scalar);
}

/** The λs of an epoch (0-based): λ_gen rises linearly from 0 over `lambdaGenWarmup` epochs. */
export function lossWeights(o: CoCoDiffOptions, epoch: number): LossWeights {
  const ramp = o.lambdaGenWarmup > 0 ? Math.min(1, epoch / o.lambdaGenWarmup) : 1;
  return { gen: o.lambdaGen * ramp, fine: o.lambdaFine, coarse: o.lambdaCoarse };
}

function validateOptions(o: CoCoDiffOptions): void {
  const int = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`CoCoDiff ${name}: expected a positive integer, got ${v}`);
  };
  int(o.steps, 'steps');
  int(o.genSteps, 'genSteps');
  int(o.genPerSample, 'genPerSample');
  int(o.denoiserWidth, 'denoiserWidth');
  int(o.denoiserBlocks, 'denoiserBlocks');
  if (o.genSteps > o.steps) throw new UserError(`CoCoDiff genSteps (${o.genSteps}) cannot exceed steps (${o.steps})`);
  const [lo, hi] = o.genT;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo || hi >= o.steps) throw new OptionError('genT', `${lo}:${hi}: expected integers MIN:MAX with 0 ≤ MIN ≤ MAX < ${o.steps} (the diffusion steps)`);
  if (!(o.eta >= 0 && o.eta <= 1)) throw new OptionError('eta', `expected a number in [0, 1], found ${o.eta}`);
  if (o.optimizer !== 'adam' && o.optimizer !== 'adamw') throw new UserError(`CoCoDiff optimizer: expected adam or adamw, got ${o.optimizer}`);
  if (!(o.lr > 0)) throw new UserError(`CoCoDiff learning rate: expected a positive number, got ${o.lr}`);
  if (!(o.weightDecay >= 0)) throw new UserError(`CoCoDiff weight decay: expected a number ≥ 0, got ${o.weightDecay}`);
  if (!(o.lambdaGenWarmup >= 0)) throw new UserError(`CoCoDiff λ_gen warm-up: expected epochs ≥ 0, got ${o.lambdaGenWarmup}`);
  for (const [name, v] of [['lambdaGen', o.lambdaGen], ['lambdaFine', o.lambdaFine], ['lambdaCoarse', o.lambdaCoarse]] as const) {
    if (!(v >= 0)) throw new UserError(`CoCoDiff ${name}: expected a number ≥ 0, got ${v}`);
  }
  if (o.coarseOn !== 'standardised' && o.coarseOn !== 'features') throw new UserError(`CoCoDiff coarseOn: expected standardised or features, got ${o.coarseOn}`);
  if (!Number.isInteger(o.coarseDim) || o.coarseDim < 0) throw new UserError(`CoCoDiff coarseDim: expected an integer ≥ 0, got ${o.coarseDim}`);
  if (o.schedule !== 'linear' && o.schedule !== 'cosine') throw new UserError(`CoCoDiff schedule: expected linear or cosine, got ${o.schedule}`);
}
