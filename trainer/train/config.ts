/**
 * What a training run is: the options a caller gives, the preset they may name, and the resolved
 * configuration saved as RUN_DIR/run.json so that `--resume` and `export` need nothing else.
 * Precedence: explicit option > preset > CTR-GCN recipe.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Modality } from '../../common/artifact.ts';
import { MODALITIES } from '../../common/artifact.ts';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { OptionError, UserError, type OptionNamer } from 'cocodiff-runtime/shared/errors';
import type { BackendName } from '../backend.ts';
import type { CoCoDiffOptions } from '../cocodiff/types.ts';
import type { ModelSpec } from '../model/ctrgcn.ts';
import { ctrgcnSchedule, type LrSchedule } from './schedule.ts';
import { CTRGCN_SGD, type SgdOptions } from './optimizer.ts';
import type { PreprocessProtocol } from 'cocodiff-runtime/shared/input-spec';
import { parseJson } from 'cocodiff-runtime/shared/json-fields';

export type PresetName = 'synth-quick' | 'ucla';

export interface TrainOptions {
  /** Dataset cache directory (`cocodiff prepare` / `cocodiff synth`). */
  data: string;
  /** Run directory: checkpoints, metrics, plots, artifact. */
  out: string;
  width?: number;
  blocks?: number;
  modality?: Modality;
  epochs?: number;
  batch?: number;
  /** Base learning rate (after warm-up); default 0.1 × batch / 64. */
  lr?: number;
  seed?: number;
  backend?: BackendName;
  /** Threads of the wasm backend (the same results as one; trainer/backend.ts). */
  threads?: number;
  preset?: PresetName;
  /** Passes over the training subset per epoch (default 1; ucla 5). */
  repeat?: number;
  /** Frames the network sees (T); default 64. */
  frames?: number;
  /** Fraction of the training subjects held out as the validation split (default 0.2; 0 = none). */
  valFraction?: number;
  /** Train on this many recordings per class (low-data runs); default all. */
  trainPerClass?: number;
  /** Random crop and rotation of training clips (default true); false trains on the test transform. */
  augment?: boolean;
  /** Seed of the validation and per-class draws (default: `seed`), so runs with other seeds can share them. */
  subsetSeed?: number;
  /** Turns the CoCoDiff branch on with these options. */
  cocodiff?: CoCoDiffOptions;
  textFile?: string;
  embeddingsFile?: string;
  /** Continue the run in `out` from its last checkpoint (the saved configuration wins; `epochs` may extend it). */
  resume?: boolean;
  /** No progress bars or per-epoch lines. */
  quiet?: boolean;
  /** Stops the run between steps; the last checkpoint stays valid for `--resume`. */
  signal?: AbortSignal;
  /** Called after each epoch's checkpoint is written. */
  onEpoch?: (m: EpochMetrics) => void;
}

export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  lr: number;
  /** Total training loss and its terms (mean over the epoch's steps). */
  loss: number;
  ceReal: number;
  ceGen?: number;
  fine?: number;
  coarse?: number;
  /** λ_gen of the epoch, after its warm-up. */
  lambdaGen?: number;
  trainTop1: number;
  /** On the validation split; absent when the run has none. */
  valLoss?: number;
  valTop1?: number;
  valTop5?: number;
  /** Wall time of the epoch (training and test) and the mean of its training steps. */
  seconds: number;
  msPerStep: number;
}

export interface RunConfig {
  data: string;
  width: number;
  blocks: number;
  modality: Modality;
  epochs: number;
  batch: number;
  frames: number;
  seed: number;
  valFraction: number;
  trainPerClass: number;
  /** Absent in runs from before the switch (they were augmented). */
  augment?: boolean;
  subsetSeed: number;
  preset: PresetName | null;
  schedule: LrSchedule;
  sgd: SgdOptions;
  /** Passes over the training subset per epoch (absent in runs from before it: 1). */
  repeat?: number;
  /** Whose feeder the preprocessing follows (absent in runs from before it: `ntu`). */
  protocol?: PreprocessProtocol;
  cocodiff: CoCoDiffOptions | null;
  textFile: string | null;
  embeddingsFile: string | null;
}

