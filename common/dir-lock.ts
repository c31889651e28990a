/**
 * One writer per run directory. `train` (new and --resume), `eval --out`, `export`, `ablate` and `cv`
 * write files into a directory they keep, not one they swap in whole; two of them at once would
 * interleave epochs, checkpoints and results from different runs. So each takes DIR/.cocodiff-lock
 * first: a small JSON naming the writer's PID, host and start time, created with O_EXCL (`wx`), so
 * of two processes exactly one creates it.
 *
 * A lock whose PID is not alive on this host is stale (its writer was killed) and is taken over with
 * a note; so is one whose PID is alive but names another process than the writer (the lock records
 * the writer's start time, and the system reused the PID after the writer died). A lock from another
 * host (a shared or network folder) is never guessed stale: its PID says nothing here, so it is
 * refused with its details and the user decides. The lock is released when the work ends, fails, or
 * the process exits (SIGINT and SIGTERM included, through the one stop handler of
 * common/temporaries.ts); a kill -9 leaves a stale lock, which the next writer takes over.
 */
import { closeSync, openSync, readFileSync, readSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { link, mkdir, open, realpath, rename, rmdir, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { isObject, parseJson } from 'cocodiff-runtime/shared/json-fields';
import { isAlive } from './atomic.ts';
import { fsReason } from './fs-errors.ts';
import { printable } from './terminal.ts';
import { cleanUpOnStop } from './temporaries.ts';

export const LOCK_FILE = '.cocodiff-lock';
const LOCK_FORMAT = 'cocodiff-lock';
/** A lock file is a line of JSON; more than this is not one of ours (and is never read whole: it could be /dev/zero). */
const MAX_LOCK_BYTES = 4096;

interface Holder {
  pid: number;
  host: string;
  since: string;
  /**
   * Which process the PID named when the lock was taken (processStartMark), where the system tells;
   * a live PID with another mark was reused by an unrelated process after the writer died.
   */
  started?: string;
}

export interface DirLock {
  readonly dir: string;
  /** Removes the lock file (when it is still this lock) and the directory, when the lock created it and it stayed empty. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Where the note about a stale lock taken over goes (default: stderr). */
  note?: (line: string) => void;
  /**
   * For a command that only reads DIR (`export` reads a run's checkpoints): when DIR is on read-only
   * storage or not writable by this user, go on without the lock instead of refusing to read it.
   */
  readerOfReadOnly?: boolean;
}

interface Held {
  /** The lock file, as the directory was named. */
  path: string;
  /** The lock file's exact text, to remove only our own lock. */
  text: string;
  /** Directories mkdir created for the lock, deepest first, removed on release if still empty. */
  created: string[];
}

/** Locks this process holds, by the lock file's real path: released by the exit and signal handlers too. */
const held = new Map<string, Held>();

/**
 * Takes DIR's lock (creating DIR when missing), or throws a UserError naming the writer that holds it.
 * Taken before anything in DIR is read or written, so a refused writer changes nothing.
 */
export async function lockDir(dir: string, opts: LockOptions = {}): Promise<DirLock> {
  const path = join(dir, LOCK_FILE);
  const firstCreated = await mkdir(dir, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST' || err.code === 'ENOTDIR') throw new UserError(`${dir}: exists and is not a directory`);
    throw new UserError(`${dir}: cannot create the directory: ${fsReason(err)}`);
  });
  const created = firstCreated === undefined ? [] : createdChain(dir, firstCreated);
  // This process's locks are known by real path: `runs/a` and `/home/me/runs/a` are one directory.
  const key = join(await realpath(dir), LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), started: processStartMark(process.pid) };
  const text = JSON.stringify({ format: LOCK_FORMAT, ...me }) + '\n';
  // Each round either creates the lock or removes a stale one; a stale lock is removed at most once
  // per writer, so two rounds suffice unless writers keep dying in between.
  // The stop cleanup goes in first, and the lock is created and recorded in one synchronous step:
  // a SIGINT that arrives once the file exists then always finds it in `held` (signals are handled
  // between callbacks, never inside one), instead of ending the process with the lock left behind.
  watchExit();
  try {
    for (let round = 0; round < 3; round++) {
      try {
        writeFileSync(path, text, { flag: 'wx' });
        held.set(key, { path, text, created });
        return { dir, release: () => release(key) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (opts.readerOfReadOnly && (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')) return { dir, release: async () => {} };
        if (code !== 'EEXIST') {
          await removeCreated(created);
          throw new UserError(`${path}: cannot create the lock file: ${fsReason(err)}`);
        }
      }
      const found = await readHolder(path);
      if (found === 'gone') continue;
      if (!isStale(key, found.holder)) throw busy(dir, path, found.holder);
      if (await removeStale(path, found.text)) {
        const { pid, host, since } = found.holder;
        (opts.note ?? ((line) => console.error(line)))(printable(`note: ${dir}: took over the lock of pid ${pid} on ${host} (since ${since}), which is no longer running`));
      }
    }
    throw new UserError(`${path}: could not take the lock (other writers kept taking it); try again`);
  } finally {
    // Refused, or a reader going on without the lock: nothing of this call's is left to release.
    if (held.size === 0) unwatchExit();
  }
}

/** Runs `work` holding DIR's lock, and releases it however `work` ends. */
export async function withDirLock<T>(dir: string, work: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = await lockDir(dir, opts);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

function busy(dir: string, path: string, h: Holder): UserError {
  return new UserError(`${dir}: another cocodiff (pid ${h.pid} on ${h.host}, since ${h.since}) is writing here; wait for it, or remove ${path} if that process is gone`);
}

/** `dir` and each of its ancestors up to `first` (what mkdir -p created), deepest first. */
function createdChain(dir: string, first: string): string[] {
  const chain = [dir];
  while (relative(first, chain[chain.length - 1]) !== '' && dirname(chain[chain.length - 1]) !== chain[chain.length - 1]) chain.push(dirname(chain[chain.length - 1]));
  return chain;
}

/** The holder named by the lock file, or 'gone' when it disappeared meanwhile (its writer released it). */
async function readHolder(path: string): Promise<{ holder: Holder; text: string } | 'gone'> {
  // A writer fills its lock right after creating it: an empty file is one being written.
  for (let tries = 0; ; tries++) {
    let text: string;
    try {
      text = await readHead(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw new UserError(`${path}: cannot read the lock file (${fsReason(err)}); remove it if no cocodiff is writing there`);
    }
    if (text === '' && tries < 10) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const doc = text.length < MAX_LOCK_BYTES ? safeParse(text, path) : undefined;
    if (!isObject(doc) || doc.format !== LOCK_FORMAT || !Number.isInteger(doc.pid) || (doc.pid as number) < 1 || typeof doc.host !== 'string' || typeof doc.since !== 'string' || (doc.started !== undefined && typeof doc.started !== 'string')) {
      throw new UserError(`${path}: not a lock file cocodiff wrote (expected {"format": "${LOCK_FORMAT}", "pid", "host", "since", "started"?}); remove it if no cocodiff is writing there`);
    }
    return { holder: { pid: doc.pid as number, host: doc.host, since: doc.since, started: doc.started as string | undefined }, text };
  }
}

function safeParse(text: string, path: string): unknown {
  try {
    return parseJson(text, path);
  } catch {
    return undefined;
  }
}

/** At most MAX_LOCK_BYTES of the file. */
async function readHead(path: string): Promise<string> {
  const f = await open(path, 'r');
  try {
    const buf = Buffer.alloc(MAX_LOCK_BYTES);
    const { bytesRead } = await f.read(buf, 0, MAX_LOCK_BYTES, 0);
    return buf.toString('utf8', 0, bytesRead);
  } finally {
    await f.close();
  }
}

/**
 * True when the holder is provably gone: a PID of this host that is not running, or that now names
 * another process than the writer's (its start mark differs), or this process, which does not hold it.
 */
function isStale(key: string, h: Holder): boolean {
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return !held.has(key);
  if (!isAlive(h.pid)) return true;
  const now = h.started === undefined ? undefined : processStartMark(h.pid);
  return now !== undefined && now !== h.started;
}

/**
 * Names one process for its whole life, unlike its PID, which the system hands out again once it
 * ended: this boot's id and the process's start time in clock ticks since boot (Linux /proc). Undefined
 * where the system does not tell (macOS, Windows, no /proc), and a lock is then judged by its PID alone.
 */
export function processStartMark(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces and ')': count from the last one.
    const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    return /^\d+$/.test(startTicks ?? '') && bootId ? `${bootId}/${startTicks}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the stale lock whose text is `stale`, and nothing else: another writer may have taken it
 * over since it was read. The file is moved aside (atomic) and its text compared; a live lock moved
 * by mistake is linked back (link, unlike rename, never replaces a lock created meanwhile). Returns
 * whether the stale lock was removed by this call.
 */
async function removeStale(path: string, stale: string): Promise<boolean> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new UserError(`${path}: cannot remove the stale lock file (${fsReason(err)}); remove it yourself if no cocodiff is writing there`);
  }
  const moved = await readHead(aside).catch(() => '');
  if (moved !== stale) await link(aside, path).catch(() => {});
  await unlink(aside).catch(() => {});
  return moved === stale;
}

async function release(key: string): Promise<void> {
  const h = held.get(key);
  if (!h) return;
  held.delete(key);
  const text = await readHead(h.path).catch(() => null);
  if (text === h.text) await unlink(h.path).catch(() => {});
  await removeCreated(h.created);
  if (held.size === 0) unwatchExit();
}

async function removeCreated(created: string[]): Promise<void> {
  for (const d of created) {
    // Only an empty directory goes: the work wrote nothing there (it failed before writing).
    if (!(await rmdir(d).then(() => true, () => false))) return;
  }
}

/** The same as release, for every held lock, synchronously: from the exit and signal handlers. */
function releaseAllSync(): void {
  for (const { path, text: ours, created } of held.values()) {
    let text: string | null = null;
    try {
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.alloc(MAX_LOCK_BYTES);
        text = buf.toString('utf8', 0, readSync(fd, buf, 0, MAX_LOCK_BYTES, 0));
      } finally {
        closeSync(fd);
      }
    } catch {
      // gone already
    }
    try {
      if (text === ours) unlinkSync(path);
      for (const d of created) rmdirSync(d);
    } catch {
      // a directory that is not empty stays
    }
  }
  held.clear();
}

/** While a lock is held, a stop or an exit that skips the work's `finally` still releases it (common/temporaries.ts). */
let unregisterStopCleanup: (() => void) | null = null;

function watchExit(): void {
  unregisterStopCleanup ??= cleanUpOnStop(releaseAllSync);
}

function unwatchExit(): void {
  unregisterStopCleanup?.();
  unregisterStopCleanup = null;
}
