/**
 * One writer per run directory (issue 26): two `train --out same` at once left result.json and the
 * artifact from different runs, and `train --resume R` beside a running training overwrote its epochs.
 * The commands that write a kept directory take its lock (common/dir-lock.ts); these tests run them as
 * real processes where the point is two processes, and in-process for the other writers.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDir, withDirLock } from '../../common/dir-lock.ts';
import * as ablate from '../../cli/commands/ablate.ts';
import * as evalCommand from '../../cli/commands/eval.ts';
import * as exportCommand from '../../cli/commands/export.ts';
import * as train from '../../cli/commands/train.ts';
import { runCli } from '../helpers/cli.ts';
import { TINY_DATA, TINY_TRAINING, tinyRun, type TinyRun } from '../helpers/tiny-run.ts';
import { writeSyntheticDataset } from '../../trainer/data/synth/index.ts';
import { UNPRIVILEGED } from '../helpers/unprivileged.ts';

const BIN = join(import.meta.dirname, '../../bin/cocodiff.js');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `cocodiff ARGS` as its own process; `started` sees the child before it ends. */
function cocodiff(args: string[], started?: (child: ReturnType<typeof spawn>) => void, as: { uid?: number; gid?: number } = {}): Promise<Exit> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...as });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => void (stdout += d));
  child.stderr.on('data', (d) => void (stderr += d));
  started?.(child);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** The tiny configuration as `train` flags. */
function trainArgs(data: string, out: string, more: { seed?: number; epochs?: number } = {}): string[] {
  const t = TINY_TRAINING;
  return ['train', '--data', data, '--out', out, '--preset', t.preset, '--width', String(t.width), '--blocks', String(t.blocks), '--frames', String(t.frames),
    '--batch', String(t.batch), '--epochs', String(more.epochs ?? t.epochs), '--seed', String(more.seed ?? t.seed), '--backend', t.backend, '--quiet'];
}

