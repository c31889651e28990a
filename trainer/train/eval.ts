/**
 * `cocodiff eval`: test accuracy of one model, or of an ensemble that adds the (weighted) scores of
 * several (e.g. the joint, bone, joint-motion and bone-motion streams, as the CTR-GCN papers do):
 * their logits by default, as the authors' `ensemble.py` adds them, or their softmax probabilities.
 * Each model preprocesses the data as its own artifact says (modality, frames, persons).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readArtifact } from '../../common/artifact.ts';
import { withDirLock } from '../../common/dir-lock.ts';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { readCache, type Cache, type SplitName } from '../data/cache.ts';
import { testPreprocessOptions } from '../data/preprocess.ts';
import { CtrGcnModel } from '../model/ctrgcn.ts';
import { classificationReport, ENSEMBLE_FUSIONS, ensembleScores, type ClassificationReport, type EnsembleFusion } from './metrics.ts';
import { EVAL_FILES, writeConfusion } from './plots.ts';
import { predict, type Predictions } from './predict.ts';
import { writePredictions } from './predictions-file.ts';
import { checkOwnFolder } from '../../common/output-dir.ts';

/** A run directory means its artifact; anything else must be an artifact directory. */
export function artifactDirOf(path: string): string {
  return existsSync(join(path, 'model.json')) ? path : existsSync(join(path, 'run.json')) ? join(path, 'artifact') : path;
}

/** Which epoch of its run an artifact holds, and why (from its provenance). */
export interface ChosenEpoch {
  model: string;
  epoch: number | null;
  reason: string;
}

/** Logits of one artifact on a cache split, after checking that the two describe the same data. */
export async function predictArtifact(path: string, cache: Cache, split: SplitName, batchSize: number, quiet = true): Promise<Predictions & { chosen: ChosenEpoch }> {
  const artifact = await readArtifact(artifactDirOf(path));
  const m = artifact.model;
  const idx = cache.index;
  if (m.layout !== idx.layout) throw new UserError(`${artifact.dir}: model uses layout ${m.layout}, dataset ${cache.dir} has ${idx.layout}`);
  if (m.input.C !== idx.coords) throw new UserError(`${artifact.dir}: model expects ${m.input.C} coordinates per joint, dataset ${cache.dir} has ${idx.coords}`);
  if (m.classes.join('\n') !== idx.classes.join('\n')) {
    throw new UserError(`${artifact.dir}: the model's ${m.classes.length} classes differ from the ${idx.classes.length} classes of dataset ${cache.dir}`);
  }
  const p = m.provenance as { epoch?: number; exported?: string; selection?: { reason: string } };
  const chosen: ChosenEpoch = {
    model: path,
    epoch: typeof p.epoch === 'number' ? p.epoch : null,
    reason: p.selection?.reason ?? (p.exported === 'last' ? 'the last epoch (exported with --epoch last)' : 'not recorded (the artifact predates epoch selection on a validation split, or was not made by `cocodiff train`)'),
  };
  const model = CtrGcnModel.fromArtifact(artifact);
  try {
    return { ...(await predict(model, cache, split, testPreprocessOptions(m), batchSize, quiet ? undefined : `eval ${m.modality}`)), chosen };
  } finally {
    model.dispose();
  }
}

export interface EvalOptions {
  /** Run or artifact directories; more than one makes an ensemble. */
  models: string[];
  data: string;
  split?: SplitName;
  batch?: number;
  /** Where confusion.svg, confusion.json and predictions.jsonl go; nothing is written without it. */
  out?: string;
  /** Per-model ensemble weights (default 1 each). */
  weights?: number[];
  /** What an ensemble adds: the members' logits (default, as CTR-GCN's ensemble.py) or their softmax probabilities. */
  fusion?: EnsembleFusion;
  quiet?: boolean;
}

/** How an ensemble's scores were combined (what `eval` prints and confusion.json records). */
export interface EnsembleRule {
  fusion: EnsembleFusion;
  /** One per model, in order. */
  weights: number[];
}

export interface EvalResult {
  classes: string[];
  report: ClassificationReport;
  /** Each member's own report, when there is more than one model. */
  members: Array<{ model: string; top1: number; top5: number }>;
  /** The epoch each model holds and why it was chosen. */
  chosen: ChosenEpoch[];
  /** Null for a single model. */
  ensemble: EnsembleRule | null;
}

/** With `out`, holds its lock (common/dir-lock.ts) from the start: a second writer there is refused before any work. */
export async function evaluate(o: EvalOptions): Promise<EvalResult> {
  return o.out === undefined ? evaluateInto(o) : withDirLock(o.out, () => evaluateInto(o));
}

async function evaluateInto(o: EvalOptions): Promise<EvalResult> {
  if (o.models.length === 0) throw new UserError('eval: name at least one run or artifact directory');
  if (o.weights && o.weights.length !== o.models.length) throw new OptionError('weights', `${o.weights.length} weights for ${o.models.length} models; give one per model, in order`);
  const fusion = o.fusion ?? 'logits';
  if (!ENSEMBLE_FUSIONS.includes(fusion)) throw new OptionError('fusion', `expected one of ${ENSEMBLE_FUSIONS.join(', ')}, found ${JSON.stringify(fusion)}`);
  if (o.out) await checkOwnFolder(o.out, EVAL_FILES, 'evaluation');
  const split = o.split ?? 'test';
  const cache = await readCache(o.data);
  if (cache.index.splits[split].samples.length === 0) throw new UserError(`${o.data}: the ${split} split is empty`);
  const k = cache.index.classes.length;
  const all: Array<Predictions & { chosen: ChosenEpoch }> = [];
  for (const path of o.models) all.push(await predictArtifact(path, cache, split, o.batch ?? 32, o.quiet ?? false));
  const labels = all[0].labels;
  const ensemble: EnsembleRule | null = all.length === 1 ? null : { fusion, weights: o.weights ?? all.map(() => 1) };
  const scores = ensemble ? ensembleScores(all.map((p) => p.logits), k, ensemble.weights, ensemble.fusion) : all[0].logits;
  const report = classificationReport(scores, labels, k);
  const members = all.length === 1 ? [] : all.map((p, i) => {
    const r = classificationReport(p.logits, labels, k);
    return { model: o.models[i], top1: r.top1, top5: r.top5 };
  });
  if (o.out) {
    const title = ensemble ? `ensemble of ${all.length} (${ensembleWords(ensemble)}), ${split} split` : `${split} split`;
    await writeConfusion(o.out, report, cache.index.classes, title, ensemble ? { ensemble: { models: o.models, ...ensemble } } : {});
    await writePredictions(o.out, cache.index.splits[split].samples.map((s) => s.name), labels, scores, cache.index.classes);
  }
  return { classes: cache.index.classes, report, members, chosen: all.map((p) => p.chosen), ensemble };
}

/** `sum of logits, weights 0.6 0.6 0.4 0.4`. */
export function ensembleWords(e: EnsembleRule): string {
  return `sum of ${e.fusion === 'logits' ? 'logits' : 'softmax probabilities'}, weights ${e.weights.join(' ')}`;
}
