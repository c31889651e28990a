/**
 * The paper's ablation: baseline; + diffusion without text; + fine text; + coarse text; + both, with
 * seed-paired runs: seed s of every variant initialises the model from s and trains (and validates) on
 * the same recordings (`trainPerClass` of each class, drawn from s), so variant − baseline can be read
 * seed by seed. Each run picks its epoch on its validation subjects and scores the test split once.
 *
 * Every run keeps its own directory (OUT/<variant>/seed-N) and RUN/result.json; the tables are rebuilt
 * from those, so an interrupted or extended ablation resumes without re-running what it has (a
 * half-finished run resumes from its last checkpoint) and several processes can share the work.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../../common/atomic.ts';
import { withDirLock } from '../../common/dir-lock.ts';
import { runPooled, type PooledRuns } from '../../common/job-pool.ts';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import type { BackendName } from '../backend.ts';
import type { EpochMetrics, PresetName } from '../train/config.ts';
import { DEFAULT_VAL_FRACTION, runPaths } from '../train/config.ts';
import { hasCheckpoint } from '../train/run-state.ts';
import type { RunResult } from '../train/final-score.ts';
import { runTraining } from '../train/train.ts';
import { pairedChartSvg, validationCurvesSvg } from './ablation-chart.ts';
import { pairedDifference, stat, type PairedDifference, type Stat } from './stats-paired.ts';
import { DEFAULT_COCODIFF_OPTIONS, type CoCoDiffOptions } from './types.ts';
import { printable } from '../../common/terminal.ts';

export interface Variant {
  name: string;
  /** The `cocodiff train` flags this variant corresponds to. */
  flags: string;
  cocodiff: CoCoDiffOptions | null;
}

const on = (o: Partial<CoCoDiffOptions>): CoCoDiffOptions => ({ ...DEFAULT_COCODIFF_OPTIONS, ...o });

export const VARIANTS: readonly Variant[] = [
  { name: 'baseline', flags: '', cocodiff: null },
  { name: '+diffusion (no text)', flags: '--cocodiff --no-fine-text --no-coarse-text', cocodiff: on({ fineText: false, coarseText: false }) },
  { name: '+fine text', flags: '--cocodiff --no-coarse-text', cocodiff: on({ coarseText: false }) },
  { name: '+coarse text', flags: '--cocodiff --no-fine-text', cocodiff: on({ fineText: false }) },
  { name: '+both (CoCoDiff)', flags: '--cocodiff', cocodiff: on({}) },
];
const BASELINE = VARIANTS[0].name;
const FULL = VARIANTS[VARIANTS.length - 1].name;

/** Options of an ablation; its jobs are the (variant, seed) runs. */
export interface AblationOptions extends PooledRuns<Job> {
  data: string;
  out: string;
  /** Seeds 1..seeds for the baseline and full CoCoDiff. */
  seeds: number;
  /** Seeds 1..otherSeeds for the three intermediate variants (default: `seeds`). */
  otherSeeds?: number;
  /** Recordings per class each run trains on (0 or absent: all). */
  trainPerClass?: number;
  /** false: every run trains on the test transform (default: augmented). */
  augment?: boolean;
  /**
   * Fraction of the training subjects each run holds out to choose its epoch (default 0.2, whatever
   * the preset says: `ucla` keeps no validation split for the authors' recipe, an ablation needs one).
   */
  valFraction?: number;
  preset?: PresetName;
  epochs?: number;
  batch?: number;
  /** The backbone's base rate (default: the preset's or recipe's); affects every variant, baseline included. */
  lr?: number;
  width?: number;
  blocks?: number;
  frames?: number;
  backend?: BackendName;
  /** Threads of the wasm backend in each run's process (speed only: not a setting of the ablation). */
  threads?: number;
  /**
   * Another ablation's directory whose baseline runs stand in for this one's (same data, model and
   * training settings; only the CoCoDiff settings may differ): a switch is measured against the same
   * baselines, seed by seed, without training them again.
   */
  baselineFrom?: string;
  /** Names (or 0-based indices) of the variants to run; default all. */
  variants?: string[];
  /** Overrides applied to every CoCoDiff variant (e.g. a smaller denoiser, another --gen-t). */
  cocodiff?: Partial<CoCoDiffOptions>;
  textFile?: string;
  embeddingsFile?: string;
}

