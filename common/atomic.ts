import { lstat, mkdir, open, readdir, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { writeFailure } from './fs-errors.ts';
import { checkOutputDir, readOutputMarker, writeOutputMarker, type OutputOptions } from './output-dir.ts';
import { addTemporary, dropTemporary, parseTemporaryName, temporaryName, uninterrupted } from './temporaries.ts';

/**
 * Makes the folders `path` goes in. A part of that path that is a file makes Node's recursive mkdir
 * fail with EEXIST, which would read as "the output exists"; it is ENOTDIR, the user's to fix.
 */
async function makeParents(path: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw Object.assign(err as Error, { code: 'ENOTDIR' });
    throw err;
  }
}

/**
 * Writes a file so that readers see either the old content or the new one, never a half. A full
 * disk, a read-only folder and the like end in a UserError naming `path` (common/fs-errors.ts).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = temporaryName(path, 'tmp');
  addTemporary(tmp);
  try {
    await makeParents(path);
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    // The failure is what the user hears of; a temporary that cannot even be removed (its folder is a file) was never made.
    await rm(tmp, { force: true }).catch(() => {});
    throw writeFailure(err, path);
  } finally {
    dropTemporary(tmp);
  }
}

/**
 * Writes files that belong together (a .wasm and its sidecar): every one is written in full to a
 * temporary first, then they are renamed into place one right after the other, so no slow step
 * lies between the renames. (A crash between two renames can still pair a new file with an old
 * one; readers that check a checksum between them, as the recognizer does, catch that.)
 */
export async function writeFilesAtomic(files: ReadonlyArray<readonly [path: string, data: string | Uint8Array]>): Promise<void> {
  const temps: string[] = [];
  let current = '';
  try {
    for (const [path, data] of files) {
      current = path;
      const tmp = temporaryName(path, 'tmp');
      temps.push(tmp);
      addTemporary(tmp);
      await makeParents(path);
      await writeFile(tmp, data);
    }
    // A signal between two renames would pair a new file with an old one: the renames finish first.
    await uninterrupted(async () => {
      for (const [i, [path]] of files.entries()) {
        current = path;
        await rename(temps[i], path);
        dropTemporary(temps[i]);
      }
    });
  } catch (err) {
    for (const tmp of temps) await rm(tmp, { force: true }).catch(() => {});
    throw writeFailure(err, current);
  } finally {
    for (const tmp of temps) dropTemporary(tmp);
  }
}

/** A file written piece by piece (records as they are made) that appears at its path only when committed. */
export interface AtomicFileWriter {
  /** Appends text, waiting while the disk is behind, so memory holds no backlog. */
  write(text: string): Promise<void>;
  /** Finishes the file and renames it into place. */
  commit(): Promise<void>;
  /** Removes what was written; the path keeps what it had before. */
  abort(): Promise<void>;
}

/**
 * writeFileAtomic for output that is too long to hold (one line per video frame): it goes to a
 * registered temporary, so a stop signal removes it, and only `commit` puts it at `path`.
 */
export async function openFileAtomic(path: string): Promise<AtomicFileWriter> {
  const tmp = temporaryName(path, 'tmp');
  addTemporary(tmp);
  let handle: FileHandle;
  try {
    await makeParents(path);
    handle = await open(tmp, 'w');
  } catch (err) {
    dropTemporary(tmp);
    throw writeFailure(err, path);
  }
  const fail = async (err: unknown): Promise<never> => {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    dropTemporary(tmp);
    throw writeFailure(err, path);
  };
  return {
    async write(text) {
      await handle.writeFile(text).catch(fail);
    },
    async commit() {
      try {
        await handle.close();
        await rename(tmp, path);
        dropTemporary(tmp);
      } catch (err) {
        await fail(err);
      }
    },
    async abort() {
      await handle.close().catch(() => {});
      await rm(tmp, { force: true }).catch(() => {});
      dropTemporary(tmp);
    },
  };
}

/** Temporary directories this process is building or swapping right now: never stale. */
const inProgress = new Set<string>();

