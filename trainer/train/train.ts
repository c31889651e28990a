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
import { UserError } from '../../common/errors.ts';
import { LAYOUTS } from '../../common/layouts.ts';
import { progress } from '../../common/progress.ts';
import { Rng } from '../../common/rng.ts';
import { selectBackend } from '../backend.ts';
import { createCoCoDiffBranch, weightedLoss } from '../cocodiff/index.ts';
import type { CoCoDiffBranch } from '../cocodiff/types.ts';
import { batchCount, batches, type Batch } from '../data/batches.ts';
import { readCache } from '../data/cache.ts';
import { DEFAULT_TEST_CROP_RATIO } from '../data/preprocess.ts';
import { CtrGcnModel, ctrgcnConfig, type ModelSpec } from '../model/ctrgcn.ts';
import { hasCheckpoint, readCheckpoint, writeCheckpoint, type StateTensor, type TensorGroups } from './checkpoint.ts';
import { resolveConfig, readRunFile, runPaths, type EpochMetrics, type RunFile, type TrainOptions } from './config.ts';
import { exportRun } from './export.ts';
import { argmax, classificationReport, meanCrossEntropy } from './metrics.ts';
import { curvesSvg, writeConfusion } from './plots.ts';
import { predict } from './predict.ts';
import { learningRate } from './schedule.ts';
import { Sgd } from './optimizer.ts';

export interface TrainResult {
  runDir: string;
  artifactDir: string;
  bestTop1: number;
  lastTop1: number;
  /** Wall time of the run's epochs, summed over every session of a resumed run. */
  wallSeconds: number;
  /** Mean time of one optimisation step (forward, backward, update), over the run's epochs. */
  msPerStep: number;
}

