/**
 * Leave-one-subject-out cross-validation (`cocodiff cv`), the protocol of the small datasets that have
 * no fixed split (Florence 3D): fold k trains on every subject but the k-th and tests on that one, and
 * the figure is the mean over folds with its 95 % confidence interval.
 *
 * Each fold is an ordinary training run on a cache of its own: OUT/fold-<subject>/cache holds the source
 * cache's clips (both of its splits) regrouped, the subject's as the test split, and OUT/fold-<subject>/run
 * is what `cocodiff train` writes there, so `eval`, `export` and `--resume` work on a fold as on any run.
 * Within a fold everything is train's: the epoch is chosen on validation subjects drawn from the fold's
 * training subjects, and the held-out subject is scored once, at the end. The report is rebuilt from
 * the folds' result.json files, so an interrupted cross-validation continues where it stopped; when
 * every fold is done, their test answers are pooled into OUT/predictions.jsonl.
 * With `jobs` > 1 the folds train that many at a time, each in a process of its own (`spawn`, which
 * runs this module again for one fold, `only`); every fold computes what it would alone.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../../common/atomic.ts';
import { withDirLock } from '../../common/dir-lock.ts';
import { runPooled, type PooledRuns } from '../../common/job-pool.ts';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { CacheWriter, readCache, SPLITS, type Cache } from '../data/cache.ts';
import { namedSubject } from '../data/subsets.ts';
import { meanInterval, type MeanInterval } from '../cocodiff/stats-paired.ts';
import { DEFAULT_COCODIFF_OPTIONS, type CoCoDiffOptions } from '../cocodiff/types.ts';
import { runPaths, type EpochMetrics, type TrainOptions } from './config.ts';
import type { RunResult } from './final-score.ts';
import { PREDICTIONS_FILE, readPredictions } from './predictions-file.ts';
import { hasCheckpoint } from './run-state.ts';
import { runTraining } from './train.ts';
import { printable } from '../../common/terminal.ts';

/** What a fold holds out. Only subjects so far: the datasets this serves name them in every clip. */
export const FOLD_KINDS = ['subject'] as const;
export type FoldKind = (typeof FOLD_KINDS)[number];

/** The training options every fold shares, CoCoDiff's included (the data, the run directory and resuming are the driver's). */
export type FoldTraining = Omit<TrainOptions, 'data' | 'out' | 'resume' | 'quiet' | 'signal' | 'onEpoch'>;

/** Options of a cross-validation; its jobs are the held-out subjects. */
export interface CrossValidationOptions extends PooledRuns<string> {
  /** The dataset cache whose clips (train and test splits together) are regrouped into folds. */
  data: string;
  out: string;
  folds: FoldKind;
  training: FoldTraining;
}

export interface FoldRecord {
  /** The held-out subject (`s3`, `P003`). */
  subject: string;
  trainClips: number;
  testClips: number;
  testTop1: number;
  testTop5: number;
  /** Of the epoch chosen on the fold's validation subjects (null without a validation split). */
  valTop1: number | null;
  epoch: number;
  wallSeconds: number;
  /** Relative to the cross-validation's directory. */
  runDir: string;
}

export interface CrossValidationReport {
  format: 'cocodiff-cv';
  version: 1;
  settings: { data: string; folds: FoldKind; training: FoldTraining };
  /** Every subject of the cache, in the order the folds run. */
  subjects: string[];
  /** The finished folds. */
  folds: FoldRecord[];
  /** Over the finished folds, in %: each fold weighs the same (the protocol's figure). */
  top1: MeanInterval;
  /** Correct clips over all folds / all clips, in %: each clip weighs the same. */
  pooledTop1: number;
}

