/**
 * CoCoDiff, the training-only plug-in (Zhao et al., arXiv 2504.21266). The loop creates the branch,
 * adds `weightedLoss(...)` to its real cross-entropy, and trains `trainableVariables()` beside its own;
 * nothing here is ever exported into the model artifact.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../common/errors.ts';
import { classTextEmbeddings } from '../text/class-embeddings.ts';
import { DiffusionBranch } from './branch.ts';
import type { CoCoDiffBranch, CoCoDiffContext, CoCoDiffLosses, CoCoDiffOptions } from './types.ts';

export { DEFAULT_COCODIFF_OPTIONS } from './types.ts';
export type { CoCoDiffBranch, CoCoDiffContext, CoCoDiffLosses, CoCoDiffOptions } from './types.ts';

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

/** λ_gen·CE_gen + λ_fine·L_fine + λ_coarse·L_coarse: what the branch adds to CE_real. */
export function weightedLoss(l: CoCoDiffLosses, o: CoCoDiffOptions): tf.Scalar {
  return tf.addN([tf.mul(l.ceGen, o.lambdaGen), tf.mul(l.fine, o.lambdaFine), tf.mul(l.coarse, o.lambdaCoarse)]) as tf.Scalar;
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
  if (o.schedule !== 'linear' && o.schedule !== 'cosine') throw new UserError(`CoCoDiff schedule: expected linear or cosine, got ${o.schedule}`);
}
