/**
 * `cocodiff cv --jobs N` run as the installed command is (bin/cocodiff.js in a process of its own,
 * which starts a process per fold), on the 3-subject Florence 3D fixture of
 * cross-validation.test.ts: the same per-fold results as `--jobs 1`, a failing fold's error in one
 * line (killed, or with an error of its own), re-running continuing fold by fold, and Ctrl-C stopping
 * the children with the parent.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../common/dir-lock.ts';
import { florenceSpec } from '../../trainer/data/clip-presets.ts';
import { prepareClips } from '../../trainer/data/clips.ts';
import { runPaths, type EpochMetrics } from '../../trainer/train/config.ts';
import type { CrossValidationReport } from '../../trainer/train/cross-validation.ts';
import { writeFlorenceSubjects } from '../helpers/clip-fixtures.ts';

const BIN = join(import.meta.dirname, '../../bin/cocodiff.js');
/** One epoch of a one-unit, eighth-width model on 8 frames per fold (cross-validation.test.ts's TRAINING as flags). */
const FLAGS = ['--preset', 'synth-quick', '--width', '0.125', '--blocks', '1', '--frames', '8', '--batch', '4', '--epochs', '1', '--seed', '3', '--backend', 'wasm'];

const tmp = (): string => mkdtempSync(join(tmpdir(), 'cv-jobs-'));
let cache: string;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts `cocodiff cv --data CACHE --out OUT ARGS`; `exit` resolves when it has ended. */
function cv(out: string, args: string[]): { pid: number; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, 'cv', '--data', cache, '--out', out, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return { pid: child.pid!, exit: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr }))) };
}

async function cvDone(out: string, args: string[]): Promise<Exit> {
  const r = await cv(out, args).exit;
  if (r.code !== 0) throw new Error(`cocodiff cv ${args.join(' ')} failed: ${r.stderr}`);
  return r;
}

