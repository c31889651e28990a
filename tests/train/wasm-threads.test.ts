/**
 * `--threads N` of the wasm backend, run as the installed command is (bin/cocodiff.js in a process
 * of its own: the thread pool is fixed per process): the pool really has N threads, a run computes
 * bit for bit what one thread computes, the process ends when the run does (the pool's workers hold
 * nothing open), and asking threads of a backend that has its own is refused in one line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from '../../trainer/data/synth/index.ts';
import { runPaths, type EpochMetrics } from '../../trainer/train/config.ts';

const BIN = join(import.meta.dirname, '../../bin/cocodiff.js');
const root = mkdtempSync(join(tmpdir(), 'wasm-threads-'));
const data = join(root, 'synth');
/** Two epochs of a small model: large enough that XNNPACK splits its convolutions between threads. */
const FLAGS = ['--data', data, '--width', '0.25', '--blocks', '2', '--frames', '16', '--batch', '8', '--epochs', '2', '--seed', '7', '--backend', 'wasm'];

interface Exit {
  code: number | null;
  stderr: string;
}

function cocodiff(args: string[]): Promise<Exit> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** A run's epochs without their timings: what it computed. */
const computed = (run: string): Array<Partial<EpochMetrics>> =>
  readFileSync(runPaths(run).metrics, 'utf8').trim().split('\n').map((l) => {
    const { seconds: _s, msPerStep: _m, ...rest } = JSON.parse(l) as EpochMetrics;
    return rest;
  });

const runs: Record<number, { dir: string; exit: Exit }> = {};

beforeAll(async () => {
  await writeSyntheticDataset(data, { perClass: 4, classes: 4, seed: 2 });
  for (const threads of [1, 2]) {
    const dir = join(root, `threads-${threads}`);
    runs[threads] = { dir, exit: await cocodiff(['train', ...FLAGS, '--out', dir, '--threads', String(threads)]) };
  }
}, 240_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('train --threads', () => {
  it('trains on a pool of that many threads and ends when the run does', () => {
    for (const threads of [1, 2]) {
      expect(runs[threads].exit).toEqual({ code: 0, stderr: expect.stringContaining(`backend: wasm (${threads} thread${threads === 1 ? '' : 's'})`) });
    }
  });

  it('computes bit for bit what one thread computes: losses, scores, checkpoint and artifact', () => {
    const [one, two] = [runs[1].dir, runs[2].dir];
    expect(computed(two)).toEqual(computed(one));
    expect(computed(one)).toHaveLength(2);
    const bytes = (run: string, file: string): Buffer => readFileSync(join(run, file));
    expect(bytes(two, 'checkpoints/last/tensors.bin').equals(bytes(one, 'checkpoints/last/tensors.bin'))).toBe(true);
    expect(bytes(two, 'artifact/weights.bin').equals(bytes(one, 'artifact/weights.bin'))).toBe(true);
  });

  it('refuses threads for a backend that manages its own, and a count that is no positive integer', async () => {
    const cpu = await cocodiff(['train', ...FLAGS, '--out', join(root, 'cpu'), '--backend', 'cpu', '--threads', '2']);
    expect(cpu).toEqual({ code: 1, stderr: "cocodiff: --threads: threads are the wasm backend's; cpu manages its own\n" });
    const zero = await cocodiff(['train', ...FLAGS, '--out', join(root, 'zero'), '--threads', '0']);
    expect(zero.code).not.toBe(0);
    expect(zero.stderr).toMatch(/--threads.*expected an integer in 1\.\.256, found "?0"?/);
  });
});
