/**
 * The training loop: CTR-GCN (+ the CoCoDiff branch when asked) on a dataset cache, with the
 * authors' recipe, a checkpoint per epoch, metrics, plots and the model artifact at the end.
 *
 * Reproducibility: the model is initialised from the seed; sample order and augmentation come from
 * one Rng whose state is checkpointed after every epoch; the optimiser's momentum buffers and the
 * branch's state are checkpointed too. A resumed run therefore computes exactly what an
 * uninterrupted one does (bit-identical on the same backend).
 */
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '../../common/artifact.ts';
import { writeFileAtomic } from '../../common/atomic.ts';
import { OptionError, UserError, type OptionNamer } from '../../common/errors.ts';
import { LAYOUTS } from '../../common/layouts.ts';
import { progress } from '../../common/progress.ts';
import { Rng } from '../../common/rng.ts';
import { selectBackend } from '../backend.ts';
import { createCoCoDiffBranch, lossWeights, weightedLoss } from '../cocodiff/index.ts';
import type { CoCoDiffBranch, LossWeights } from '../cocodiff/types.ts';
import { batchCount, batches, type Batch } from '../data/batches.ts';
import { readCache } from '../data/cache.ts';
import { trainSubsets } from '../data/subsets.ts';
import { DEFAULT_TEST_CROP_RATIO } from '../data/preprocess.ts';
import { CtrGcnModel, ctrgcnConfig, type ModelSpec } from '../model/ctrgcn.ts';
import { hasCheckpoint, readCheckpoint, writeCheckpoint, type StateTensor, type TensorGroups } from './run-state.ts';
import { resolveConfig, resumeConflicts, readRunFile, runPaths, type EpochMetrics, type RunFile, type TrainOptions } from './config.ts';
import { exportRun } from './export.ts';
import { argmax, classificationReport, meanCrossEntropy } from './metrics.ts';
import { curvesSvg, writeConfusion } from './plots.ts';
import { predict } from './predict.ts';
import { learningRate } from './schedule.ts';
import { Sgd } from './optimizer.ts';
import { Adam } from './adam.ts';

export interface TrainResult {
  runDir: string;
  artifactDir: string;
  /** The epoch whose weights the artifact holds, and why it was chosen. */
  chosen: Selection;
  /** The test split, scored once at the end with the chosen epoch's weights. */
  test: TestScore;
  /** Wall time of the run's epochs and its final test, summed over every session of a resumed run. */
  wallSeconds: number;
  /** Mean time of one optimisation step (forward, backward, update), over the run's epochs. */
  msPerStep: number;
}

/** The epoch selection: by validation top-1 (ties: lower validation loss, then the earlier epoch). */
export interface Selection {
  epoch: number;
  reason: string;
  valTop1: number | null;
  valLoss: number | null;
}

export interface TestScore {
  samples: number;
  top1: number;
  top5: number;
  loss: number;
  seconds: number;
}

/** RUN_DIR/result.json: what the run trained on, the chosen epoch and its one test score. */
export interface RunResult {
  trainSamples: number;
  valSamples: number;
  valSubjects: string[];
  chosen: Selection;
  test: TestScore;
}

/** What checkpoints/last/state.json holds besides the tensors. */
export interface TrainState {
  /** Epochs completed. */
  epoch: number;
  rng: number[];
  best: EpochMetrics | null;
  history: EpochMetrics[];
}

/** Whether epoch `m` beats the best so far on the validation split (no split: every later epoch does). */
export function betterOnValidation(m: EpochMetrics, best: EpochMetrics | null): boolean {
  if (!best || m.valTop1 === undefined || best.valTop1 === undefined) return true;
  return m.valTop1 > best.valTop1 || (m.valTop1 === best.valTop1 && m.valLoss! < best.valLoss!);
}

