/**
 * The CoCoDiff branch's flags, declared once for `train`, `cv` and `ablate`, and the one mapping from
 * them to the library's CoCoDiffOptions. `ablate` leaves out --no-fine-text and --no-coarse-text
 * (which text each variant uses is what the ablation varies) and --cocodiff (its variants switch the
 * branch on and off).
 */
import { Option, type Command } from 'commander';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { DEFAULT_COCODIFF_OPTIONS as D, REFERENCE_COCODIFF_OPTIONS as R, referenceLr, type CoCoDiffOptions } from '../trainer/cocodiff/types.ts';
import { PRESETS, RECIPE, type PresetName } from '../trainer/train/config.ts';
import { integer, nonNegativeInt, number, positiveInt } from './options.ts';

/** What commander gives for the flags below (attribute names), all absent unless given. */
export interface CoCoDiffFlags {
  denoiserWidth?: number;
  denoiserBlocks?: number;
  genT?: [number, number];
  eta?: number;
  lambdaGen?: number;
  lambdaCoarse?: number;
  detachBranch?: boolean;
  matchNorm?: boolean;
  unitNormOutput?: boolean;
  /** --no-gen-ce, --no-fine-text, --no-coarse-text: true unless given. */
  genCe: boolean;
  fineText?: boolean;
  coarseText?: boolean;
  diffusionSteps?: number;
  schedule?: CoCoDiffOptions['schedule'];
  genSteps?: number;
  genPerSample?: number;
  lambdaFine?: number;
  lambdaGenWarmup?: number;
  branchOptimizer?: CoCoDiffOptions['optimizer'];
  branchLr?: number;
  branchWeightDecay?: number;
  coarseOn?: CoCoDiffOptions['coarseOn'];
  coarseDim?: number;
  /** The PyTorch reference's settings as the base the other flags override. */
  referenceSettings?: boolean;
  text?: string;
  textEmbeddings?: string;
}

/** `--cocodiff`, the switch of `train` and `cv` the branch's other flags need. */
export interface CoCoDiffSwitch {
  cocodiff?: boolean;
}

/** `MIN:MAX`, two integers. */
export function timestepRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text);
  if (!m || Number(m[1]) > Number(m[2])) throw new UserError(`--gen-t: expected MIN:MAX with integers MIN ≤ MAX (e.g. 100:600), found "${text}"`);
  return [Number(m[1]), Number(m[2])];
}

/** With `textSwitches` (`train`, `cv`): --cocodiff itself, --no-fine-text and --no-coarse-text too. */
export function addCoCoDiffOptions(command: Command, { textSwitches }: { textSwitches: boolean }): Command {
  if (textSwitches) {
    command
      .option('--cocodiff', 'add the CoCoDiff text-guided latent diffusion branch (training only; never exported)')
      .option('--no-fine-text', 'CoCoDiff: no fine-text conditioning of the denoiser')
      .option('--no-coarse-text', 'CoCoDiff: no coarse-text contrastive loss');
  }
  return command
    .option('--no-gen-ce', 'CoCoDiff: do not classify the generated features (only the fine and coarse losses act)')
    .option('--detach-branch', 'CoCoDiff: the earlier gradient paths (x0 detached from the backbone, CE on generated features stopped before the denoiser)')
    .option('--match-norm', 'CoCoDiff: rescale generated features to their real feature\'s norm before the classifier (earlier patch)')
    .option('--unit-norm-output', 'CoCoDiff: unit-norm rows into the denoiser\'s output map (earlier patch)')
    .option('--denoiser-width <n>', `CoCoDiff: the denoiser's width (default ${D.denoiserWidth})`, positiveInt('--denoiser-width'))
    .option('--denoiser-blocks <n>', `CoCoDiff: the denoiser's residual blocks (default ${D.denoiserBlocks})`, positiveInt('--denoiser-blocks'))
    .option('--gen-t <min:max>', `CoCoDiff: timesteps the generated features are denoised from (default ${D.genT.join(':')}, scaled with --diffusion-steps)`, timestepRange)
    .option('--eta <η>', `CoCoDiff: DDIM η, 0 deterministic … 1 DDPM-like (default ${D.eta}; with --gen-steps > 1)`, number('--eta'))
    .addOption(new Option('--branch-optimizer <name>', `CoCoDiff: the branch's optimiser (default ${D.optimizer})`).choices(['adam', 'adamw']))
    .option('--branch-lr <lr>', `CoCoDiff: the branch's learning rate (default ${D.lr})`, number('--branch-lr'))
    .option('--branch-weight-decay <wd>', `CoCoDiff: AdamW weight decay, never on the temperature (default ${D.weightDecay})`, number('--branch-weight-decay'))
    .option('--lambda-gen-warmup <epochs>', `CoCoDiff: λ_gen rises from 0 over these epochs (default ${D.lambdaGenWarmup})`, number('--lambda-gen-warmup'))
    .option('--gen-steps <k>', `CoCoDiff: reverse (DDIM) steps per generated feature (default ${D.genSteps})`, integer('--gen-steps'))
    .option('--gen-per-sample <n>', `CoCoDiff: generated features per real one (default ${D.genPerSample})`, integer('--gen-per-sample'))
    .option('--diffusion-steps <n>', `CoCoDiff: forward-process steps (default ${D.steps})`, integer('--diffusion-steps'))
    .addOption(new Option('--schedule <s>', `CoCoDiff: noise schedule (default ${D.schedule})`).choices(['linear', 'cosine']))
    .option('--lambda-gen <w>', `CoCoDiff: weight of CE on generated features (default ${D.lambdaGen})`, number('--lambda-gen'))
    .option('--lambda-fine <w>', `CoCoDiff: weight of the fine (reconstruction) loss (default ${D.lambdaFine})`, number('--lambda-fine'))
    .option('--lambda-coarse <w>', `CoCoDiff: weight of the coarse contrastive loss (default ${D.lambdaCoarse})`, number('--lambda-coarse'))
    .addOption(new Option('--coarse-on <x>', `CoCoDiff: the coarse loss projects the standardised x̂0 or x̂0 de-standardised to the backbone's features (default ${D.coarseOn})`).choices(['standardised', 'features']))
    .option('--coarse-dim <n>', `CoCoDiff: 0 projects x̂0 into the coarse text's space; N projects x̂0 and the text into N dimensions (default ${D.coarseDim})`, nonNegativeInt('--coarse-dim'))
    .option('--reference-settings', `CoCoDiff: the PyTorch reference's settings (${referenceSettingsText()}); other CoCoDiff flags still win`)
    .option('--text <file>', 'CoCoDiff: descriptions JSON (default: the project\'s file for the dataset)')
    .option('--text-embeddings <file>', 'CoCoDiff: precomputed text embeddings (JSON or .npy) instead of the built-in encoder');
}