export interface Job {
  variant: string;
  seed: number;
}

export interface RunRecord {
  variant: string;
  seed: number;
  /** Test top-1 of the epoch chosen on validation (scored once). */
  testTop1: number;
  valTop1: number | null;
  /**
   * Top-1 of the chosen epoch on the run's own training recordings under the test transform: near
   * 100 % with test well below means the model memorised its training set (null for runs from before
   * it was measured).
   */
  cleanTrainTop1: number | null;
  /** Validation top-1 after every epoch: shows whether training ran long enough for it to flatten. */
  valCurve: Array<number | null>;
  /**
   * Training cross-entropy of the last epoch on the real features and on the generated ones (null
   * without CoCoDiff): generated features easier to classify than real ones are not hard variations.
   */
  lastCe: { real: number; gen: number | null };
  epoch: number;
  wallSeconds: number;
  msPerStep: number;
  /** Relative to the ablation's directory. */
  runDir: string;
}

/** What an ablation was asked to compute; a continued ablation must ask the same. */
export interface AblationSettings {
  data: string;
  trainPerClass: number;
  /** Only when switched off (ablations from before it have no such field). */
  augment?: false;
  valFraction: number | null;
  preset: string | null;
  epochs: number | null;
  batch: number | null;
  /** Only when given (ablations from before it have no such field). */
  lr?: number;
  width: number | null;
  blocks: number | null;
  frames: number | null;
  cocodiff: Partial<CoCoDiffOptions>;
  baselineFrom?: string;
}

export interface AblationReport {
  format: 'cocodiff-ablation';
  version: 3;
  settings: AblationSettings;
  runs: RunRecord[];
}

export interface Row {
  variant: string;
  flags: string;
  n: number;
  top1: Stat;
  val: Stat;
  /** Clean (test-transform) top-1 on the training recordings. */
  cleanTrain: Stat;
  epoch: Stat;
  /** Against the baseline, over shared seeds (absent for the baseline itself). */
  diff: PairedDifference | null;
  /** The same on the validation subjects: what settings are chosen by, never the test difference. */
  valDiff: PairedDifference | null;
  /** Mean over seeds of the last epoch's CE on real and on generated features (gen null without CoCoDiff). */
  ce: { real: number; gen: number | null };
  wall: Stat;
  msPerStep: Stat;
}

export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

export function selectVariants(names?: string[]): Variant[] {
  if (!names || names.length === 0) return [...VARIANTS];
  return names.map((n) => {
    const v = /^\d+$/.test(n) ? VARIANTS[Number(n)] : VARIANTS.find((x) => x.name === n || slug(x.name) === slug(n));
    if (!v) throw new OptionError('variants', `unknown variant "${n}"; expected one of ${VARIANTS.map((x, i) => `${i} (${slug(x.name)})`).join(', ')}`);
    return v;
  });
}

/** Seeds outermost, baseline and full CoCoDiff first at each seed: a stopped ablation still has paired seeds. */
export function jobList(o: Pick<AblationOptions, 'seeds' | 'otherSeeds' | 'variants'>): Job[] {
  const variants = selectVariants(o.variants);
  const otherSeeds = o.otherSeeds ?? o.seeds;
  const order = [...variants.filter((v) => v.name === BASELINE || v.name === FULL), ...variants.filter((v) => v.name !== BASELINE && v.name !== FULL)];
  const jobs: Job[] = [];
  for (let seed = 1; seed <= Math.max(o.seeds, otherSeeds); seed++) {
    for (const v of order) {
      const limit = v.name === BASELINE || v.name === FULL ? o.seeds : otherSeeds;
      if (seed <= limit) jobs.push({ variant: v.name, seed });
    }
  }
  return jobs;
}

function settingsOf(o: AblationOptions): AblationSettings {
  return {
    data: o.data,
    trainPerClass: o.trainPerClass ?? 0,
    ...(o.augment === false ? { augment: false as const } : {}),
    valFraction: o.valFraction ?? null,
    preset: o.preset ?? null,
    epochs: o.epochs ?? null,
    batch: o.batch ?? null,
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
    width: o.width ?? null,
    blocks: o.blocks ?? null,
    frames: o.frames ?? null,
    cocodiff: o.cocodiff ?? {},
    ...(o.baselineFrom ? { baselineFrom: o.baselineFrom } : {}),
  };
}

