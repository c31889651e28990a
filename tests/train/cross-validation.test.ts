/**
 * `cocodiff cv`: leave-one-subject-out on a Florence 3D folder of 3 subjects written in the dataset's
 * own format, through `prepare florence`, one-epoch tiny models per fold.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import * as cvCommand from '../../cli/commands/cv.ts';
import { LOCK_FILE, lockDir } from '../../common/dir-lock.ts';
import { CacheWriter, readCache } from '../../trainer/data/cache.ts';
import { prepareClips } from '../../trainer/data/clips.ts';
import { FLORENCE_CLASSES, florenceSpec } from '../../trainer/data/clip-presets.ts';
import { runPaths, type EpochMetrics } from '../../trainer/train/config.ts';
import { DEFAULT_COCODIFF_OPTIONS } from '../../trainer/cocodiff/types.ts';
import { crossValidationMarkdown, runCrossValidation, type CrossValidationReport, type FoldTraining } from '../../trainer/train/cross-validation.ts';
import type { RunResult } from '../../trainer/train/final-score.ts';
import { readPredictions } from '../../trainer/train/predictions-file.ts';
import { clipValues, writeFlorenceSubjects } from '../helpers/clip-fixtures.ts';
import { runCli } from '../helpers/cli.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'cv-'));
/** One epoch of a one-unit, eighth-width model on 8 frames: enough to train and score every fold. */
const TRAINING: FoldTraining = { preset: 'synth-quick', width: 0.125, blocks: 1, frames: 8, batch: 4, epochs: 1, seed: 3, backend: 'wasm' };

/** Florence clip stems by subject: subject s has s + 1 clips of each of the 9 actions (ids run on across the folder). */
let stems: Map<string, string[]>;
const root = tmp();
let cache: string;

beforeAll(async () => {
  stems = writeFlorenceSubjects(root);
  cache = join(tmp(), 'florence');
  await prepareClips(florenceSpec(root, ['3']), cache, { quiet: true });
});