export interface Preset {
  width: number;
  blocks: number;
  frames: number;
  epochs: number;
  batch: number;
  schedule: (batch: number, epochs: number, lr?: number) => LrSchedule;
  /** Default: CTR-GCN's NTU recipe (CTRGCN_SGD). */
  sgd?: SgdOptions;
  /** Passes over the training subset per epoch (default 1). */
  repeat?: number;
  /** Default `ntu`. */
  protocol?: PreprocessProtocol;
  /** Default DEFAULT_VAL_FRACTION. */
  valFraction?: number;
  /**
   * The preset is the authors' recipe for its dataset, which the PyTorch reference of CoCoDiff trained
   * with unchanged (NTU's lr 0.1 at batch 64; NW-UCLA's 0.1 at batch 16), so --reference-settings keeps its rate.
   */
  authorsRecipe?: boolean;
}

/** The authors' NW-UCLA recipe (config/ucla/default.yaml): 65 epochs, 5 of warm-up, ×0.1 at epoch 50. */
const UCLA_EPOCHS = 65;

/**
 * The NW-UCLA schedule at lr 0.1 for batch 16 (scaled linearly with the batch). A shorter --epochs
 * keeps its shape: warm-up and the decay at the same fractions of the run (exact at 65 epochs).
 */
export function uclaSchedule(batch: number, epochs: number, lr?: number): LrSchedule {
  return {
    baseLr: lr ?? 0.1 * (batch / 16),
    warmupEpochs: Math.max(1, Math.round((5 * epochs) / UCLA_EPOCHS)),
    milestones: [Math.round((50 * epochs) / UCLA_EPOCHS)],
    decay: 0.1,
  };
}

/**
 * synth-quick: a quarter-width, 3-unit CTR-GCN on 32 frames with a short schedule (1 warm-up epoch,
 * ×0.1 for the last third of the epochs, so a longer --epochs stretches the schedule; 6 epochs:
 * ×0.1 before the last two), for `cocodiff synth` data on 2 CPU cores with the wasm backend.
 * ucla: the authors' NW-UCLA protocol and recipe (CTR-GCN, 52 frames, batch 16, SGD with weight
 * decay 1e-4, five passes over the training clips per epoch, preprocess-ucla.ts's transforms).
 */
export const PRESETS: Record<PresetName, Preset> = {
  'synth-quick': {
    width: 0.25,
    blocks: 3,
    frames: 32,
    epochs: 6,
    batch: 16,
    schedule: (batch, epochs, lr) => ({ baseLr: lr ?? 0.1 * (batch / 16), warmupEpochs: 1, milestones: [Math.round((2 * epochs) / 3)], decay: 0.1 }),
  },
  ucla: {
    width: 1,
    blocks: 10,
    frames: 52,
    epochs: UCLA_EPOCHS,
    batch: 16,
    schedule: uclaSchedule,
    sgd: { momentum: 0.9, weightDecay: 1e-4, nesterov: true },
    repeat: 5,
    protocol: 'ucla',
    // The authors train on all 1,020 training clips and keep no validation split: the last epoch is kept.
    valFraction: 0,
    authorsRecipe: true,
  },
};

/** A fifth of the training subjects: enough recordings to rank epochs, most of the data still trains. */
export const DEFAULT_VAL_FRACTION = 0.2;

export const RECIPE: Preset = { width: 1, blocks: 10, frames: 64, epochs: 65, batch: 64, schedule: (batch, _epochs, lr) => ctrgcnSchedule(batch, lr), authorsRecipe: true };

function framesOf(v: number): number {
  if (!Number.isInteger(v) || v < 1 || v > LIMITS.frames) throw new OptionError('frames', `expected an integer in 1..${LIMITS.frames}, found ${v}`);
  return v;
}

/**
 * The options of a `resume` that contradict the run being resumed: a resumed run keeps the
 * configuration it started with (that is what makes it equal to an uninterrupted run), so only
 * `epochs` (to extend it), `backend`, `threads` and `quiet` may differ. An option equal to the saved value is
 * no conflict. Returns one line per conflict, naming the option (by `name`), its value and the run's.
 */