/** The branch options where the reference differs from the defaults, in the defaults' order. */
function referenceDifferences(): Partial<CoCoDiffOptions> {
  return Object.fromEntries(Object.entries(R).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(D[k as keyof CoCoDiffOptions])));
}

/** The reference's settings in words, for the help. */
function referenceSettingsText(): string {
  const words = Object.entries(referenceDifferences()).map(([k, v]) => `${k} ${v}`);
  return [...words, 'backbone lr 0.1 × batch / 64, except under --preset ucla, the authors\' rate there'].join(', ');
}

/**
 * The backbone's base rate --reference-settings asks for: the reference trained with the authors'
 * recipe of each dataset, so a recipe that is one keeps its own rate (undefined, and such runs share
 * baselines with runs made without the flag); any other preset gets the authors' NTU rate, 0.1 ×
 * batch / 64. Undefined too without the flag or with an explicit --lr.
 */
export function referenceSettingsLr(f: { referenceSettings?: boolean; lr?: number; batch?: number; preset?: PresetName }): number | undefined {
  if (!f.referenceSettings || f.lr !== undefined) return undefined;
  const p = f.preset ? PRESETS[f.preset] : RECIPE;
  return p.authorsRecipe ? undefined : referenceLr(f.batch ?? p.batch);
}

/**
 * The CoCoDiff options the flags change, only those given (with --reference-settings, first the
 * reference's differences from the defaults). Their order is part of `ablate`'s settings
 * (ablation.json compares them as JSON), so the flags `ablate` had first come first.
 */
export function cocodiffOverrides(f: CoCoDiffFlags): Partial<CoCoDiffOptions> {
  // The default range is in units of the default 1000 steps: it scales with --diffusion-steps.
  const steps = f.diffusionSteps;
  const genT = f.genT ?? (steps !== undefined ? (D.genT.map((t) => Math.min(steps - 1, Math.round((t * steps) / D.steps))) as [number, number]) : undefined);
  const given: Partial<CoCoDiffOptions> = {
    denoiserWidth: f.denoiserWidth,
    denoiserBlocks: f.denoiserBlocks,
    genT,
    eta: f.eta,
    lambdaGen: f.lambdaGen,
    lambdaCoarse: f.lambdaCoarse,
    detachBranch: f.detachBranch,
    matchNorm: f.matchNorm,
    unitNormOutput: f.unitNormOutput,
    genCe: f.genCe ? undefined : false,
    fineText: f.fineText === false ? false : undefined,
    coarseText: f.coarseText === false ? false : undefined,
    steps,
    schedule: f.schedule,
    genSteps: f.genSteps,
    genPerSample: f.genPerSample,
    lambdaFine: f.lambdaFine,
    lambdaGenWarmup: f.lambdaGenWarmup,
    optimizer: f.branchOptimizer,
    lr: f.branchLr,
    weightDecay: f.branchWeightDecay,
    coarseOn: f.coarseOn,
    coarseDim: f.coarseDim,
  };
  const flags = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return f.referenceSettings ? { ...referenceDifferences(), ...flags } : flags;
}

/**
 * The branch a run trains with (`train`, `cv`): the defaults with the flags' overrides when
 * --cocodiff (or --reference-settings, the branch and the backbone's rate together) is given, else
 * none. Branch flags without the switch are refused, except on `train --resume` (`resuming`), where
 * they are compared with the run's own settings.
 */
export function cocodiffOfRun(command: string, f: CoCoDiffFlags & CoCoDiffSwitch, resuming = false): CoCoDiffOptions | undefined {
  const overrides = cocodiffOverrides(f);
  const text = cocodiffText(f);
  const flagsGiven = Object.keys(overrides).length > 0 || text.textFile !== undefined || text.embeddingsFile !== undefined;
  const on = f.cocodiff || f.referenceSettings;
  if (flagsGiven && !on && !resuming) throw new UserError(`${command}: CoCoDiff flags given without --cocodiff`);
  return on || (resuming && flagsGiven) ? { ...D, ...overrides } : undefined;
}

/** The text files of the branch (TrainOptions and AblationOptions spell them alike). */
export function cocodiffText(f: CoCoDiffFlags): { textFile?: string; embeddingsFile?: string } {
  return { textFile: f.text, embeddingsFile: f.textEmbeddings };
}