describe('cocodiff cv: leave one subject out', () => {
  let out: string;
  let report: CrossValidationReport;
  beforeAll(async () => {
    out = join(tmp(), 'cv');
    report = await runCrossValidation({ data: cache, out, folds: 'subject', training: TRAINING });
  });

  it('makes one fold per subject whose cache tests exactly that subject\'s clips and trains on all the others', async () => {
    expect(report.subjects).toEqual(['s1', 's2', 's3']);
    expect(report.folds.map((f) => f.subject)).toEqual(['s1', 's2', 's3']);
    const all = [...stems.values()].flat().sort();
    for (const fold of report.folds) {
      const c = await readCache(join(out, `fold-${fold.subject}`, 'cache'));
      expect(c.index.classes).toEqual(FLORENCE_CLASSES);
      expect(c.index.layout).toBe('florence15');
      const test = c.index.splits.test.samples.map((e) => e.name).sort();
      const train = c.index.splits.train.samples.map((e) => e.name).sort();
      expect(test).toEqual([...stems.get(fold.subject)!].sort());
      expect([...train, ...test].sort()).toEqual(all);
      // The clips themselves are carried over, not only their names.
      const i = c.index.splits.test.samples.findIndex((e) => e.name === stems.get(fold.subject)![0]);
      const id = Number(/id(\d+)$/.exec(stems.get(fold.subject)![0])![1]);
      Array.from(c.sequence('test', i).data).forEach((x, k) => expect(x).toBeCloseTo(clipValues(4 + (id % 3), 15, id).flat(2)[k], 5));
      expect(fold.testClips).toBe(test.length);
      expect(fold.trainClips).toBe(train.length);
    }
  });

  it('reports each fold\'s own run and the mean with its Student-t 95 % CI and the pooled figure', () => {
    const top1 = report.folds.map((f) => {
      const r = JSON.parse(readFileSync(runPaths(join(out, f.runDir)).result, 'utf8')) as RunResult;
      expect(f.testTop1).toBe(r.test.top1);
      expect(f.testClips).toBe(r.test.samples);
      return 100 * r.test.top1;
    });
    const mean = (top1[0] + top1[1] + top1[2]) / 3;
    const std = Math.sqrt(top1.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
    expect(report.top1.mean).toBeCloseTo(mean, 10);
    expect(report.top1.std).toBeCloseTo(std, 10);
    // t(0.975, 2 degrees of freedom) = 4.303.
    expect(report.top1.high - mean).toBeCloseTo((4.303 * std) / Math.sqrt(3), 10);
    expect(mean - report.top1.low).toBeCloseTo((4.303 * std) / Math.sqrt(3), 10);
    const correct = report.folds.reduce((a, f) => a + Math.round(f.testTop1 * f.testClips), 0);
    expect(report.pooledTop1).toBeCloseTo((100 * correct) / (18 + 27 + 36), 10);
    const md = readFileSync(join(out, 'cv.md'), 'utf8');
    for (const f of report.folds) expect(md).toContain(`| ${f.subject} | ${f.trainClips} | ${f.testClips} | ${(100 * f.testTop1).toFixed(2)} |`);
    // How each fold chose its epoch: on validation subjects here; without them (`--preset ucla`) the last.
    expect(report.folds.every((f) => f.valTop1 !== null)).toBe(true);
    expect(md).toContain('its epoch chosen on validation subjects drawn from those');
    const lastEpoch = crossValidationMarkdown({ ...report, folds: report.folds.map((f) => ({ ...f, valTop1: null })) });
    expect(lastEpoch).toContain('Each fold trains on every other subject, keeps its last epoch (no validation split) and scores the held-out subject once.');
    expect(lastEpoch).not.toContain('validation subjects');
    expect(JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('pools the folds\' test answers: every clip once, folds in subject order, scoring the pooled figure', async () => {
    const pooled = (await readPredictions(out)).lines;
    expect(pooled.map((l) => l.sample)).toEqual(['s1', 's2', 's3'].flatMap((s) => readFileSync(join(out, `fold-${s}`, 'run', 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).sample)));
    expect([...pooled.map((l) => l.sample)].sort()).toEqual([...stems.values()].flat().sort());
    expect((100 * pooled.filter((l) => l.top5[0] === l.label).length) / pooled.length).toBeCloseTo(report.pooledTop1, 10);
  });

  it('continues an interrupted cross-validation: finished folds are kept, a missing one is trained', async () => {
    const resultTime = (s: string) => statSync(runPaths(join(out, `fold-${s}`, 'run')).result).mtimeMs;
    const before = { s1: resultTime('s1'), s2: resultTime('s2') };
    rmSync(join(out, 'fold-s3'), { recursive: true });
    const again = await runCrossValidation({ data: cache, out, folds: 'subject', training: TRAINING });
    expect({ s1: resultTime('s1'), s2: resultTime('s2') }).toEqual(before);
    expect(existsSync(runPaths(join(out, 'fold-s3', 'run')).result)).toBe(true);
    // Same seed, same clips: the retrained fold scores what it scored before.
    expect(again.folds.map((f) => f.testTop1)).toEqual(report.folds.map((f) => f.testTop1));
  });

  it('refuses to continue with other training settings', async () => {
    const refused = runCrossValidation({ data: cache, out, folds: 'subject', training: { ...TRAINING, epochs: 2 } });
    await expect(refused).rejects.toBeInstanceOf(OptionError);
    await expect(refused).rejects.toMatchObject({
      option: 'out',
      message: `out: ${join(out, 'cv.json')}: this cross-validation was made with other settings (${JSON.stringify(report.settings)}); continue it with the same options, or choose another out`,
    });
  });
});

describe('cocodiff cv: refusals', () => {
  it('refuses a cache of one subject, naming the cache', async () => {
    const dir = await writeCacheOf(['a01_s1_id1', 'a02_s1_id2']);
    await expect(runCrossValidation({ data: dir, out: join(tmp(), 'cv'), folds: 'subject', training: TRAINING })).rejects.toThrow(
      new UserError(`${dir}: every clip is of subject s1; leave-one-subject-out needs at least 2 subjects`),
    );
  });

  it('refuses a second writer of the same output folder and leaves it untouched', async () => {
    const out = join(tmp(), 'cv');
    const lock = await lockDir(out);
    try {
      await expect(runCrossValidation({ data: cache, out, folds: 'subject', training: TRAINING })).rejects.toThrow(new RegExp(`^${out}: another cocodiff \\(pid ${process.pid} `));
      expect(readdirSync(out)).toEqual([LOCK_FILE]);
    } finally {
      await lock.release();
    }
  });

  it('refuses clips whose names carry no subject, naming the first', async () => {
    const dir = await writeCacheOf(['walk-01', 'wave-02', 'a01_s2_id3']);
    await expect(runCrossValidation({ data: dir, out: join(tmp(), 'cv'), folds: 'subject', training: TRAINING })).rejects.toThrow(
      new UserError(`${dir}: clip "walk-01" and 1 more name no subject; leave-one-subject-out needs names that do (a01_s3_…, aAA_sBB_eCC, …P003…, as \`cocodiff prepare\` writes them)`),
    );
  });

  it('the command prints each fold and the summary; --folds takes only subject', async () => {
    const out = join(tmp(), 'cv');
    const lines = await runCli([cvCommand], 'cv', '--data', cache, '--out', out, '--preset', 'synth-quick', '--width', '0.125', '--blocks', '1', '--frames', '8', '--batch', '4', '--epochs', '1', '--seed', '3', '--backend', 'wasm');
    expect(lines.filter((l) => /^s\d +test top-1 /.test(l))).toHaveLength(3);
    expect(lines.some((l) => /^top-1 over 3 of 3 folds: [\d.]+ ± [\d.]+ % \[[-\d.]+, [\d.]+\] .*pooled over clips [\d.]+ %$/.test(l))).toBe(true);
    await expect(runCli([cvCommand], 'cv', '--data', cache, '--out', join(tmp(), 'x'), '--folds', 'view')).rejects.toThrow(/--folds <kind>' argument 'view' is invalid\. Allowed choices are subject/);
  });
});

describe('cocodiff cv --cocodiff', () => {
  const FLAGS = ['--preset', 'synth-quick', '--width', '0.125', '--blocks', '1', '--frames', '8', '--batch', '4', '--epochs', '1', '--seed', '3', '--backend', 'wasm'];
  const BRANCH = ['--cocodiff', '--denoiser-width', '16', '--denoiser-blocks', '2', '--diffusion-steps', '50', '--lambda-gen', '0.5'];
  let out: string;
  let embeddings: string;
  beforeAll(async () => {
    out = join(tmp(), 'cv');
    // Precomputed text keeps the test free of the sentence encoder.
    embeddings = join(tmp(), 'text.json');
    writeFileSync(embeddings, JSON.stringify({ dim: 4, classes: Object.fromEntries(FLORENCE_CLASSES.map((c, k) => [c, [k, 1, -k, 0.5]])) }));
    await runCli([cvCommand], 'cv', '--data', cache, '--out', out, ...FLAGS, ...BRANCH, '--text-embeddings', embeddings);
  }, 240_000);

  it('trains every fold with the branch, as train\'s flags ask for it, and records it in cv.json and cv.md', async () => {
    // The defaults with the flags' changes; --diffusion-steps scales the default --gen-t 100:400 to 5:20.
    const branch = { ...DEFAULT_COCODIFF_OPTIONS, denoiserWidth: 16, denoiserBlocks: 2, genT: [5, 20], lambdaGen: 0.5, steps: 50 };
    const cv = JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8')) as CrossValidationReport;
    expect(cv.settings.training.cocodiff).toEqual(branch);
    expect(cv.settings.training.embeddingsFile).toBe(embeddings);
    expect(cv.folds).toHaveLength(3);
    for (const f of cv.folds) {
      const run = JSON.parse(readFileSync(join(out, f.runDir, 'run.json'), 'utf8')) as { config: { cocodiff: unknown; embeddingsFile: string } };
      expect(run.config.cocodiff).toEqual(branch);
      expect(run.config.embeddingsFile).toBe(embeddings);
      // The branch really trained: its loss terms are in every epoch's metrics.
      const epochs = readFileSync(runPaths(join(out, f.runDir)).metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochMetrics);
      expect(epochs.every((m) => Number.isFinite(m.ceGen))).toBe(true);
    }
    expect(readFileSync(join(out, 'cv.md'), 'utf8')).toContain(`CoCoDiff (the defaults, except steps 50, genT 5:20, denoiserWidth 16, denoiserBlocks 2, lambdaGen 0.5), embeddingsFile ${embeddings}`);
  });

  it('refuses to continue with other CoCoDiff settings, or without the branch, naming --out; the same flags continue', async () => {
    const refusal = (args: string[]) => runCli([cvCommand], 'cv', '--data', cache, '--out', out, ...FLAGS, ...args).catch((err: unknown) => err);
    for (const args of [[], [...BRANCH.slice(0, -1), '1', '--text-embeddings', embeddings], [...BRANCH]]) {
      const err = await refusal(args);
      expect(err).toBeInstanceOf(OptionError);
      expect((err as OptionError).spelled((o) => (o === 'out' ? '--out' : o))).toMatch(new RegExp(`^--out: ${join(out, 'cv.json')}: this cross-validation was made with other settings \\(.*"cocodiff":\\{.*; continue it with the same options, or choose another --out$`));
    }
    const lines = await runCli([cvCommand], 'cv', '--data', cache, '--out', out, ...FLAGS, ...BRANCH, '--text-embeddings', embeddings);
    expect(lines.filter((l) => /^s\d +test top-1 /.test(l))).toHaveLength(3);
  });

  it('refuses CoCoDiff flags without --cocodiff', async () => {
    await expect(runCli([cvCommand], 'cv', '--data', cache, '--out', join(tmp(), 'x'), ...FLAGS, '--lambda-gen', '0.5')).rejects.toThrow(new UserError('cv: CoCoDiff flags given without --cocodiff'));
  });
});

/** A real-format cache (CacheWriter, as prepare writes one) of 2-frame florence15 clips with these names, all in its train split. */
async function writeCacheOf(names: string[]): Promise<string> {
  const dir = join(tmp(), 'cache');
  const w = await CacheWriter.create(dir, { layout: 'florence15', persons: 1, joints: 15, coords: 3, classes: FLORENCE_CLASSES, benchmark: null, source: 'test' });
  for (const [i, name] of names.entries()) {
    await w.add('train', { layout: 'florence15', frames: 2, persons: 1, joints: 15, coords: 3, data: Float32Array.from(clipValues(2, 15, i).flat(2)), label: i % 9, name });
  }
  await w.commit();
  return dir;
}