function describeSelection(best: EpochMetrics, history: EpochMetrics[]): Selection {
  if (best.valTop1 === undefined) {
    return { epoch: best.epoch, reason: `no validation split (--val-fraction 0), so the last epoch (${best.epoch} of ${history.length})`, valTop1: null, valLoss: null };
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const tied = history.filter((m) => m.valTop1 === best.valTop1 && m.epoch !== best.epoch).map((m) => m.epoch);
  const reason =
    `highest validation top-1 of ${history.length} epochs (${pct(best.valTop1)}` +
    (tied.length > 0 ? `, tied with epoch${tied.length > 1 ? 's' : ''} ${tied.join(', ')}; lowest validation loss ${best.valLoss!.toFixed(4)})` : ')');
  return { epoch: best.epoch, reason, valTop1: best.valTop1, valLoss: best.valLoss! };
}

type LossTerms = { loss: number; ceReal: number; ceGen?: number; fine?: number; coarse?: number };

/** Mean softmax cross-entropy, written with ops whose gradients exist on every backend. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const target = tf.cast(tf.oneHot(labels, logits.shape[1]), 'float32');
    return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/** The branch's state as plain arrays (and its tensors disposed). */
function branchState(branch: CoCoDiffBranch | null): Map<string, StateTensor> {
  const out = new Map<string, StateTensor>();
  if (!branch) return out;
  for (const [name, t] of branch.state()) {
    out.set(name, { shape: [...t.shape], data: t.dtype === 'int32' ? (t.dataSync() as Int32Array) : (t.dataSync() as Float32Array) });
    t.dispose();
  }
  return out;
}

function toTf(m: Map<string, StateTensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, t] of m) out.set(name, tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32'));
  return out;
}

/** The optimisers of one run: the backbone's SGD (its schedule's rate each epoch) and the branch's own. */
interface Optimisers {
  sgd: Sgd;
  branch: Adam | null;
}

/** Forward, backward and update on one batch. Returns the loss terms and the batch's correct count, or null on a non-finite loss (nothing updated). */
function trainStep(model: CtrGcnModel, branch: CoCoDiffBranch | null, weights: LossWeights | null, opt: Optimisers, b: Batch, lr: number): { terms: LossTerms; correct: number } | null {
  const { C, T, V, M } = model.spec.input;
  const k = model.spec.numClasses;
  const x = tf.tensor(b.x, [b.size, C, T, V, M]);
  const y = tf.tensor1d(b.labels, 'int32');
  const kept: Record<string, tf.Tensor> = {};
  try {
    const { value, grads } = tf.variableGrads(() => {
      const f = model.features(x, true);
      const logits = model.classify(f, true);
      const ceReal = crossEntropy(logits, y);
      kept.logits = tf.keep(logits);
      kept.ceReal = tf.keep(ceReal);
      if (!branch || !weights) return ceReal;
      // Generated features are classified without dropout: they are noisy already, and the model's
      // dropout stream then stays the baseline's.
      const l = branch.losses(f, y, (g) => model.classify(g, false));
      kept.ceGen = tf.keep(l.ceGen);
      kept.fine = tf.keep(l.fine);
      kept.coarse = tf.keep(l.coarse);
      const extra = weightedLoss(l, weights);
      return extra ? (tf.add(ceReal, extra) as tf.Scalar) : ceReal;
    }, [...opt.sgd.variables, ...(opt.branch?.variables ?? [])]);
    const loss = value.dataSync()[0];
    const finite = Number.isFinite(loss);
    if (finite) {
      opt.sgd.step(grads, lr);
      opt.branch?.step(grads);
    }
    const scalar = (t?: tf.Tensor): number | undefined => (t ? t.dataSync()[0] : undefined);
    const terms = { loss, ceReal: scalar(kept.ceReal)!, ceGen: scalar(kept.ceGen), fine: scalar(kept.fine), coarse: scalar(kept.coarse) };
    const logits = kept.logits.dataSync() as Float32Array;
    value.dispose(); // may be kept.ceReal itself: read everything first
    tf.dispose(grads);
    if (!finite) return null;
    let correct = 0;
    for (let i = 0; i < b.size; i++) if (argmax(logits, k, i) === b.labels[i]) correct++;
    return { terms, correct };
  } finally {
    tf.dispose([x, y, ...Object.values(kept)]);
  }
}