/** The subjects of a cache's clips (both splits), in natural order; refuses clips whose names carry none. */
export function cacheSubjects(cache: Cache): string[] {
  const names = SPLITS.flatMap((s) => cache.index.splits[s].samples.map((e) => e.name));
  const unnamed = names.filter((n) => namedSubject(n) === undefined);
  if (unnamed.length > 0) {
    throw new UserError(`${cache.dir}: clip ${JSON.stringify(unnamed[0])}${unnamed.length > 1 ? ` and ${unnamed.length - 1} more` : ''} name${unnamed.length > 1 ? '' : 's'} no subject; leave-one-subject-out needs names that do (a01_s3_…, aAA_sBB_eCC, …P003…, as \`cocodiff prepare\` writes them)`);
  }
  const subjects = [...new Set(names.map((n) => namedSubject(n)!))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (subjects.length < 2) throw new UserError(`${cache.dir}: ${subjects.length ? `every clip is of subject ${subjects[0]}` : 'no clips'}; leave-one-subject-out needs at least 2 subjects`);
  return subjects;
}

function foldDir(out: string, subject: string): { cache: string; run: string } {
  const dir = join(out, `fold-${subject}`);
  return { cache: join(dir, 'cache'), run: join(dir, 'run') };
}

/** Writes the fold's cache: the subject's clips as the test split, every other clip as the train split. */
async function writeFoldCache(source: Cache, subject: string, dir: string): Promise<void> {
  const { layout, persons, joints, coords, classes, benchmark } = source.index;
  const meta = { layout, persons, joints, coords, classes, benchmark: `${benchmark ?? 'cache'}-loso-${subject}`, source: `${source.dir}, test subject ${subject}` };
  const writer = await CacheWriter.create(dir, meta, { force: true, inputs: [source.dir] });
  try {
    for (const split of SPLITS) {
      for (let i = 0; i < source.index.splits[split].samples.length; i++) {
        const seq = source.sequence(split, i);
        await writer.add(namedSubject(seq.name!) === subject ? 'test' : 'train', seq);
      }
    }
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** The record of a fold whose run has finished, or null. */
async function foldRecord(out: string, subject: string): Promise<FoldRecord | null> {
  const runDir = foldDir(out, subject).run;
  const paths = runPaths(runDir);
  if (!existsSync(paths.result)) return null;
  const r = JSON.parse(await readFile(paths.result, 'utf8')) as RunResult;
  const history = (await readFile(paths.metrics, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as EpochMetrics);
  return {
    subject,
    trainClips: r.trainSamples + r.valSamples,
    testClips: r.test.samples,
    testTop1: r.test.top1,
    testTop5: r.test.top5,
    valTop1: r.chosen.valTop1,
    epoch: r.chosen.epoch,
    wallSeconds: history.reduce((a, m) => a + m.seconds, 0) + r.test.seconds,
    runDir: relative(out, runDir),
  };
}

export function summariseFolds(settings: CrossValidationReport['settings'], subjects: string[], folds: FoldRecord[]): CrossValidationReport {
  const correct = folds.reduce((a, f) => a + Math.round(f.testTop1 * f.testClips), 0);
  const clips = folds.reduce((a, f) => a + f.testClips, 0);
  return { format: 'cocodiff-cv', version: 1, settings, subjects, folds, top1: meanInterval(folds.map((f) => 100 * f.testTop1)), pooledTop1: (100 * correct) / clips };
}

export async function runCrossValidation(o: CrossValidationOptions): Promise<CrossValidationReport> {
  if (!FOLD_KINDS.includes(o.folds)) throw new OptionError('folds', `expected one of ${FOLD_KINDS.join(', ')}, found ${JSON.stringify(o.folds)}`);
  const out = resolve(o.out);
  // The spawning process holds the folder's lock; the fold's run holds its own (runTraining).
  if (o.only !== undefined) return runOnlyFold({ ...o, out }, o.only);
  // The folds' runs hold their own locks (runTraining); this one keeps a second cross-validation from writing the same report.
  return withDirLock(out, () => runFolds({ ...o, out }));
}

/** Trains the fold that holds `subject` out (its cache first, unless a begun run already has one), resuming a half-trained run. */
async function trainFold(o: CrossValidationOptions, source: Cache, subject: string): Promise<void> {
  const dir = foldDir(o.out, subject);
  // A fold that has begun keeps its cache: its checkpoints were trained on exactly those clips.
  const resume = await hasCheckpoint(runPaths(dir.run).last);
  if (!resume || !existsSync(join(dir.cache, 'index.json'))) await writeFoldCache(source, subject, dir.cache);
  await runTraining({ ...o.training, data: dir.cache, out: dir.run, resume, quiet: true });
}

async function runOnlyFold(o: CrossValidationOptions, subject: string): Promise<CrossValidationReport> {
  const source = await readCache(o.data);
  const subjects = cacheSubjects(source);
  if (!subjects.includes(subject)) throw new OptionError('only', `${JSON.stringify(subject)} is no subject of ${o.data}; expected one of ${subjects.join(', ')}`);
  if (!(await foldRecord(o.out, subject))) await trainFold(o, source, subject);
  const record = await foldRecord(o.out, subject);
  return summariseFolds(settingsOf(o), subjects, record ? [record] : []);
}

function settingsOf(o: CrossValidationOptions): CrossValidationReport['settings'] {
  // The wasm backend's thread count changes the speed, not the results: either may continue the other.
  const { threads: _, ...training } = o.training;
  return { data: resolve(o.data), folds: o.folds, training };
}

async function runFolds(o: CrossValidationOptions): Promise<CrossValidationReport> {
  const log = o.log ?? (() => {});
  const source = await readCache(o.data);
  const subjects = cacheSubjects(source);
  const settings = settingsOf(o);
  const reportFile = join(o.out, 'cv.json');
  if (existsSync(reportFile)) {
    const previous = JSON.parse(await readFile(reportFile, 'utf8')) as Partial<CrossValidationReport>;
    if (JSON.stringify(previous.settings) !== JSON.stringify(settings)) {
      throw new OptionError('out', (name) => `${reportFile}: this cross-validation was made with other settings (${JSON.stringify(previous.settings)}); continue it with the same options, or choose another ${name('out')}`);
    }
  }
  // Finished folds by subject; the tables list them in the subjects' order, whichever finished first.
  const finished = new Map<string, FoldRecord>();
  const report = async (): Promise<CrossValidationReport> => {
    const r = summariseFolds(settings, subjects, subjects.flatMap((s) => finished.get(s) ?? []));
    await writeFileAtomic(reportFile, JSON.stringify(r, null, 2) + '\n');
    await writeFileAtomic(join(o.out, 'cv.md'), crossValidationMarkdown(r));
    return r;
  };
  for (const subject of subjects) {
    const record = await foldRecord(o.out, subject);
    if (record) finished.set(subject, record);
  }
  if (finished.size > 0) await report();
  const todo = subjects.filter((s) => !finished.has(s));
  await runPooled(todo, o, (subject) => trainFold(o, source, subject), async (subject, train) => {
    const dir = foldDir(o.out, subject);
    const resuming = await hasCheckpoint(runPaths(dir.run).last);
    log(`cv: fold ${subjects.indexOf(subject) + 1} of ${subjects.length}, test subject ${subject}${resuming ? ' (resuming)' : ''} → ${printable(dir.run)}`);
    await train();
    const record = await foldRecord(o.out, subject);
    if (!record) throw new UserError(`cv: fold ${subject} finished without ${runPaths(dir.run).result}`);
    log(`cv: fold ${subject}: test top-1 ${(100 * record.testTop1).toFixed(1)} % of ${record.testClips} clips (epoch ${record.epoch}), ${record.wallSeconds.toFixed(0)} s`);
    finished.set(subject, record);
    await report();
  });
  const r = await report();
  await poolPredictions(o.out, subjects);
  return r;
}

/**
 * OUT/predictions.jsonl: every fold's test answers, folds in the subjects' order, so each clip
 * appears once and two cross-validations of one cache pair clip by clip (`cocodiff compare`).
 * Folds trained before runs wrote their answers have none; then there is no pooled file.
 */
async function poolPredictions(out: string, subjects: string[]): Promise<void> {
  const files = subjects.map((s) => join(foldDir(out, s).run, PREDICTIONS_FILE));
  if (!files.every((f) => existsSync(f))) return;
  const lines = (await Promise.all(files.map((f) => readPredictions(f)))).flatMap((p) => p.lines);
  await writeFileAtomic(join(out, PREDICTIONS_FILE), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

const pct = (x: number): string => x.toFixed(2);

/** One line: mean ± std [95 % CI] over folds, and the pooled figure. */
export function formatCrossValidation(r: CrossValidationReport): string {
  const ci = r.folds.length > 1 ? ` [${pct(r.top1.low)}, ${pct(r.top1.high)}]` : '';
  return `top-1 over ${r.folds.length} of ${r.subjects.length} folds: ${pct(r.top1.mean)} ± ${pct(r.top1.std)} %${ci} (mean ± std [95 % CI, Student t]); pooled over clips ${pct(r.pooledTop1)} %`;
}

/** `CoCoDiff (the defaults, except lambdaGen 0.5, genT 100:600)`. */
function cocodiffWords(c: CoCoDiffOptions): string {
  const changed = Object.entries(c).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(DEFAULT_COCODIFF_OPTIONS[k as keyof CoCoDiffOptions]));
  return `CoCoDiff (the defaults${changed.length ? `, except ${changed.map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(':') : v}`).join(', ')}` : ''})`;
}

export function crossValidationMarkdown(r: CrossValidationReport): string {
  const t = r.settings.training;
  const flags = Object.entries(t).filter(([, v]) => v !== undefined).map(([k, v]) => (k === 'cocodiff' ? cocodiffWords(v as CoCoDiffOptions) : `${k} ${v}`)).join(', ');
  return [
    `Leave-one-${r.settings.folds}-out cross-validation on \`${r.settings.data}\` (${r.subjects.length} folds; training: ${flags || 'the defaults'}).`,
    r.folds.every((f) => f.valTop1 === null)
      ? 'Each fold trains on every other subject, keeps its last epoch (no validation split) and scores the held-out subject once.'
      : 'Each fold trains on every other subject (its epoch chosen on validation subjects drawn from those) and scores the held-out subject once.',
    '',
    '| test subject | clips of the other subjects | test clips | test top-1 (%) | top-5 (%) | val top-1 (%) | chosen epoch | wall (s) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.folds.map((f) => `| ${f.subject} | ${f.trainClips} | ${f.testClips} | ${pct(100 * f.testTop1)} | ${pct(100 * f.testTop5)} | ${f.valTop1 === null ? '—' : pct(100 * f.valTop1)} | ${f.epoch} | ${f.wallSeconds.toFixed(0)} |`),
    '',
    formatCrossValidation(r),
    '',
  ].join('\n');
}