type Place = Pick<AblationOptions, 'out' | 'baselineFrom'>;

function runDirOf(o: Place, job: Job): string {
  const root = job.variant === BASELINE && o.baselineFrom ? o.baselineFrom : o.out;
  return join(root, slug(job.variant), `seed-${job.seed}`);
}

/** Trains one (variant, seed) in this process, resuming a half-finished run. */
async function runJob(o: AblationOptions, job: Job): Promise<void> {
  const v = selectVariants([job.variant])[0];
  const runDir = runDirOf(o, job);
  if (existsSync(runPaths(runDir).result)) return;
  await runTraining({
    data: o.data,
    out: runDir,
    preset: o.preset,
    epochs: o.epochs,
    batch: o.batch,
    lr: o.lr,
    width: o.width,
    blocks: o.blocks,
    frames: o.frames,
    seed: job.seed,
    subsetSeed: job.seed,
    trainPerClass: o.trainPerClass,
    augment: o.augment,
    valFraction: o.valFraction ?? DEFAULT_VAL_FRACTION,
    backend: o.backend,
    threads: o.threads,
    cocodiff: v.cocodiff ? { ...v.cocodiff, ...o.cocodiff, fineText: v.cocodiff.fineText, coarseText: v.cocodiff.coarseText } : undefined,
    textFile: o.textFile,
    embeddingsFile: o.embeddingsFile,
    resume: await hasCheckpoint(runPaths(runDir).last),
    quiet: true,
  });
}

/** The records of every finished run of `jobs` in OUT. */
export async function collect(o: Place, jobs: Job[]): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (const job of jobs) {
    const runDir = runDirOf(o, job);
    const paths = runPaths(runDir);
    if (!existsSync(paths.result)) continue;
    const r = JSON.parse(await readFile(paths.result, 'utf8')) as RunResult;
    const history = (await readFile(paths.metrics, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as EpochMetrics);
    const last = history[history.length - 1];
    runs.push({
      ...job,
      testTop1: r.test.top1,
      valTop1: r.chosen.valTop1,
      cleanTrainTop1: r.cleanTrain?.top1 ?? null,
      valCurve: history.map((m) => m.valTop1 ?? null),
      lastCe: { real: last.ceReal, gen: last.ceGen ?? null },
      epoch: r.chosen.epoch,
      wallSeconds: history.reduce((a, m) => a + m.seconds, 0) + r.test.seconds,
      msPerStep: history.reduce((a, m) => a + m.msPerStep, 0) / history.length,
      runDir: relative(o.out, runDir),
    });
  }
  return runs;
}

export async function runAblation(o: AblationOptions): Promise<AblationReport> {
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new OptionError('seeds', `expected a positive integer, found ${o.seeds}`);
  if (o.otherSeeds !== undefined && (!Number.isInteger(o.otherSeeds) || o.otherSeeds < 0)) throw new OptionError('otherSeeds', `expected a non-negative integer, found ${o.otherSeeds}`);
  if (o.valFraction !== undefined && !(o.valFraction > 0 && o.valFraction < 1)) {
    throw new OptionError('valFraction', `expected a fraction in (0, 1): each run chooses its epoch on its validation subjects, found ${o.valFraction}`);
  }
  const jobs = jobList(o);
  const log = o.log ?? (() => {});
  if (o.only) {
    await runJob(o, o.only);
    return { format: 'cocodiff-ablation', version: 3, settings: settingsOf(o), runs: await collect(o, [o.only]) };
  }
  // The runs each hold their own lock (runTraining); this one keeps a second ablation from writing the same tables.
  return withDirLock(o.out, () => runAll(o, jobs, log));
}

