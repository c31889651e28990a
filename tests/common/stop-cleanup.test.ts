/**
 * One place handles stop signals and exits (common/temporaries.ts): the run-directory lock registers
 * its release there instead of listening itself (issue 26). Each case runs a small program as its own
 * process, since a signal or an exit ends the process that receives it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../common/dir-lock.ts';

const REPO = join(import.meta.dirname, '../..');

/**
 * MODE: `cli` (the CLI's handling: exitOnSignals, a temporary being written and the lock), `library`
 * (only the lock, as a library caller), `own-handler` (the lock, and the caller's own SIGINT handler,
 * which reports whether the lock is still there, then releases it and exits 0), `exit` (process.exit(3)
 * while holding the lock). Prints `ready SIGINT-LISTENERS SIGTERM-LISTENERS` once set up.
 */
const PROGRAM = `
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { addTemporary, exitOnSignals } from ${JSON.stringify(join(REPO, 'common/temporaries.ts'))};
import { lockDir, LOCK_FILE } from ${JSON.stringify(join(REPO, 'common/dir-lock.ts'))};
const [mode, dir, temporary] = process.argv.slice(2);
if (mode === 'cli') exitOnSignals();
const lock = await lockDir(dir);
if (mode === 'cli') {
  addTemporary(temporary);
  writeFileSync(temporary, 'half of an output');
}
if (mode === 'own-handler') {
  process.on('SIGINT', async () => {
    console.log('caught, lock ' + (existsSync(join(dir, LOCK_FILE)) ? 'kept' : 'gone'));
    await lock.release();
    process.exit(0);
  });
}
console.log('ready ' + process.listenerCount('SIGINT') + ' ' + process.listenerCount('SIGTERM'));
if (mode === 'exit') process.exit(3);
setInterval(() => {}, 1000);
`;

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
}

/** Runs the program in MODE and sends `signal` once it is ready (none for `exit`). */
function runProgram(mode: string, dir: string, temporary: string, signal?: NodeJS.Signals): Promise<Ended> {
  const child = spawn(process.execPath, ['--conditions=cocodiff-source', '--import', 'tsx', programPath, mode, dir, temporary], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    if (signal && !sent && stdout.includes('ready')) sent = child.kill(signal);
  });
  return new Promise((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig, stdout })));
}

let root: string;
let programPath: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cocodiff-stop-cleanup-'));
  programPath = join(root, 'program.mts');
  await writeFile(programPath, PROGRAM);
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('one stop handler for temporaries and the lock', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s in the CLI: one listener; the temporary and the lock are removed, and the process ends by the signal', async (signal) => {
    const dir = join(root, `cli${n++}`);
    const temporary = join(root, `.out.${n}.tmp`);
    const ended = await runProgram('cli', dir, temporary, signal);
    expect(ended.stdout).toBe('ready 1 1\n');
    expect(ended.signal).toBe(signal);
    expect(existsSync(temporary)).toBe(false);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('a library caller holding only the lock: a signal releases it and ends the process as Node would', async () => {
    const dir = join(root, `library${n++}`);
    const ended = await runProgram('library', dir, '', 'SIGTERM');
    expect(ended.stdout).toBe('ready 1 1\n');
    expect(ended.signal).toBe('SIGTERM');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it("a caller's own SIGINT handler decides: the process goes on holding the lock until the caller releases it", async () => {
    const dir = join(root, `own${n++}`);
    const ended = await runProgram('own-handler', dir, '', 'SIGINT');
    expect(ended.stdout).toBe('ready 2 1\ncaught, lock kept\n');
    expect(ended.code).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('process.exit while holding the lock releases it', async () => {
    const dir = join(root, `exit${n++}`);
    const ended = await runProgram('exit', dir, '');
    expect(ended.code).toBe(3);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);
});
