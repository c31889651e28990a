/**
 * One epoch of a run: the training steps over the shuffled (and, by default, augmented) train subset, the validation
 * score, the epoch's metrics, and the checkpoints, metrics.jsonl and curves written after it.
 */
import { writeFileAtomic } from '../../common/atomic.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { progress } from '../../common/progress.ts';
import type { Rng } from '../../common/rng.ts';
import { lossWeights } from '../cocodiff/index.ts';
import type { LossWeights } from '../cocodiff/types.ts';
import { batches } from '../data/batches.ts';
import type { EpochMetrics } from './config.ts';
import { classificationReport, meanCrossEntropy } from './metrics.ts';
import { curvesSvg } from './plots.ts';
import { predict } from './predict.ts';
import { writeCheckpoint } from './run-state.ts';
import { learningRate } from './schedule.ts';
import { betterOnValidation } from './selection.ts';
import { checkpointGroups, type Session, type TrainState } from './session.ts';
import { trainStep, type LossTerms } from './step.ts';

/** Sums over an epoch's steps: loss terms weighted by batch size, correct predictions, samples, steps and step time. */
interface Tally {
  sums: Required<LossTerms>;
  correct: number;
  seen: number;
  steps: number;
  stepMs: number;
}

/** Trains epoch `state.epoch + 1` with the session's Rng; returns the progress after it, as its checkpoint saved it. */
export async function trainEpoch(s: Session, state: TrainState, rng: Rng): Promise<TrainState> {
  const { config } = s.run;
  const epochStart = performance.now();
  const lr = learningRate(config.schedule, state.epoch);
  const weights = config.cocodiff ? lossWeights(config.cocodiff, state.epoch) : null;
  const tally = await trainSteps(s, state, rng, lr, weights, epochStart);
  const val = await validate(s);
  const mean = (v: number): number => v / tally.seen;
  const metrics: EpochMetrics = {
    epoch: state.epoch + 1,
    lr,
    loss: mean(tally.sums.loss),
    ceReal: mean(tally.sums.ceReal),
    ...(s.branch ? { ceGen: mean(tally.sums.ceGen), fine: mean(tally.sums.fine), coarse: mean(tally.sums.coarse), lambdaGen: weights!.gen } : {}),
    trainTop1: tally.correct / tally.seen,
    ...val,
    seconds: (performance.now() - epochStart) / 1000,
    msPerStep: tally.stepMs / Math.max(tally.steps, 1),
  };
  const improved = betterOnValidation(metrics, state.best);
  const next: TrainState = { epoch: metrics.epoch, rng: rng.state(), best: improved ? metrics : state.best, history: [...state.history, metrics] };
  await saveEpoch(s, next, metrics, improved);
  logEpoch(s, metrics);
  s.opts.onEpoch?.(metrics);
  return next;
}

/** The epoch's optimisation steps, with the progress bar; stops on an abort signal or a non-finite loss, naming the checkpoint to resume from. */
async function trainSteps(s: Session, state: TrainState, rng: Rng, lr: number, weights: LossWeights | null, epochStart: number): Promise<Tally> {
  const { config } = s.run;
  const { cache, epochSamples, trainPre, dropLast, stepsPerEpoch } = s.data;
  const bar = s.opts.quiet ? undefined : progress(`epoch ${state.epoch + 1}/${config.epochs}`, stepsPerEpoch);
  const tally: Tally = { sums: { loss: 0, ceReal: 0, ceGen: 0, fine: 0, coarse: 0 }, correct: 0, seen: 0, steps: 0, stepMs: 0 };
  for (const b of batches(cache, 'train', { batchSize: config.batch, shuffle: true, rng, dropLast, indices: epochSamples, preprocess: trainPre })) {
    // On the CPU backends a step is one long synchronous computation, and awaiting it never lets the
    // event loop poll: without this turn a SIGINT or SIGTERM would wait for the end of the epoch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (s.opts.signal?.aborted) throw new UserError(`${s.runDir}: interrupted at epoch ${state.epoch + 1} step ${tally.steps + 1}; the run keeps its last checkpoint (after epoch ${state.epoch}), from which resuming it continues`);
    const t = performance.now();
    const r = await trainStep(s.model, s.branch, weights, s.opt, b, lr);
    tally.stepMs += performance.now() - t;
    tally.steps++;
    if (!r) throw new UserError(`non-finite loss at epoch ${state.epoch + 1} step ${tally.steps}; last good checkpoint kept at ${s.paths.last} (after epoch ${state.epoch})`);
    for (const key of Object.keys(tally.sums) as Array<keyof LossTerms>) tally.sums[key] += (r.terms[key] ?? 0) * b.size;
    tally.correct += r.correct;
    tally.seen += b.size;
    const elapsed = (performance.now() - epochStart) / 1000;
    bar?.update(tally.steps, { loss: (tally.sums.loss / tally.seen).toFixed(3), acc: (tally.correct / tally.seen).toFixed(3), 'samples/s': (tally.seen / elapsed).toFixed(1) });
  }
  bar?.stop();
  return tally;
}

/** Loss, top-1 and top-5 on the validation subjects; none without a validation split. */
async function validate(s: Session): Promise<Partial<EpochMetrics>> {
  const { cache, subsets, testPre } = s.data;
  if (subsets.val.length === 0) return {};
  const p = await predict(s.model, cache, 'train', testPre, s.run.config.batch, undefined, subsets.val);
  const report = classificationReport(p.logits, p.labels, p.numClasses);
  return { valLoss: meanCrossEntropy(p.logits, p.labels, p.numClasses), valTop1: report.top1, valTop5: report.top5 };
}

/** The best checkpoint when the epoch improved on validation, the last checkpoint always, then metrics.jsonl and curves.svg. */
async function saveEpoch(s: Session, state: TrainState, metrics: EpochMetrics, improved: boolean): Promise<void> {
  if (improved) await writeCheckpoint(s.paths.best, { epoch: metrics.epoch, metrics }, { model: await s.model.namedWeights() });
  await writeCheckpoint(s.paths.last, state, await checkpointGroups(s));
  await writeFileAtomic(s.paths.metrics, state.history.map((m) => JSON.stringify(m)).join('\n') + '\n');
  await writeFileAtomic(s.paths.curves, curvesSvg(state.history));
}

function logEpoch(s: Session, metrics: EpochMetrics): void {
  const terms = s.branch ? `  ce ${metrics.ceReal.toFixed(4)}  ce_gen ${metrics.ceGen!.toFixed(4)}  fine ${metrics.fine!.toFixed(4)}  coarse ${metrics.coarse!.toFixed(4)}` : '';
  const valText = metrics.valTop1 !== undefined ? `  val top-1 ${(100 * metrics.valTop1).toFixed(1)} %  loss ${metrics.valLoss!.toFixed(4)}` : '';
  s.log(`epoch ${metrics.epoch}/${s.run.config.epochs}  lr ${metrics.lr.toPrecision(3)}  loss ${metrics.loss.toFixed(4)}${terms}  train ${(100 * metrics.trainTop1).toFixed(1)} %${valText}  ${metrics.seconds.toFixed(1)} s`);
}