async function runAll(o: AblationOptions, jobs: Job[], log: (line: string) => void): Promise<AblationReport> {
  const reportFile = join(o.out, 'ablation.json');
  const settings = settingsOf(o);
  if (existsSync(reportFile)) {
    const previous = JSON.parse(await readFile(reportFile, 'utf8')) as Partial<AblationReport>;
    if (JSON.stringify(previous.settings) !== JSON.stringify(settings)) {
      throw new OptionError('out', (name) => `${reportFile}: this ablation was made with other settings (${JSON.stringify(previous.settings)}); continue it with the same options (${name('seeds')} may grow), or choose another ${name('out')}`);
    }
  }
  const report = async (): Promise<AblationReport> => {
    const r: AblationReport = { format: 'cocodiff-ablation', version: 3, settings, runs: await collect(o, jobs) };
    await writeFileAtomic(reportFile, JSON.stringify(r, null, 2) + '\n');
    await writeTables(o.out, r);
    return r;
  };
  const done = new Set((await collect(o, jobs)).map((r) => `${r.variant}#${r.seed}`));
  if (o.baselineFrom) await checkBaselineSource(o, settings, jobs.filter((j) => j.variant === BASELINE && !done.has(`${j.variant}#${j.seed}`)));
  const todo = jobs.filter((j) => !done.has(`${j.variant}#${j.seed}`));
  log(`ablate: ${jobs.length - todo.length} of ${jobs.length} runs already finished`);
  await runPooled(todo, o, (job) => runJob(o, job), async (job, train) => {
    const runDir = runDirOf(o, job);
    log(`ablate: ${job.variant}, seed ${job.seed}${existsSync(join(runPaths(runDir).last, 'state.json')) ? ' (resuming)' : ''} → ${printable(runDir)}`);
    await train();
    const [r] = await collect(o, [job]);
    if (!r) throw new UserError(`ablate: ${job.variant}, seed ${job.seed} finished without ${runPaths(runDir).result}`);
    log(`ablate: ${job.variant}, seed ${job.seed}: test top-1 ${(100 * r.testTop1).toFixed(1)} % (epoch ${r.epoch}, val ${r.valTop1 === null ? 'n/a' : (100 * r.valTop1).toFixed(1) + ' %'}), ${r.wallSeconds.toFixed(0)} s`);
    await report();
  });
  return report();
}

/** `baselineFrom` must be an ablation of the same data, model and training, with every baseline seed this one pairs. */
async function checkBaselineSource(o: AblationOptions, settings: AblationSettings, missing: Job[]): Promise<void> {
  const file = join(o.baselineFrom!, 'ablation.json');
  if (!existsSync(file)) throw new OptionError('baselineFrom', `${file} not found; expected the directory of a finished \`cocodiff ablate\``);
  const source = (JSON.parse(await readFile(file, 'utf8')) as Partial<AblationReport>).settings;
  const comparable = (s: Partial<AblationSettings> | undefined) => JSON.stringify({ ...s, cocodiff: undefined, baselineFrom: undefined });
  if (comparable(source) !== comparable(settings)) {
    throw new OptionError('baselineFrom', `${file} was made with other data, model or training settings (${comparable(source)}); its baselines would not pair with these runs`);
  }
  if (missing.length) {
    throw new OptionError('baselineFrom', `${o.baselineFrom} has no finished baseline run for seed${missing.length > 1 ? 's' : ''} ${missing.map((j) => j.seed).join(', ')}; extend that ablation first`);
  }
}

/** Writes ablation.md, ablation.svg (paired test top-1) and ablation-curves.svg (validation curves) from the runs so far. */
export async function writeTables(out: string, report: AblationReport): Promise<Row[]> {
  const rows = summarise(report);
  await writeFileAtomic(join(out, 'ablation.md'), markdownTable(rows, report));
  await writeFileAtomic(join(out, 'ablation.svg'), pairedChartSvg(report.runs, VARIANTS.map((v) => v.name), BASELINE));
  await writeFileAtomic(join(out, 'ablation-curves.svg'), validationCurvesSvg(report.runs, VARIANTS.map((v) => v.name), BASELINE));
  return rows;
}