const busy = (dir: string, pid: number): RegExp => new RegExp(`^cocodiff: ${escape(dir)}: another cocodiff \\(pid ${pid} on ${escape(hostname())}, since [0-9T:.Z-]+\\) is writing here; wait for it, or remove ${escape(join(dir, LOCK_FILE))} if that process is gone\\n$`);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 120_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let root: string;
let tiny: TinyRun;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cocodiff-one-writer-'));
  tiny = await tinyRun();
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('train as two processes', () => {
  it('two `train --out same` at once: one trains, the other exits 1 naming it and leaves its files intact', async () => {
    const run = join(root, 'race');
    // Several epochs, so the loser still finds the winner at work when it starts a little late.
    const [a, b] = await Promise.all([1, 2].map((seed) => cocodiff(trainArgs(tiny.data, run, { seed, epochs: 4 }))));
    const [won, lost] = a.code === 0 ? [a, b] : [b, a];
    expect([won.code, lost.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 1]);
    const winnerSeed = won === a ? 1 : 2;
    const winnerPid = Number(/pid (\d+)/.exec(lost.stderr)?.[1]);
    expect(lost.stderr).toMatch(busy(run, winnerPid));
    expect(lost.stdout).toBe('');
    // Every file is the winner's: its configuration, its four epochs, its result and artifact.
    expect(JSON.parse(await readFile(join(run, 'run.json'), 'utf8')).config.seed).toBe(winnerSeed);
    expect((await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(4);
    const model = JSON.parse(await readFile(join(run, 'artifact', 'model.json'), 'utf8'));
    expect(model.provenance.seed).toBe(winnerSeed);
    expect(won.stdout).toContain(`test top-1 ${(100 * JSON.parse(await readFile(join(run, 'result.json'), 'utf8')).test.top1).toFixed(2)} %`);
    expect(existsSync(join(run, LOCK_FILE))).toBe(false);
  });

  it('`train --resume R` while another process holds R is refused and changes nothing', async () => {
    const run = join(root, 'resume-locked');
    await cp(tiny.run, run, { recursive: true });
    const state = await readFile(join(run, 'checkpoints', 'last', 'state.json'));
    const metrics = await readFile(join(run, 'metrics.jsonl'));
    // This test process is the other writer: alive, on this host.
    await withDirLock(run, async () => {
      const r = await cocodiff(['train', '--resume', run, '--epochs', '2', '--quiet']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(busy(run, process.pid));
    });
    expect(await readFile(join(run, 'checkpoints', 'last', 'state.json'))).toEqual(state);
    expect(await readFile(join(run, 'metrics.jsonl'))).toEqual(metrics);
    expect(existsSync(join(run, LOCK_FILE))).toBe(false);
  });

  it('a stale lock (its process is gone) is taken over with a note, and the run trains', async () => {
    const run = join(root, 'stale');
    await mkdir(run);
    const gone = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '0']);
      child.on('exit', () => resolve(child.pid!));
    });
    await writeFile(join(run, LOCK_FILE), JSON.stringify({ format: 'cocodiff-lock', pid: gone, host: hostname(), since: '2026-01-02T03:04:05.000Z' }) + '\n');
    const r = await cocodiff(trainArgs(tiny.data, run));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: ${run}: took over the lock of pid ${gone} on ${hostname()} (since 2026-01-02T03:04:05.000Z), which is no longer running`);
    expect(existsSync(join(run, 'result.json'))).toBe(true);
    expect(existsSync(join(run, LOCK_FILE))).toBe(false);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s ends the run and removes its lock', async (signal) => {
    const run = join(root, `signal-${signal}`);
    const r = await cocodiff(trainArgs(tiny.data, run, { epochs: 50 }), (child) => {
      void until(() => existsSync(join(run, LOCK_FILE)), 'the lock').then(() => child.kill(signal));
    });
    expect(r.signal).toBe(signal);
    expect(existsSync(join(run, LOCK_FILE))).toBe(false);
  });

  it('a signal in the middle of an epoch stops the run at the next step, not at the end of the epoch', async () => {
    // One sample per step and 20 passes make the epoch hundreds of steps long (seconds, so a slow
    // machine still signals well inside it); the signal is sent once the first step is reported.
    const run = join(root, 'signal-mid-epoch');
    const args = [...trainArgs(tiny.data, run, { epochs: 50 }).filter((a) => a !== '--quiet'), '--repeat', '20'];
    args[args.indexOf('--batch') + 1] = '1';
    let total = 0;
    const r = await cocodiff(args, (child) => {
      let seen = '';
      child.stderr!.on('data', (d) => {
        seen += d;
        const first = /epoch 1\/50 (\d+)\/(\d+) /.exec(seen);
        if (first && total === 0) {
          total = Number(first[2]);
          child.kill('SIGTERM');
        }
      });
    });
    expect(r.signal).toBe('SIGTERM');
    expect(total).toBeGreaterThan(200);
    expect(r.stderr).not.toContain(`epoch 1/50 ${total}/${total} `);
  });

  it('a signal in the middle of an evaluation pass stops it at the next batch, not at the end of the pass', async () => {
    // Hundreds of one-sample batches (seconds of work); the signal is sent once the first is reported.
    const data = join(root, 'signal-mid-eval');
    await writeSyntheticDataset(data, { ...TINY_DATA, perClass: 80 });
    let total = 0;
    const r = await cocodiff(['eval', tiny.artifact, '--data', data, '--split', 'train', '--batch', '1', '--backend', TINY_TRAINING.backend], (child) => {
      let seen = '';
      child.stderr!.on('data', (d) => {
        seen += d;
        const first = /eval \S+ (\d+)\/(\d+) /.exec(seen);
        if (first && total === 0) {
          total = Number(first[2]);
          child.kill('SIGTERM');
        }
      });
    });
    expect(r.signal).toBe('SIGTERM');
    expect(total).toBeGreaterThan(200);
    expect(r.stderr).not.toMatch(new RegExp(`eval \\S+ ${total}/${total} `));
  });
});

describe('the lock is released, and taken by every writer', () => {
  it('after a failing run: nothing is left where the run would have been, and an existing run keeps no lock', async () => {
    const nowhere = join(root, 'failed-new');
    await expect(runCli([train], ...trainArgs(join(root, 'no-such-cache'), nowhere))).rejects.toThrow(/no-such-cache/);
    expect(existsSync(nowhere)).toBe(false);
    const run = join(root, 'failed-resume');
    await cp(tiny.run, run, { recursive: true });
    await expect(runCli([train], 'train', '--resume', run, '--width', '0.25')).rejects.toThrow(/these options differ from it/);
    expect(existsSync(join(run, LOCK_FILE))).toBe(false);
  });

  it('`export`, `eval --out` and `ablate` are refused while another writer holds the directory', async () => {
    const run = join(root, 'held');
    await cp(tiny.run, run, { recursive: true });
    const out = join(root, 'held-out');
    const locks = [await lockDir(run), await lockDir(out)];
    try {
      await expect(runCli([exportCommand], 'export', run, '--out', join(root, 'exported'))).rejects.toThrow(/is writing here/);
      expect(existsSync(join(root, 'exported'))).toBe(false);
      await expect(runCli([evalCommand], 'eval', tiny.artifact, '--data', tiny.data, '--out', out)).rejects.toThrow(/is writing here/);
      await expect(runCli([ablate], 'ablate', '--data', tiny.data, '--out', out, '--seeds', '1', '--epochs', '1', '--variants', '0')).rejects.toThrow(/is writing here/);
      expect(await readdir(out)).toEqual([LOCK_FILE]);
    } finally {
      for (const lock of locks) await lock.release();
    }
    // Once it is released, export goes ahead (and releases the run in turn).
    await runCli([exportCommand], 'export', run, '--out', join(root, 'exported'));
    expect(existsSync(join(root, 'exported', 'model.json'))).toBe(true);
    expect(existsSync(join(run, LOCK_FILE))).toBe(false);
  });

  it.skipIf(UNPRIVILEGED === null)('`export` reads a run it may not write (read-only storage, another user\'s run) without the lock', async () => {
    const run = join(root, 'read-only');
    await cp(tiny.run, run, { recursive: true });
    const out = join(root, 'read-only-out');
    await mkdir(out);
    await chmod(out, 0o777);
    await chmod(root, 0o755);
    await chmod(run, 0o555);
    const r = await cocodiff(['export', run, '--out', join(out, 'artifact')], undefined, UNPRIVILEGED!);
    await chmod(run, 0o755);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'artifact', 'model.json'))).toBe(true);
  });
});