const report = (out: string): CrossValidationReport => JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8'));
/** A fold's epochs without their timings: what it computed. */
const computed = (out: string, subject: string): Array<Partial<EpochMetrics>> =>
  readFileSync(runPaths(join(out, `fold-${subject}`, 'run')).metrics, 'utf8').trim().split('\n').map((l) => {
    const { seconds: _s, msPerStep: _m, ...rest } = JSON.parse(l) as EpochMetrics;
    return rest;
  });
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids of folds s1 and s2's processes, once each holds its run's lock and has checkpointed an epoch. */
async function trainingChildren(out: string, parent: { exit: Promise<Exit> }): Promise<number[]> {
  let ended: Exit | null = null;
  void parent.exit.then((r) => (ended = r));
  const runs = ['s1', 's2'].map((s) => join(out, `fold-${s}`, 'run'));
  for (;;) {
    if (ended) throw new Error(`cocodiff cv ended before both folds had trained an epoch: ${(ended as Exit).stderr}`);
    if (runs.every((run) => existsSync(join(run, LOCK_FILE)) && existsSync(join(runPaths(run).last, 'state.json')))) {
      return runs.map((run) => (JSON.parse(readFileSync(join(run, LOCK_FILE), 'utf8')) as { pid: number }).pid);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What `--jobs 1` computes, the reference for every other run. */
let serial: string;

beforeAll(async () => {
  const raw = tmp();
  writeFlorenceSubjects(raw);
  cache = join(tmp(), 'florence');
  await prepareClips(florenceSpec(raw, ['3']), cache, { quiet: true });
  serial = join(tmp(), 'serial');
  await cvDone(serial, [...FLAGS, '--jobs', '1']);
}, 120_000);

describe('cocodiff cv --jobs', () => {
  it('trains two folds at a time in child processes and computes exactly what --jobs 1 does', async () => {
    const out = join(tmp(), 'parallel');
    const { stderr } = await cvDone(out, [...FLAGS, '--jobs', '2']);
    const lines = stderr.split('\n');
    // The second fold started before the first had finished.
    const firstDone = lines.findIndex((l) => l.startsWith('cv: fold s1: test top-1'));
    expect(lines.findIndex((l) => l.startsWith('cv: fold 2 of 3, test subject s2'))).toBeLessThan(firstDone);
    const [a, b] = [report(serial), report(out)];
    expect(b.folds.map((f) => f.subject)).toEqual(['s1', 's2', 's3']);
    expect(b.folds.map((f) => [f.testTop1, f.testTop5, f.epoch, f.testClips])).toEqual(a.folds.map((f) => [f.testTop1, f.testTop5, f.epoch, f.testClips]));
    for (const s of ['s1', 's2', 's3']) expect(computed(out, s)).toEqual(computed(serial, s));
    // --jobs is not a setting of the cross-validation: either may continue the other's.
    expect(b.settings).toEqual(a.settings);
    expect(b.top1).toEqual(a.top1);
  }, 120_000);

  it('a failing fold is one line naming it and the child\'s cause; fixed, the same command continues fold by fold', async () => {
    const out = join(tmp(), 'failing');
    mkdirSync(join(out, 'fold-s2', 'run'), { recursive: true });
    writeFileSync(join(out, 'fold-s2', 'run', 'notes.txt'), 'not a run\n');
    const failed = await cv(out, [...FLAGS, '--jobs', '2']).exit;
    expect(failed.code).toBe(1);
    const errors = failed.stderr.split('\n').filter((l) => l.startsWith('cocodiff:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^cocodiff: cv: fold s2 failed: ${join(out, 'fold-s2', 'run')}: holds files cocodiff did not write there \\(notes\\.txt\\);.*; what finished is kept: fix that, then run the same command again to continue$`));
    expect(failed.stderr.match(/notes\.txt/g)).toHaveLength(1);
    expect(readdirSync(out)).not.toContain(LOCK_FILE);

    rmSync(join(out, 'fold-s2', 'run', 'notes.txt'));
    await cvDone(out, [...FLAGS, '--jobs', '2']);
    expect(report(out).folds.map((f) => f.testTop1)).toEqual(report(serial).folds.map((f) => f.testTop1));
    // A fold lost since is trained again; the finished ones are read back, not retrained.
    const resultTime = (s: string) => statSync(runPaths(join(out, `fold-${s}`, 'run')).result).mtimeMs;
    const before = { s1: resultTime('s1'), s2: resultTime('s2') };
    rmSync(join(out, 'fold-s3'), { recursive: true });
    const { stderr } = await cvDone(out, [...FLAGS, '--jobs', '2']);
    expect(stderr.split('\n').filter((l) => /^cv: fold \d of 3/.test(l))).toEqual([`cv: fold 3 of 3, test subject s3 → ${join(out, 'fold-s3', 'run')}`]);
    expect({ s1: resultTime('s1'), s2: resultTime('s2') }).toEqual(before);
    expect(computed(out, 's3')).toEqual(computed(serial, 's3'));
  }, 180_000);

  it('Ctrl-C stops the children with the parent; the same command resumes their half-trained folds', async () => {
    const out = join(tmp(), 'stopped');
    const long = FLAGS.map((f, i) => (FLAGS[i - 1] === '--epochs' ? '30' : f));
    const parent = cv(out, [...long, '--jobs', '2']);
    const childPids = await trainingChildren(out, parent);
    expect(childPids).not.toContain(parent.pid);
    process.kill(parent.pid, 'SIGINT');
    const stopped = await parent.exit;
    expect(stopped.signal).toBe('SIGINT');
    for (let i = 0; i < 200 && childPids.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(childPids.filter(alive)).toEqual([]);
    expect(readdirSync(out)).not.toContain(LOCK_FILE);
    for (const s of ['s1', 's2']) expect(readdirSync(join(out, `fold-${s}`, 'run'))).not.toContain(LOCK_FILE);

    const { stderr } = await cvDone(out, [...long, '--jobs', '2']);
    expect(stderr).toMatch(/cv: fold 1 of 3, test subject s1 \(resuming\)/);
    expect(stderr).toMatch(/cv: fold 2 of 3, test subject s2 \(resuming\)/);
    expect(report(out).folds.map((f) => f.subject)).toEqual(['s1', 's2', 's3']);
  }, 240_000);

  it('a fold whose process is killed (no error of its own) ends the command in one line that says to run it again, and stops the other fold', async () => {
    const out = join(tmp(), 'killed');
    const long = FLAGS.map((f, i) => (FLAGS[i - 1] === '--epochs' ? '30' : f));
    const parent = cv(out, [...long, '--jobs', '2']);
    const [first, second] = await trainingChildren(out, parent);
    process.kill(first, 'SIGKILL');
    const failed = await parent.exit;
    expect(failed.code).toBe(1);
    expect(failed.stderr.split('\n').filter((l) => l.startsWith('cocodiff:'))).toEqual(['cocodiff: cv: fold s1 failed: stopped by SIGKILL; what finished is kept: re-run the same command to continue']);
    for (let i = 0; i < 200 && alive(second); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(second)).toBe(false);
  }, 240_000);
});