export async function runTraining(opts: TrainOptions): Promise<TrainResult> {
  const runDir = resolve(opts.out);
  const paths = runPaths(runDir);
  const log = opts.quiet ? () => {} : (line: string) => console.error(line);
  const resumable = await hasCheckpoint(paths.last);
  if (opts.resume && !resumable) throw new UserError(`${runDir}: nothing to resume (no checkpoints/last/state.json)`);
  if (!opts.resume && resumable) throw new OptionError('out', (name) => `${runDir} already holds a training run; continue it with ${name('resume')}, or choose another ${name('out')}`);

  let run: RunFile;
  if (opts.resume) {
    run = await readRunFile(runDir);
    const conflicts = (name: OptionNamer) => resumeConflicts(opts, run.config, name);
    if (conflicts((o) => o).length > 0) {
      throw new OptionError('resume', (name) => `${runDir} continues the run as it was configured; these options differ from it: ${conflicts(name).join(', ')}. Only ${name('epochs')}, ${name('backend')} and ${name('quiet')} may change; start a new run (${name('out')}) to change the others`);
    }
    if (opts.epochs !== undefined) {
      if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new OptionError('epochs', `expected a positive integer, found ${opts.epochs}`);
      run.config.epochs = opts.epochs;
    }
  } else {
    const config = resolveConfig(opts);
    const cacheIndex = (await readCache(config.data)).index;
    const layout = LAYOUTS[cacheIndex.layout];
    const model: ModelSpec = {
      backbone: ctrgcnConfig({ width: config.width, blocks: config.blocks, inChannels: cacheIndex.coords }),
      input: { C: cacheIndex.coords, T: config.frames, V: layout.joints.length, M: cacheIndex.persons },
      layout: layout.name,
      numClasses: cacheIndex.classes.length,
    };
    // The units' temporal strides halve T; a T they do not divide would only fail in `compile`.
    const totalStride = model.backbone.strides.reduce((a, s) => a * s, 1);
    if (config.frames % totalStride !== 0) {
      const near = [Math.floor(config.frames / totalStride), Math.ceil(config.frames / totalStride)].map((k) => Math.max(1, k) * totalStride);
      throw new OptionError('frames', `${config.frames} frames do not divide by the model's total temporal stride ${totalStride} (units with stride 2: ${model.backbone.strides.filter((s) => s === 2).length}); use a multiple of ${totalStride}, e.g. ${[...new Set(near)].join(' or ')}`);
    }
    const lengths = cacheIndex.splits.train.samples.map((s) => s.frames).sort((a, b) => a - b);
    run = {
      config, model, classes: cacheIndex.classes,
      dataset: { dir: resolve(config.data), source: cacheIndex.source, benchmark: cacheIndex.benchmark },
      recordingFrames: lengths[lengths.length >> 1], backend: '', started: new Date().toISOString(),
    };
  }
  const { config } = run;
  const backend = await selectBackend(opts.backend ?? 'auto');
  log(`backend: ${backend}`);
  run.backend = backend;

  const cache = await readCache(config.data);
  const layout = LAYOUTS[cache.index.layout];
  if (cache.index.classes.join('\n') !== run.classes.join('\n')) throw new UserError(`${config.data}: its classes differ from those the run in ${runDir} started with`);
  if (cache.index.splits.train.samples.length === 0) throw new UserError(`${config.data}: the train split is empty`);
  if (cache.index.splits.test.samples.length === 0) throw new UserError(`${config.data}: the test split is empty; a run is scored on it once, at the end`);
  // Runs from before the validation split had none.
  const subsets = trainSubsets(cache.index.splits.train.samples, { valFraction: config.valFraction ?? 0, perClass: config.trainPerClass ?? 0, seed: config.subsetSeed ?? config.seed });
  const trainCount = subsets.train.length;
  if (trainCount === 0) throw new OptionError('valFraction', `${config.valFraction} leaves no training recordings in ${config.data} after holding out ${subsets.valSubjects.length} validation subjects`);
  log(`train ${trainCount} recordings, validation ${subsets.val.length} (subjects ${subsets.valSubjects.join(' ') || 'none'}), test ${cache.index.splits.test.samples.length} (scored once, at the end)`);

  const model = CtrGcnModel.create(run.model, config.seed);
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
  // Sample order and augmentation only; the weights are initialised from the seed by the model.
  let rng = new Rng(config.seed);
  let state: TrainState = { epoch: 0, rng: rng.state(), best: null, history: [] };

  const groups = (): TensorGroups => ({
    model: model.namedWeights(),
    optimizer: opt.sgd.state(),
    ...(branch ? { branch: branchState(branch), branchOptimizer: opt.branch!.state() } : {}),
  });
  if (opts.resume) {
    const ck = await readCheckpoint<TrainState>(paths.last);
    model.loadNamedWeights(ck.groups.model as Map<string, Tensor>, paths.last);
    opt.sgd.restore(ck.groups.optimizer as Map<string, Tensor>);
    if (branch) {
      const restored = toTf(ck.groups.branch ?? new Map());
      branch.restore(restored);
      tf.dispose([...restored.values()]);
      opt.branch!.restore((ck.groups.branchOptimizer ?? new Map()) as Map<string, Tensor>);
    }
    state = ck.state;
    rng = new Rng(state.rng);
    log(`resuming ${runDir} after epoch ${state.epoch}`);
  }
  await writeFileAtomic(paths.run, JSON.stringify(run, null, 2) + '\n');
  if (!opts.resume) {
    // Epoch 0: the initial weights, so even a failure in the first epoch leaves a good checkpoint.
    await writeCheckpoint(paths.last, state, groups());
  }

  const pre = { frames: run.model.input.T, persons: run.model.input.M, modality: config.modality, layout };
  const testPre = { ...pre, cropRatio: DEFAULT_TEST_CROP_RATIO };
  const dropLast = trainCount >= config.batch; // as CTR-GCN: no tiny last batch for batch-norm
  const stepsPerEpoch = batchCount(cache, 'train', config.batch, dropLast, subsets.train);
  let result: RunResult;
  try {
    for (let epoch = state.epoch; epoch < config.epochs; epoch++) {
      const epochStart = performance.now();
      const lr = learningRate(config.schedule, epoch);
      const weights = config.cocodiff ? lossWeights(config.cocodiff, epoch) : null;
      const bar = opts.quiet ? undefined : progress(`epoch ${epoch + 1}/${config.epochs}`, stepsPerEpoch);
      const sums: Required<LossTerms> = { loss: 0, ceReal: 0, ceGen: 0, fine: 0, coarse: 0 };
      let correct = 0;
      let seen = 0;
      let step = 0;
      let stepMs = 0;
      for (const b of batches(cache, 'train', { batchSize: config.batch, shuffle: true, rng, dropLast, indices: subsets.train, preprocess: { ...pre, train: true } })) {
        if (opts.signal?.aborted) throw new UserError(`interrupted at epoch ${epoch + 1} step ${step + 1}; continue with \`cocodiff train --resume --out ${runDir}\` (last checkpoint: after epoch ${state.epoch})`);
        const t = performance.now();
        const r = trainStep(model, branch, weights, opt, b, lr);
        stepMs += performance.now() - t;
        step++;
        if (!r) throw new UserError(`non-finite loss at epoch ${epoch + 1} step ${step}; last good checkpoint kept at ${paths.last} (after epoch ${state.epoch})`);
        for (const key of Object.keys(sums) as Array<keyof LossTerms>) sums[key] += (r.terms[key] ?? 0) * b.size;
        correct += r.correct;
        seen += b.size;
        const elapsed = (performance.now() - epochStart) / 1000;
        bar?.update(step, { loss: (sums.loss / seen).toFixed(3), acc: (correct / seen).toFixed(3), 'samples/s': (seen / elapsed).toFixed(1) });
      }
      bar?.stop();

      let val: Partial<EpochMetrics> = {};
      if (subsets.val.length > 0) {
        const p = await predict(model, cache, 'train', testPre, config.batch, undefined, subsets.val);
        const report = classificationReport(p.logits, p.labels, p.numClasses);
        val = { valLoss: meanCrossEntropy(p.logits, p.labels, p.numClasses), valTop1: report.top1, valTop5: report.top5 };
      }
      const mean = (v: number): number => v / seen;
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        lr,
        loss: mean(sums.loss),
        ceReal: mean(sums.ceReal),
        ...(branch ? { ceGen: mean(sums.ceGen), fine: mean(sums.fine), coarse: mean(sums.coarse), lambdaGen: weights!.gen } : {}),
        trainTop1: correct / seen,
        ...val,
        seconds: (performance.now() - epochStart) / 1000,
        msPerStep: stepMs / Math.max(step, 1),
      };
      const improved = betterOnValidation(metrics, state.best);
      state = { epoch: epoch + 1, rng: rng.state(), best: improved ? metrics : state.best, history: [...state.history, metrics] };
      if (improved) await writeCheckpoint(paths.best, { epoch: epoch + 1, metrics }, { model: model.namedWeights() });
      await writeCheckpoint(paths.last, state, groups());
      await writeFileAtomic(paths.metrics, state.history.map((m) => JSON.stringify(m)).join('\n') + '\n');
      await writeFileAtomic(paths.curves, curvesSvg(state.history));
      const terms = branch ? `  ce ${metrics.ceReal.toFixed(4)}  ce_gen ${metrics.ceGen!.toFixed(4)}  fine ${metrics.fine!.toFixed(4)}  coarse ${metrics.coarse!.toFixed(4)}` : '';
      const valText = metrics.valTop1 !== undefined ? `  val top-1 ${(100 * metrics.valTop1).toFixed(1)} %  loss ${metrics.valLoss!.toFixed(4)}` : '';
      log(`epoch ${metrics.epoch}/${config.epochs}  lr ${lr.toPrecision(3)}  loss ${metrics.loss.toFixed(4)}${terms}  train ${(100 * metrics.trainTop1).toFixed(1)} %${valText}  ${metrics.seconds.toFixed(1)} s`);
      opts.onEpoch?.(metrics);
    }
    if (!state.best) throw new OptionError('epochs', `no epoch was trained in ${runDir} with ${config.epochs}`);

    // The test split, once: the chosen epoch's weights, nothing selected on it.
    const chosen = describeSelection(state.best, state.history);
    const testStart = performance.now();
    const best = await readCheckpoint<{ epoch: number }>(paths.best);
    model.loadNamedWeights(best.groups.model as Map<string, Tensor>, paths.best);
    const p = await predict(model, cache, 'test', testPre, config.batch);
    const report = classificationReport(p.logits, p.labels, p.numClasses);
    await writeConfusion(runDir, report, run.classes, `test, epoch ${chosen.epoch} (chosen on validation)`);
    const test: TestScore = { samples: report.samples, top1: report.top1, top5: report.top5, loss: meanCrossEntropy(p.logits, p.labels, p.numClasses), seconds: (performance.now() - testStart) / 1000 };
    result = { trainSamples: trainCount, valSamples: subsets.val.length, valSubjects: subsets.valSubjects, chosen, test };
    await writeFileAtomic(paths.result, JSON.stringify(result, null, 2) + '\n');
  } finally {
    opt.sgd.dispose();
    opt.branch?.dispose();
    branch?.dispose();
    model.dispose();
  }

  // The run's own artifact: replaced by every (resumed) session that finishes.
  await exportRun(runDir, paths.artifact, 'best', { force: true });
  return {
    runDir,
    artifactDir: paths.artifact,
    chosen: result.chosen,
    test: result.test,
    // Over the whole run, earlier sessions of a resumed run included.
    wallSeconds: state.history.reduce((sum, m) => sum + m.seconds, 0) + result.test.seconds,
    msPerStep: state.history.reduce((sum, m) => sum + m.msPerStep, 0) / state.history.length,
  };
}
