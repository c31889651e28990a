/**
 * `--jobs N` of the commands that train several models (`ablate`, `cv`): each job is this same command
 * line again, in a process of its own, asked for that one job with `--run-one JOB` (and `--jobs 1`).
 * The parent keeps the command's folder lock and writes the tables; each child trains one run and
 * holds that run's own lock.
 *
 * A child's error line (`cocodiff: …`) is not passed through but becomes the parent's one-line error,
 * naming the job. A stop of the parent (Ctrl-C, SIGTERM: common/temporaries.ts) stops every child
 * too, and a pool that fails stops the children still running (common/job-pool.ts): no training goes
 * on unseen after the command has ended, and each child leaves its last checkpoint to resume from.
 */
import { spawn } from 'node:child_process';
import { Option, type Command } from 'commander';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { cleanUpOnStop } from '../common/temporaries.ts';
import { positiveInt } from './options.ts';

/** Adds `--jobs N` and the internal `--run-one JOB` (`job` says what JOB names, e.g. `VARIANT@SEED`). */
export function addJobOptions(command: Command, job: string): Command {
  return command
    .option('--jobs <n>', 'trainings at once, each in its own process (e.g. one per core)', positiveInt('--jobs'), 1)
    // Internal (the parent's way to ask a child for one job), so not in --help.
    .addOption(new Option('--run-one <job>', `train one run (${job}) in this process`).hideHelp());
}

/** This process's command line without `flag` and its value (`--jobs 2`, `--jobs=2`). */
function withoutFlag(args: readonly string[], flag: string): string[] {
  return args.filter((a, i) => !(a === flag || args[i - 1] === flag || a.startsWith(`${flag}=`)));
}

const ERROR_PREFIX = 'cocodiff: ';

/**
 * Runs `cocodiff <this command line> --jobs 1 --run-one JOB` and waits for it. Rejects with a
 * UserError `WHAT failed: <the child's error>; …` when it fails, and stops it when `signal` aborts.
 */
export function spawnRunOne(job: string, what: string, signal: AbortSignal): Promise<void> {
  const args = withoutFlag(withoutFlag(process.argv.slice(1), '--jobs'), '--run-one');
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new UserError(`${what}: not started, another job failed`));
    const child = spawn(process.execPath, [...process.execArgv, ...args, '--jobs', '1', '--run-one', job], { stdio: ['ignore', 'ignore', 'pipe'] });
    const stopChild = (): void => void child.kill('SIGTERM');
    const forgetStop = cleanUpOnStop(stopChild);
    signal.addEventListener('abort', stopChild, { once: true });
    // The child's progress and warnings pass through line by line; its error line is kept for ours.
    let pending = '';
    let childError: string | null = null;
    const pass = (line: string): void => {
      if (line.startsWith(ERROR_PREFIX)) childError = line.slice(ERROR_PREFIX.length);
      else if (childError !== null) childError += ` ${line.trim()}`;
      else process.stderr.write(`${line}\n`);
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      lines.forEach(pass);
    });
    child.on('error', (err) => {
      forgetStop();
      reject(new UserError(`${what}: cannot start ${process.execPath} (${err.message})`));
    });
    child.on('close', (code, stoppedBy) => {
      forgetStop();
      signal.removeEventListener('abort', stopChild);
      if (pending) pass(pending);
      if (code === 0) return resolve();
      if (signal.aborted) return reject(new UserError(`${what}: stopped, another job failed`));
      // A child's own error has a cause to fix first; a child killed without one (out of memory, a signal) may just be run again.
      const next = childError !== null ? 'fix that, then run the same command again to continue' : 're-run the same command to continue';
      reject(new UserError(`${what} failed: ${childError ?? (stoppedBy ? `stopped by ${stoppedBy}` : `exit status ${code}`)}; what finished is kept: ${next}`));
    });
  });
}
