/**
 * The temporaries this process is writing, and what a stop signal does to them. Every output is
 * built in a hidden temporary and renamed into place (common/atomic.ts); a command stopped half-way
 * by Ctrl-C (SIGINT) or SIGTERM would otherwise leave it behind, filling the disk.
 *
 * While the CLI runs (`exitOnSignals`), a signal removes every temporary still registered, then ends
 * the process by that same signal, so a shell or a script sees a command stopped by it (status 130,
 * 143) and stops too. Renames that belong together (a directory swap, a .wasm and its sidecar) run
 * inside `uninterrupted`: a signal that arrives during them takes effect once they are done, so it
 * never leaves a half-swapped directory or splits a pair. A command that stops more gently (prepare
 * finishes the sample at hand and says what it did not write) registers `onInterrupt`: the first
 * signal goes to it, a second ends the process at once.
 *
 * This is the one place that listens to SIGINT, SIGTERM and exit: other state a stop must undo (the
 * run-directory lock of common/dir-lock.ts) registers a synchronous `cleanUpOnStop` here, which runs
 * after the temporaries are removed and before the process ends, in that order, whoever is listening.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Temporary siblings of an output: `.NAME.PID.RAND.tmp` while it is built, `.NAME.PID.RAND.old` for
 * the version being replaced during a directory swap. The PID tells a live writer's from a dead one's.
 */
export function temporaryName(path: string, suffix: 'tmp' | 'old'): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.${suffix}`);
}

/** The writer's PID and the kind of a temporary's file name (of output `of`, when given), or null when it is none. */
export function parseTemporaryName(name: string, of?: string): { pid: number; kind: 'tmp' | 'old' } | null {
  const m = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.(tmp|old)$/.exec(name);
  if (!m || (of !== undefined && m[1] !== of)) return null;
  return { pid: Number(m[2]), kind: m[3] as 'tmp' | 'old' };
}

const temporaries = new Set<string>();
/** Synchronous undo steps for a stop (or an exit) that skips the code's own `finally`: releasing a lock. */
const stopCleanups = new Set<() => void>();
const interruptListeners = new Set<() => void>();
let cliExits = false;
let listening = false;
let listeningToExit = false;
let uninterruptedDepth = 0;
/** How the process ends once the current uninterrupted() section is done, when a signal or exit asked for it meanwhile. */
let pendingEnd: (() => void) | null = null;
let interrupted = false;

/** Registers a temporary file or directory, before it is created, so no moment is left where a signal would miss it. */
export function addTemporary(path: string): void {
  temporaries.add(path);
}

/** The temporary was renamed into place or removed: it is no longer ours to remove. */
export function dropTemporary(path: string): void {
  temporaries.delete(path);
}

/**
 * Runs `cleanup` (synchronous, and safe to run when there is nothing left to undo) if the process is
 * stopped by a signal, ends through exitCleanly, or exits while it is registered; the returned
 * function unregisters it (the work ended and undid it itself).
 */
export function cleanUpOnStop(cleanup: () => void): () => void {
  stopCleanups.add(cleanup);
  listen();
  return () => {
    stopCleanups.delete(cleanup);
    listen();
  };
}

/** Removes every registered temporary, then runs the stop cleanups, synchronously: the process ends right after. */
function removeTemporaries(): void {
  for (const path of temporaries) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // Ending anyway; the next write or read of the output removes what is left (recoverDirAtomic).
    }
  }
  temporaries.clear();
  runStopCleanups();
}

function runStopCleanups(): void {
  const cleanups = [...stopCleanups];
  stopCleanups.clear();
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // Ending anyway: one failed undo must not keep the others from running.
    }
  }
}

/** Ends the process with `end` after removing the temporaries, at once or, inside uninterrupted(), when it is done. */
function endWith(end: () => void): void {
  if (uninterruptedDepth > 0) {
    pendingEnd ??= end;
    return;
  }
  removeTemporaries();
  end();
}

/** Removes the temporaries and exits with `code` (a closed pipe: the reader went away). */
export function exitCleanly(code: number): void {
  endWith(() => process.exit(code));
}

/** Runs `fn` (renames that must all happen or none) with any ending a signal asks for held until it is done. */
export async function uninterrupted<T>(fn: () => Promise<T>): Promise<T> {
  uninterruptedDepth++;
  try {
    return await fn();
  } finally {
    uninterruptedDepth--;
    const end = uninterruptedDepth === 0 ? pendingEnd : null;
    if (end) {
      pendingEnd = null;
      endWith(end);
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  // Only a lock is held (a library caller's process) and the caller handles the signal itself: its
  // process goes on, and the work's own `finally` releases the lock.
  if (!cliExits && interruptListeners.size === 0 && process.listenerCount(signal) > 1) return;
  if (!interrupted && interruptListeners.size > 0) {
    interrupted = true;
    for (const listener of interruptListeners) listener();
    return;
  }
  endWith(() => {
    // Raised again with our listeners gone, the signal ends the process as it would have without them.
    cliExits = false;
    interruptListeners.clear();
    listen();
    process.kill(process.pid, signal);
  });
}

/**
 * Listens to SIGINT and SIGTERM only while someone needs it, so a library caller's process keeps its
 * own handling; and to exit while a stop cleanup is registered (a `process.exit` skips every `finally`).
 */
function listen(): void {
  const want = cliExits || interruptListeners.size > 0 || stopCleanups.size > 0;
  if (want !== listening) {
    listening = want;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      if (want) process.on(signal, onSignal);
      else process.off(signal, onSignal);
    }
  }
  const wantExit = stopCleanups.size > 0;
  if (wantExit !== listeningToExit) {
    listeningToExit = wantExit;
    if (wantExit) process.on('exit', runStopCleanups);
    else process.off('exit', runStopCleanups);
  }
}

/** The CLI's handling for its whole run: a signal removes this process's temporaries and ends it. */
export function exitOnSignals(): void {
  cliExits = true;
  listen();
}

/**
 * Sends the first SIGINT or SIGTERM to `listener` instead of ending the process, until the returned
 * function is called; a second signal ends it at once (removing the temporaries).
 */
export function onInterrupt(listener: () => void): () => void {
  interrupted = false;
  interruptListeners.add(listener);
  listen();
  return () => {
    interruptListeners.delete(listener);
    listen();
  };
}
