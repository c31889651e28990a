/** `npm run fuzz` as a developer runs it: the named targets for the time given, executions reported. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

it('runs the named target for the given seconds and reports its executions', () => {
  const run = spawnSync('npm', ['run', '--silent', 'fuzz', '--', '--seconds', '1', '--target', 'npy', '--seed', '7'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toBe('fuzzing 1 target(s) for 1 s each, seed 7');
  expect(lines[1]).toMatch(/^npy: ok, [1-9]\d* executions in 1 s \(\d+\/s\) \[runtime-as\/shared\/formats\/npy\.ts parseNpy, NpyRowReader\]$/);
});

it('refuses a target it does not have', () => {
  const run = spawnSync('npm', ['run', '--silent', 'fuzz', '--', '--target', 'pdf'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(run.status).not.toBe(0);
  expect(run.stderr).toMatch(/--target: no target pdf \(targets: pickle, zip, npy, skeleton, kinetics, ndjson, sidecar, learned, recognizer\)/);
});