/** Whether a process with this PID runs on this host (EPERM: it runs, as another user). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Finishes or undoes a directory swap that a crash interrupted, then removes stale temporaries.
 * The swap (commitDirAtomic) renames `dir → .old`, then `.tmp → dir`; the `.tmp` holds its output
 * marker, written last, only once it is complete. So when `dir` is missing, a complete `.tmp` left
 * by a dead writer is the newest version and is moved into place; failing that, an `.old` is put
 * back. Every other temporary of a dead writer (or of this process, from an earlier failed
 * attempt) is removed. Readers call this too, so a crash never looks like "no output".
 */
export async function recoverDirAtomic(dir: string): Promise<void> {
  const parent = dirname(dir);
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  const stale: { path: string; kind: 'tmp' | 'old'; complete: boolean; mtime: number }[] = [];
  for (const n of names) {
    const m = parseTemporaryName(n, basename(dir));
    if (!m) continue;
    const path = join(parent, n);
    if (inProgress.has(path) || (m.pid !== process.pid && isAlive(m.pid))) continue;
    const st = await lstat(path).catch(() => null);
    if (!st?.isDirectory()) continue;
    stale.push({ path, kind: m.kind, complete: (await readOutputMarker(path)) !== null, mtime: st.mtimeMs });
  }
  if (stale.length === 0) return;
  const exists = await lstat(dir).then(() => true, () => false);
  if (!exists) {
    const newest = (kind: 'tmp' | 'old') => stale.filter((s) => s.kind === kind && s.complete).sort((a, b) => b.mtime - a.mtime)[0];
    const keep = newest('tmp') ?? newest('old');
    if (keep) {
      await rename(keep.path, dir);
      stale.splice(stale.indexOf(keep), 1);
    }
  }
  for (const s of stale) await rm(s.path, { recursive: true, force: true });
}

/** Starts a directory output: checks that `dir` may be replaced, and makes the temporary sibling to fill. */
export async function beginDirAtomic(dir: string, opts: OutputOptions): Promise<string> {
  const tmp = temporaryName(dir, 'tmp');
  try {
    await makeParents(dir);
    await recoverDirAtomic(dir);
    await checkOutputDir(dir, opts);
    inProgress.add(tmp);
    addTemporary(tmp);
    await mkdir(tmp);
  } catch (err) {
    inProgress.delete(tmp);
    dropTemporary(tmp);
    throw writeFailure(err, dir, opts.kind);
  }
  return tmp;
}

/**
 * Finishes a directory output: marks the filled temporary complete, checks `dir` again (it may
 * have changed while the output was built), and swaps the temporary into place.
 */
export async function commitDirAtomic(tmp: string, dir: string, opts: OutputOptions): Promise<void> {
  try {
    await writeOutputMarker(tmp, opts.kind);
    await checkOutputDir(dir, opts);
    // A signal during the swap exits once it is done: removing the .tmp after `dir` went to .old would lose both.
    await uninterrupted(() => swapIn(tmp, dir));
  } catch (err) {
    throw writeFailure(err, dir, opts.kind);
  }
}

/** `dir → .old`, `.tmp → dir`, then the .old removed; a failed second rename puts the .old back. */
async function swapIn(tmp: string, dir: string): Promise<void> {
  const old = temporaryName(dir, 'old');
  inProgress.add(old);
  try {
    let hadOld = false;
    try {
      await rename(dir, old);
      hadOld = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      await rename(tmp, dir);
    } catch (err) {
      if (hadOld) await rename(old, dir).catch(() => {});
      throw err;
    }
    dropTemporary(tmp);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } finally {
    inProgress.delete(old);
    inProgress.delete(tmp);
  }
}

/** Drops an output that will not be committed. */
export async function abortDirAtomic(tmp: string): Promise<void> {
  await rm(tmp, { recursive: true, force: true });
  inProgress.delete(tmp);
  dropTemporary(tmp);
}

/**
 * Builds a whole directory in a temporary sibling, then swaps it into place (see beginDirAtomic and
 * commitDirAtomic). A run killed half-way leaves only temporaries, which the next write or read of
 * `dir` finishes or removes (recoverDirAtomic), never a half directory.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>, opts: OutputOptions): Promise<void> {
  const tmp = await beginDirAtomic(dir, opts);
  try {
    await fill(tmp);
    await commitDirAtomic(tmp, dir, opts);
  } catch (err) {
    await abortDirAtomic(tmp);
    throw writeFailure(err, dir, opts.kind);
  }
}