/** What checkpoints/last/state.json holds besides the tensors. */
export interface TrainState {
  /** Epochs completed. */
  epoch: number;
  rng: number[];
  best: EpochMetrics | null;
  history: EpochMetrics[];
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

/** Forward, backward and update on one batch. Returns the loss terms and the batch's correct count, or null on a non-finite loss (nothing updated). */
function trainStep(model: CtrGcnModel, branch: CoCoDiffBranch | null, sgd: Sgd, b: Batch, lr: number): { terms: LossTerms; correct: number } | null {
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
      if (!branch) return ceReal;
      const l = branch.losses(f, y, (g) => model.classify(g, true));
      kept.ceGen = tf.keep(l.ceGen);
      kept.fine = tf.keep(l.fine);
      kept.coarse = tf.keep(l.coarse);
      return tf.add(ceReal, weightedLoss(l, branch.options)) as tf.Scalar;
    }, sgd.variables);
    const loss = value.dataSync()[0];
    const finite = Number.isFinite(loss);
    if (finite) sgd.step(grads, lr);
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
  if (!opts.resume && resumable) throw new UserError(`${runDir}: already holds a training run; continue it with --resume, or choose another --out`);

  let run: RunFile;
  if (opts.resume) {
    run = await readRunFile(runDir);
    if (opts.epochs !== undefined) {
      if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new UserError(`--epochs: expected a positive integer, found ${opts.epochs}`);
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
  const trainCount = cache.index.splits.train.samples.length;
  if (trainCount === 0) throw new UserError(`${config.data}: the train split is empty`);
  if (cache.index.splits.test.samples.length === 0) throw new UserError(`${config.data}: the test split is empty; training reports test accuracy every epoch`);

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
  const branchVariables = branch?.trainableVariables() ?? [];
  const sgd = new Sgd(
    [...model.trainableVariables(), ...branchVariables],
    config.sgd,
    [...model.trainableNames(), ...branchVariables.map((_, i) => `cocodiff/${i}`)],
  );
  // Sample order and augmentation only; the weights are initialised from the seed by the model.
  let rng = new Rng(config.seed);
  let state: TrainState = { epoch: 0, rng: rng.state(), best: null, history: [] };

  const groups = (): TensorGroups => ({ model: model.namedWeights(), optimizer: sgd.state(), branch: branchState(branch) });
  if (opts.resume) {
    const ck = await readCheckpoint<TrainState>(paths.last);
    model.loadNamedWeights(ck.groups.model as Map<string, Tensor>, paths.last);
    sgd.restore(ck.groups.optimizer as Map<string, Tensor>);
    if (branch) {
      const restored = toTf(ck.groups.branch ?? new Map());
      branch.restore(restored);
      tf.dispose([...restored.values()]);
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
  const dropLast = trainCount >= config.batch; // as CTR-GCN: no tiny last batch for batch-norm
  const stepsPerEpoch = batchCount(cache, 'train', config.batch, dropLast);
  try {
    for (let epoch = state.epoch; epoch < config.epochs; epoch++) {
      const epochStart = performance.now();
      const lr = learningRate(config.schedule, epoch);
      const bar = opts.quiet ? undefined : progress(`epoch ${epoch + 1}/${config.epochs}`, stepsPerEpoch);
      const sums: Required<LossTerms> = { loss: 0, ceReal: 0, ceGen: 0, fine: 0, coarse: 0 };
      let correct = 0;
      let seen = 0;
      let step = 0;
      let stepMs = 0;
      for (const b of batches(cache, 'train', { batchSize: config.batch, shuffle: true, rng, dropLast, preprocess: { ...pre, train: true } })) {
        if (opts.signal?.aborted) throw new UserError(`interrupted at epoch ${epoch + 1} step ${step + 1}; continue with \`cocodiff train --resume --out ${runDir}\` (last checkpoint: after epoch ${state.epoch})`);
        const t = performance.now();
        const r = trainStep(model, branch, sgd, b, lr);
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

      const test = await predict(model, cache, 'test', { ...pre, cropRatio: DEFAULT_TEST_CROP_RATIO }, config.batch);
      const report = classificationReport(test.logits, test.labels, test.numClasses);
      const mean = (v: number): number => v / seen;
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        lr,
        loss: mean(sums.loss),
        ceReal: mean(sums.ceReal),
        ...(branch ? { ceGen: mean(sums.ceGen), fine: mean(sums.fine), coarse: mean(sums.coarse) } : {}),
        trainTop1: correct / seen,
        testLoss: meanCrossEntropy(test.logits, test.labels, test.numClasses),
        testTop1: report.top1,
        testTop5: report.top5,
        seconds: (performance.now() - epochStart) / 1000,
        msPerStep: stepMs / Math.max(step, 1),
      };
      const improved = !state.best || metrics.testTop1 > state.best.testTop1;
      state = { epoch: epoch + 1, rng: rng.state(), best: improved ? metrics : state.best, history: [...state.history, metrics] };
      if (improved) {
        await writeCheckpoint(paths.best, { epoch: epoch + 1, metrics }, { model: model.namedWeights() });
        await writeConfusion(runDir, report, run.classes, `test, epoch ${epoch + 1}`);
      }
      await writeCheckpoint(paths.last, state, groups());
      await writeFileAtomic(paths.metrics, state.history.map((m) => JSON.stringify(m)).join('\n') + '\n');
      await writeFileAtomic(paths.curves, curvesSvg(state.history));
      const terms = branch ? `  ce ${metrics.ceReal.toFixed(4)}  ce_gen ${metrics.ceGen!.toFixed(4)}  fine ${metrics.fine!.toFixed(4)}  coarse ${metrics.coarse!.toFixed(4)}` : '';
      log(`epoch ${metrics.epoch}/${config.epochs}  lr ${lr.toPrecision(3)}  loss ${metrics.loss.toFixed(4)}${terms}  train ${(100 * metrics.trainTop1).toFixed(1)} %  test top-1 ${(100 * metrics.testTop1).toFixed(1)} %  top-5 ${(100 * metrics.testTop5).toFixed(1)} %  ${metrics.seconds.toFixed(1)} s`);
      opts.onEpoch?.(metrics);
    }
  } finally {
    sgd.dispose();
    branch?.dispose();
    model.dispose();
  }

  if (!state.best) throw new UserError(`${runDir}: no epoch was trained (--epochs ${config.epochs})`);
  // The run's own artifact: replaced by every (resumed) session that finishes.
  await exportRun(runDir, paths.artifact, 'best', { force: true });
  log(`artifact (best epoch ${state.best.epoch}, test top-1 ${(100 * state.best.testTop1).toFixed(2)} %): ${paths.artifact}`);
  return {
    runDir,
    artifactDir: paths.artifact,
    bestTop1: state.best.testTop1,
    lastTop1: state.history[state.history.length - 1].testTop1,
    // Over the whole run, earlier sessions of a resumed run included.
    wallSeconds: state.history.reduce((sum, m) => sum + m.seconds, 0),
    msPerStep: state.history.reduce((sum, m) => sum + m.msPerStep, 0) / state.history.length,
  };
}
