/**
 * Writes the model artifact of a run: the backbone and classifier weights of the best (or last)
 * epoch, named as the official CTR-GCN state_dict, with everything the compiler and the runtime
 * need to preprocess input the way training did. The CoCoDiff branch never enters an artifact:
 * only the checkpoint's `model` group is read.
 */
import { withDirLock } from '../../common/dir-lock.ts';
import { writeArtifact, type ModelJson, type Tensor } from '../../common/artifact.ts';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { DEFAULT_TEST_CROP_RATIO } from '../data/preprocess.ts';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { readCheckpoint } from './run-state.ts';
import { readRunFile, runPaths, type EpochMetrics } from './config.ts';
import type { RunResult } from './final-score.ts';

export type ExportEpoch = 'best' | 'last';

interface SavedMetrics {
  epoch: number;
  metrics?: EpochMetrics;
  history?: EpochMetrics[];
  best?: EpochMetrics | null;
}

/**
 * `force` replaces an earlier artifact at outDir (never anything else, and never a directory holding
 * the run). Holds the run's lock (common/dir-lock.ts): a training of the run replaces its checkpoints
 * while they would be read, and the artifact usually goes into the run (RUN/artifact).
 */
export async function exportRun(runDir: string, outDir: string, which: ExportEpoch = 'best', opts: { force?: boolean } = {}): Promise<ModelJson> {
  return withDirLock(runDir, () => writeRunArtifact(runDir, outDir, which, opts), { readerOfReadOnly: true });
}

/** exportRun without taking the lock: for `train`, which holds it already. */
export async function writeRunArtifact(runDir: string, outDir: string, which: ExportEpoch = 'best', opts: { force?: boolean } = {}): Promise<ModelJson> {
  if (which !== 'best' && which !== 'last') throw new OptionError('epoch', `expected best or last, found "${which}"`);
  const run = await readRunFile(runDir);
  const paths = runPaths(runDir);
  const ck = await readCheckpoint<SavedMetrics>(which === 'best' ? paths.best : paths.last).catch((err: Error) => {
    throw new UserError(`${runDir}: no ${which} checkpoint to export (${err.message})`);
  });
  if (ck.state.epoch === 0) throw new UserError(`${runDir}: no epoch has finished yet; nothing trained to export`);
  const weights = ck.groups.model;
  if (!weights || weights.size === 0 || [...weights.values()].some((t) => !(t.data instanceof Float32Array))) {
    throw new UserError(`${runDir}: the ${which} checkpoint holds no float32 model weights`);
  }
  const epochMetrics = ck.state.metrics ?? ck.state.history?.[ck.state.history.length - 1];
  // The test score belongs to the chosen (best-on-validation) epoch only: it was taken once, on it.
  const result = existsSync(paths.result) ? (JSON.parse(await readFile(paths.result, 'utf8')) as RunResult) : null;
  const scored = result && result.chosen.epoch === ck.state.epoch ? result : null;
  const { config, model } = run;
  return writeArtifact(
    outDir,
    {
      backbone: model.backbone,
      layout: model.layout,
      input: model.input,
      modality: config.modality,
      // Runs from before recordingFrames was kept stream the model's own T frames.
      preprocessing: { windowFrames: run.recordingFrames ?? model.input.T, testCropRatio: DEFAULT_TEST_CROP_RATIO, centre: true, protocol: config.protocol ?? 'ntu' },
      classes: run.classes,
      provenance: {
        trainer: 'cocodiff train',
        dataset: run.dataset,
        epoch: ck.state.epoch,
        exported: which,
        epochs: config.epochs,
        seed: config.seed,
        preset: config.preset,
        width: config.width,
        blocks: config.blocks,
        batch: config.batch,
        schedule: config.schedule,
        optimizer: config.sgd,
        cocodiff: config.cocodiff,
        valFraction: config.valFraction ?? 0,
        trainPerClass: config.trainPerClass ?? 0,
        ...(scored ? { selection: scored.chosen, trainSamples: scored.trainSamples, valSamples: scored.valSamples } : {}),
        backend: run.backend,
        started: run.started,
        exportedAt: new Date().toISOString(),
      },
      metrics: {
        ...(epochMetrics ? { trainTop1: epochMetrics.trainTop1, valTop1: epochMetrics.valTop1, valTop5: epochMetrics.valTop5, valLoss: epochMetrics.valLoss } : {}),
        ...(scored ? { testTop1: scored.test.top1, testTop5: scored.test.top5, testLoss: scored.test.loss } : {}),
      },
    },
    weights as Map<string, Tensor>,
    { force: opts.force, inputs: [runDir] },
  );
}