export function summarise(report: AblationReport): Row[] {
  const bySeed = (name: string, score: (r: RunRecord) => number) => new Map(report.runs.filter((r) => r.variant === name).map((r) => [r.seed, 100 * score(r)]));
  const test = (r: RunRecord) => r.testTop1;
  const val = (r: RunRecord) => r.valTop1 ?? NaN;
  return VARIANTS.flatMap((v) => {
    const runs = report.runs.filter((r) => r.variant === v.name);
    if (runs.length === 0) return [];
    return [{
      variant: v.name,
      flags: v.flags,
      n: runs.length,
      top1: stat(runs.map((r) => 100 * test(r))),
      val: stat(runs.map((r) => 100 * val(r))),
      cleanTrain: stat(runs.map((r) => 100 * (r.cleanTrainTop1 ?? NaN))),
      epoch: stat(runs.map((r) => r.epoch)),
      ce: { real: stat(runs.map((r) => r.lastCe.real)).mean, gen: classifiesGenerated(v, report.settings) ? stat(runs.map((r) => r.lastCe.gen ?? NaN)).mean : null },
      diff: v.name === BASELINE ? null : pairedDifference(bySeed(BASELINE, test), bySeed(v.name, test)),
      valDiff: v.name === BASELINE ? null : pairedDifference(bySeed(BASELINE, val), bySeed(v.name, val)),
      wall: stat(runs.map((r) => r.wallSeconds)),
      msPerStep: stat(runs.map((r) => r.msPerStep)),
    }];
  });
}

/** Whether a variant's classifier trains on generated features (the ablation's overrides may switch that off). */
function classifiesGenerated(v: Variant, settings: AblationSettings): boolean {
  return v.cocodiff !== null && (settings.cocodiff.genCe ?? v.cocodiff.genCe);
}

/** mean ± std with `digits` decimals. */
export function formatStat(x: Stat, digits = 1): string {
  return `${x.mean.toFixed(digits)} ± ${x.std.toFixed(digits)}`;
}

export function formatDifference(d: PairedDifference | null): string {
  if (!d) return '—';
  if (d.n === 0) return 'no shared seeds';
  const sign = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;
  return d.n > 1 ? `${sign(d.mean)} [${sign(d.low)}, ${sign(d.high)}] (n = ${d.n})` : `${sign(d.mean)} (n = 1)`;
}

export function markdownTable(rows: Row[], report: AblationReport): string {
  const s = report.settings;
  const model = [...(['width', 'blocks', 'frames', 'batch'] as const).map((k) => `${k} ${s[k] ?? 'preset'}`), ...(s.lr !== undefined ? [`lr ${s.lr}`] : [])].join(', ');
  const overrides = Object.entries(s.cocodiff).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(':') : v}`);
  const lines = [
    `Ablation on \`${s.data}\`: ${s.trainPerClass ? `${s.trainPerClass} training recordings per class` : 'all training recordings'}, ` +
      `preset ${s.preset ?? 'none'} (${model}), ${s.epochs ?? 'preset'} epochs${s.augment === false ? ', no augmentation (test transform for training)' : ''}, epoch chosen on the validation subjects, test scored once.`,
    `CoCoDiff settings: the defaults${overrides.length ? `, except ${overrides.join(', ')}` : ''}.`,
    'Top-1 (%), mean ± std over seeds; Δ = variant − baseline on the same seed, mean [95 % CI, Student t]. Settings are chosen by Δ val, never by Δ test.',
    'Clean train: top-1 on the run\'s own training recordings under the test transform (no augmentation), with the chosen epoch\'s weights; near 100 % with test far below means the model memorised its training set.',
    'CE real / gen: training cross-entropy of the last epoch on the real features and on the generated ones.',
    '',
    '| variant | train flags | seeds | test top-1 (%) | Δ test (points) | test better / worse / tie | val top-1 (%) | Δ val (points) | clean train top-1 (%) | chosen epoch | CE real / gen | wall (s) | ms/step |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.variant} | \`${r.flags || '(none)'}\` | ${r.n} | ${formatStat(r.top1)} | ${formatDifference(r.diff)} | ${r.diff ? `${r.diff.better} / ${r.diff.worse} / ${r.diff.ties}` : '—'} | ${formatStat(r.val)} | ${formatDifference(r.valDiff)} | ${formatStat(r.cleanTrain)} | ${r.epoch.mean.toFixed(1)} | ${r.ce.real.toFixed(2)} / ${r.ce.gen === null ? '—' : r.ce.gen.toFixed(2)} | ${r.wall.mean.toFixed(0)} | ${r.msPerStep.mean.toFixed(0)} |`),
  ];
  return lines.join('\n') + '\n';
}
