/**
 * Commands that write, run as the installed command is (bin/cocodiff.js in a process of its own),
 * meet a real forbidden folder and real stop signals (issue 26): one line naming the output and the
 * cause, exit 1; SIGTERM in the middle of a write removes the hidden temporary, then ends the
 * process by that signal as if nothing had caught it, without a stack trace; a reader that closes the pipe early
 * ends the command quietly, as for `stream … | head -1`, and removes its temporary too.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GOLDEN_DIR } from '../compiler/artifacts.ts';
import { UNPRIVILEGED } from '../helpers/unprivileged.ts';

const BIN = join(import.meta.dirname, '../../bin/cocodiff.js');
const STALL_WRITES = join(import.meta.dirname, '../helpers/stall-writes.mjs');

const root = await mkdtemp(join(tmpdir(), 'cocodiff-interrupt-'));
// Traversable by the unprivileged user the forbidden-folder tests run as when the suite runs as root.
await chmod(root, 0o755);
afterAll(() => rm(root, { recursive: true, force: true }));

interface Child {
  /** Resolves when the process has exited. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs `cocodiff ARGS` in `cwd`. Root is not stopped by a folder's mode, so a suite running as root
 * runs the command as `nobody` there; `preload` is a module given to node's --import; with
 * `closeStderr` the reader of stderr goes away after its first line (`2>&1 | head -1`).
 */
function cocodiff(cwd: string, args: string[], opts: { unprivileged?: boolean; preload?: string; closeStderr?: boolean } = {}): Child {
  const asNobody = opts.unprivileged ? UNPRIVILEGED ?? {} : {};
  const child = spawn(process.execPath, [...(opts.preload ? ['--import', opts.preload] : []), BIN, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], ...asNobody });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (opts.closeStderr) child.stderr.destroy();
  });
  return {
    exit: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr }))),
    kill: (signal) => void child.kill(signal),
  };
}

/** Names in `dir` that are temporaries of an atomic write. */
const temporaries = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => /\.(tmp|old)$/.test(n));

/** Waits until a temporary directory in `dir` holds a file `name` with some bytes in it: the command is mid-write. */
async function midWrite(dir: string, name: string, exit: Child['exit']): Promise<void> {
  let exited = false;
  void exit.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the command ended before writing ${name}: ${(await exit).stderr}`);
    for (const t of await temporaries(dir)) {
      if (((await stat(join(dir, t, name)).catch(() => null))?.size ?? 0) > 0) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A manifest for the golden CTR-GCN weights, for import-ctrgcn. */
async function goldenManifest(dir: string): Promise<string> {
  const golden = JSON.parse(await readFile(join(GOLDEN_DIR, 'golden.json'), 'utf8')) as { weights: { tensors: unknown[] } };
  const manifest = join(dir, 'manifest.json');
  await writeFile(manifest, JSON.stringify({ weights: { tensors: golden.weights.tensors } }));
  return manifest;
}

describe('a folder the user may not write', () => {
  it.skipIf(UNPRIVILEGED === null)('synth and import-ctrgcn name the output and the cause in one line, and exit 1', async () => {
    const d = join(root, 'forbidden');
    await mkdir(join(d, 'ro'), { recursive: true });
    await chmod(d, 0o755);
    await chmod(join(d, 'ro'), 0o555);
    const manifest = await goldenManifest(d);
    const synth = await cocodiff(d, ['synth', '--out', 'ro/cache', '--classes', '2', '--per-class', '3'], { unprivileged: true }).exit;
    expect(synth.stderr).toBe('cocodiff: ro/cache: cannot write the dataset cache: permission denied (EACCES); nothing was written\n');
    expect(synth.code).toBe(1);
    const imported = await cocodiff(d, ['import-ctrgcn', '--manifest', manifest, '--weights', join(GOLDEN_DIR, 'weights.bin'), '--out', 'ro/art'], { unprivileged: true }).exit;
    expect(imported.stderr).toBe('cocodiff: ro/art: cannot write the model artifact: permission denied (EACCES); nothing was written\n');
    expect(imported.code).toBe(1);
    expect(await readdir(join(d, 'ro'))).toEqual([]);
  }, 120_000);
});

describe('stopped in the middle of a write', () => {
  it('synth: the cache half-written in its temporary is removed', async () => {
    const d = join(root, 'synth');
    await mkdir(d);
    const child = cocodiff(d, ['synth', '--out', 'cache', '--per-class', '300']);
    await midWrite(d, 'train.bin', child.exit);
    child.kill('SIGTERM');
    const r = await child.exit;
    expect(r.stderr).not.toMatch(/Error|\bat .*:\d+:\d+/);
    expect([r.code, r.signal]).toEqual([null, 'SIGTERM']);
    expect(await readdir(d)).toEqual([]);
  }, 60_000);

  it('import-ctrgcn: the artifact stalled half-way on a slow disk is removed', async () => {
    const d = join(root, 'import');
    await mkdir(d);
    const manifest = await goldenManifest(d);
    const child = cocodiff(d, ['import-ctrgcn', '--manifest', manifest, '--weights', join(GOLDEN_DIR, 'weights.bin'), '--out', 'art'], { preload: STALL_WRITES });
    await midWrite(d, 'weights.bin', child.exit);
    child.kill('SIGTERM');
    const r = await child.exit;
    expect(r.stderr).not.toMatch(/Error|\bat .*:\d+:\d+/);
    expect([r.code, r.signal]).toEqual([null, 'SIGTERM']);
    expect(await readdir(d)).toEqual(['manifest.json']);
  }, 60_000);

  it('synth whose progress reader closed the pipe (2>&1 | head -1) ends quietly, its temporary removed', async () => {
    const d = join(root, 'pipe');
    await mkdir(d);
    const r = await cocodiff(d, ['synth', '--out', 'cache', '--per-class', '300'], { closeStderr: true }).exit;
    expect(r.stderr).toMatch(/^synth \d+\/4200/);
    expect([r.code, r.signal]).toEqual([0, null]);
    expect(await readdir(d)).toEqual([]);
  }, 60_000);
});
