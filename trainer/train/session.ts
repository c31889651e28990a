/**
 * One session of a training run (a resumed run has several): its dataset with the train/validation
 * subsets, the model, the CoCoDiff branch and their optimisers, and the progress (TrainState) that
 * every checkpoint saves with their tensors.
 */
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import { Rng } from '../../common/rng.ts';
import { createCoCoDiffBranch } from '../cocodiff/index.ts';
import type { CoCoDiffBranch } from '../cocodiff/types.ts';
import { batchCount } from '../data/batches.ts';
import { readCache, type Cache } from '../data/cache.ts';
import { DEFAULT_TEST_CROP_RATIO, type PreprocessOptions } from '../data/preprocess.ts';
import { trainSubsets, type TrainSubsets } from '../data/subsets.ts';
import { CtrGcnModel } from '../model/ctrgcn.ts';
import { Adam } from './adam.ts';
import type { EpochMetrics, RunFile, TrainOptions, runPaths } from './config.ts';
import { Sgd } from './optimizer.ts';
import type { TestPreprocess } from './predict.ts';
import type { StateTensor, TensorGroups } from './run-state.ts';
import type { Optimisers } from './step.ts';

/** What checkpoints/last/state.json holds besides the tensors. */
export interface TrainState {
  /** Epochs completed. */
  epoch: number;
  rng: number[];
  best: EpochMetrics | null;
  history: EpochMetrics[];
}

/** Everything the epochs and the final score work on, opened once per session. */
export interface Session {
  runDir: string;
  paths: ReturnType<typeof runPaths>;
  run: RunFile;
  opts: TrainOptions;
  log: (line: string) => void;
  data: TrainingData;
  model: CtrGcnModel;
  branch: CoCoDiffBranch | null;
  opt: Optimisers;
}

/** The dataset cache as the run reads it: which train-split recordings train and which validate, and how they are preprocessed. */
export interface TrainingData {
  cache: Cache;
  subsets: TrainSubsets;
  /** One epoch's training samples: the train subset, `repeat` times over (the shuffle mixes the passes, as the authors' repeated dataset). */
  epochSamples: number[];
  /** Preprocessing of training batches: augmented (`train: true`), or the test transform with --no-augment. */
  trainPre: PreprocessOptions;
  /** Preprocessing of the validation and test splits. */
  testPre: TestPreprocess;
  dropLast: boolean;
  stepsPerEpoch: number;
}

/** Opens the run's dataset and creates its model, branch and optimisers (the model and branch initialised from the seed). */
export async function openSession(run: RunFile, where: Pick<Session, 'runDir' | 'paths' | 'opts' | 'log'>): Promise<Session> {
  const data = await openData(run, where.runDir, where.log);
  const model = CtrGcnModel.create(run.model, run.config.seed);
  const { branch, opt } = await createBranchAndOptimisers(run, where.runDir, model);
  return { ...where, run, data, model, branch, opt };
}

async function openData(run: RunFile, runDir: string, log: (line: string) => void): Promise<TrainingData> {
  const { config } = run;
  const cache = await readCache(config.data);
  const layout = LAYOUTS[cache.index.layout];
  if (cache.index.classes.join('\n') !== run.classes.join('\n')) throw new UserError(`${config.data}: its classes differ from those the run in ${runDir} started with`);
  if (cache.index.splits.train.samples.length === 0) throw new UserError(`${config.data}: the train split is empty`);
  if (cache.index.splits.test.samples.length === 0) throw new UserError(`${config.data}: the test split is empty; a run is scored on it once, at the end`);
  // Runs from before the validation split had none.
  const subsets = trainSubsets(cache.index.splits.train.samples, { valFraction: config.valFraction ?? 0, perClass: config.trainPerClass ?? 0, seed: config.subsetSeed ?? config.seed });
  const trainCount = subsets.train.length;
  if (trainCount === 0) throw new OptionError('valFraction', `${config.valFraction} leaves no training recordings in ${config.data} after holding out ${subsets.valSubjects.length} validation subjects`);
  log(`train ${trainCount} recordings${(config.repeat ?? 1) > 1 ? ` (${config.repeat} passes per epoch)` : ''}, validation ${subsets.val.length} (subjects ${subsets.valSubjects.join(' ') || 'none'}), test ${cache.index.splits.test.samples.length} (scored once, at the end)`);
  const pre = { frames: run.model.input.T, persons: run.model.input.M, modality: config.modality, layout, protocol: config.protocol ?? 'ntu' };
  const testPre = { ...pre, cropRatio: DEFAULT_TEST_CROP_RATIO };
  const epochSamples = Array.from({ length: config.repeat ?? 1 }, () => subsets.train).flat();
  const dropLast = epochSamples.length >= config.batch; // as CTR-GCN: no tiny last batch for batch-norm
  return {
    cache, subsets, epochSamples,
    // Runs from before the switch were all augmented.
    trainPre: config.augment !== false ? { ...pre, train: true } : { ...testPre, train: false },
    testPre,
    dropLast,
    stepsPerEpoch: batchCount(cache, 'train', config.batch, dropLast, epochSamples),
  };
}

async function createBranchAndOptimisers(run: RunFile, runDir: string, model: CtrGcnModel): Promise<Pick<Session, 'branch' | 'opt'>> {
  const { config } = run;
  const branch = config.cocodiff
    ? await createCoCoDiffBranch(config.cocodiff, {
        featureDim: model.featureDim,
        classes: run.classes,
        runDir,
        seed: config.seed,
        textFile: config.textFile ?? undefined,
        embeddingsFile: config.embeddingsFile ?? undefined,
      })
    : null;
  const opt: Optimisers = {
    sgd: new Sgd(model.trainableVariables(), config.sgd, model.trainableNames()),
    branch: branch && config.cocodiff
      ? new Adam(branch.trainable(), { lr: config.cocodiff.lr, weightDecay: config.cocodiff.optimizer === 'adamw' ? config.cocodiff.weightDecay : 0 }, branch.noDecay)
      : null,
  };
  return { branch, opt };
}

/** A new run's progress: no epoch yet; the Rng (sample order and augmentation only) seeded from the run's seed. */
export function initialState(seed: number): TrainState {
  return { epoch: 0, rng: new Rng(seed).state(), best: null, history: [] };
}

/** The tensors a checkpoint saves: weights, optimiser state, and the branch with its optimiser. */
export async function checkpointGroups(s: Session): Promise<TensorGroups> {
  return {
    model: await s.model.namedWeights(),
    optimizer: await s.opt.sgd.state(),
    ...(s.branch ? { branch: await branchState(s.branch), branchOptimizer: await s.opt.branch!.state() } : {}),
  };
}

/** The branch's state as plain arrays (and its tensors disposed). */
async function branchState(branch: CoCoDiffBranch): Promise<Map<string, StateTensor>> {
  const out = new Map<string, StateTensor>();
  for (const [name, t] of branch.state()) {
    const data = await t.data();
    out.set(name, { shape: [...t.shape], data: t.dtype === 'int32' ? (data as Int32Array) : (data as Float32Array) });
    t.dispose();
  }
  return out;
}

export function disposeSession(s: Session): void {
  s.opt.sgd.dispose();
  s.opt.branch?.dispose();
  s.branch?.dispose();
  s.model.dispose();
}