export function resumeConflicts(o: TrainOptions, saved: RunConfig, name: OptionNamer): string[] {
  const out: string[] = [];
  const differs = (option: string, given: unknown, kept: unknown, what = ''): void => {
    if (given !== undefined && JSON.stringify(given) !== JSON.stringify(kept)) out.push(`${name(option)}${what} ${JSON.stringify(given)} (the run has ${JSON.stringify(kept)})`);
  };
  if (o.data && resolve(o.data) !== resolve(saved.data)) out.push(`${name('data')} ${o.data} (the run trains on ${saved.data})`);
  differs('width', o.width, saved.width);
  differs('blocks', o.blocks, saved.blocks);
  differs('frames', o.frames, saved.frames);
  differs('modality', o.modality, saved.modality);
  differs('batch', o.batch, saved.batch);
  differs('repeat', o.repeat, saved.repeat ?? 1);
  differs('augment', o.augment, saved.augment ?? true);
  differs('lr', o.lr, saved.schedule.baseLr);
  differs('seed', o.seed, saved.seed);
  differs('preset', o.preset, saved.preset ?? undefined);
  if (o.cocodiff !== undefined) differs('cocodiff', o.cocodiff, saved.cocodiff ?? 'off', ' (and its options)');
  differs('text', o.textFile, saved.textFile ?? undefined);
  differs('textEmbeddings', o.embeddingsFile, saved.embeddingsFile ?? undefined);
  return out;
}

export function resolveConfig(o: TrainOptions): RunConfig {
  const p = o.preset ? PRESETS[o.preset] : RECIPE;
  if (!p) throw new OptionError('preset', `expected one of ${Object.keys(PRESETS).join(', ')}, found "${o.preset}"`);
  const modality = o.modality ?? 'joint';
  if (!MODALITIES.includes(modality)) throw new OptionError('modality', `expected one of ${MODALITIES.join(', ')}, found "${modality}"`);
  const positiveInt = (v: number, option: string): number => {
    if (!Number.isInteger(v) || v < 1) throw new OptionError(option, `expected a positive integer, found ${v}`);
    return v;
  };
  const batch = positiveInt(o.batch ?? p.batch, 'batch');
  const epochs = positiveInt(o.epochs ?? p.epochs, 'epochs');
  if (o.lr !== undefined && !(o.lr > 0)) throw new OptionError('lr', `expected a positive number, found ${o.lr}`);
  const width = o.width ?? p.width;
  if (!(width > 0)) throw new OptionError('width', `expected a positive number, found ${width}`);
  return {
    data: o.data,
    width,
    blocks: positiveInt(o.blocks ?? p.blocks, 'blocks'),
    modality,
    epochs,
    batch,
    frames: framesOf(o.frames ?? p.frames),
    seed: o.seed ?? 1,
    valFraction: o.valFraction ?? p.valFraction ?? DEFAULT_VAL_FRACTION,
    trainPerClass: o.trainPerClass ?? 0,
    augment: o.augment ?? true,
    subsetSeed: o.subsetSeed ?? o.seed ?? 1,
    preset: o.preset ?? null,
    schedule: p.schedule(batch, epochs, o.lr),
    sgd: p.sgd ?? CTRGCN_SGD,
    repeat: positiveInt(o.repeat ?? p.repeat ?? 1, 'repeat'),
    protocol: p.protocol ?? 'ntu',
    cocodiff: o.cocodiff ?? null,
    textFile: o.textFile ?? null,
    embeddingsFile: o.embeddingsFile ?? null,
  };
}

/** Where a run keeps its files. */
export function runPaths(runDir: string) {
  return {
    run: join(runDir, 'run.json'),
    last: join(runDir, 'checkpoints', 'last'),
    best: join(runDir, 'checkpoints', 'best'),
    metrics: join(runDir, 'metrics.jsonl'),
    curves: join(runDir, 'curves.svg'),
    artifact: join(runDir, 'artifact'),
    result: join(runDir, 'result.json'),
  };
}

/** RUN_DIR/run.json: the configuration plus what the run learned from its dataset at the start. */
export interface RunFile {
  config: RunConfig;
  model: ModelSpec;
  classes: string[];
  dataset: { dir: string; source: string; benchmark: string | null };
  /** Median valid-frame count of the training recordings: the streaming window of an exported model. */
  recordingFrames?: number;
  backend: string;
  started: string;
}

export async function readRunFile(runDir: string): Promise<RunFile> {
  const path = runPaths(runDir).run;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError(`${runDir}: not a training run (no run.json, which every run directory holds)`);
  }
  return parseJson(text, path) as RunFile;
}
