/**
 * Which existing directory an output may replace. cocodiff writes some outputs as whole directories
 * (a dataset cache, a model artifact, a checkpoint) and replaces them by swapping a new directory
 * in (common/atomic.ts), which deletes whatever was there. So a directory at an output path is
 * replaced only when nothing of the user's can be in it:
 *
 *   - it does not exist, or is empty: written fresh;
 *   - it holds OUTPUT_MARKER naming the same kind of output and nothing but the files that marker
 *     lists (what cocodiff wrote there), and the caller asked to replace it (`--force`);
 *   - anything else (a file, a folder of the user's, our output with files added since) is refused,
 *     naming the directory and what is in the way;
 *   - and never a directory that is, or contains, one of the command's inputs.
 */
import { lstat, readdir, realpath, writeFile } from 'node:fs/promises';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LOCK_FILE } from './dir-lock.ts';
import { fsReason } from './fs-errors.ts';
import { parseTemporaryName } from './temporaries.ts';

export const OUTPUT_MARKER = '.cocodiff-output.json';
const MARKER_FORMAT = 'cocodiff-output';

export type OutputKind = 'dataset cache' | 'model artifact' | 'checkpoint' | 'AssemblyScript sources';

export interface OutputMarker {
  format: typeof MARKER_FORMAT;
  kind: OutputKind;
  /** The entries cocodiff wrote in the directory (the marker itself excepted). */
  files: string[];
}

export interface OutputOptions {
  /** What the directory holds, e.g. "dataset cache"; an existing one of another kind is never replaced. */
  kind: OutputKind;
  /** Replace an earlier output of the same kind (the CLI's `--force`). */
  force?: boolean;
  /** Paths the command reads: the output must not be, or contain, any of them. */
  inputs?: readonly string[];
}

/** Writes the marker into a finished output directory, listing what it holds. Written last: it also marks the directory complete. */
export async function writeOutputMarker(dir: string, kind: OutputKind): Promise<void> {
  const files = (await readdir(dir)).filter((n) => n !== OUTPUT_MARKER).sort();
  const marker: OutputMarker = { format: MARKER_FORMAT, kind, files };
  await writeFile(join(dir, OUTPUT_MARKER), JSON.stringify(marker) + '\n');
}

/** The marker of a directory, or null when it has none (or one that is not ours). */
export async function readOutputMarker(dir: string): Promise<OutputMarker | null> {
  let m: unknown;
  try {
    // A marker that is a device or FIFO (a link to /dev/zero) is no marker, not an endless read.
    m = JSON.parse(await readInputText(join(dir, OUTPUT_MARKER), 'the output marker'));
  } catch {
    return null;
  }
  const o = m as Partial<OutputMarker> | null;
  if (!o || typeof o !== 'object' || o.format !== MARKER_FORMAT || typeof o.kind !== 'string') return null;
  if (!Array.isArray(o.files) || !o.files.every((f) => typeof f === 'string')) return null;
  return o as OutputMarker;
}

/** The real path of p, or of its nearest existing ancestor joined with the rest (p may not exist yet). */
async function realOrResolved(p: string): Promise<string> {
  const abs = resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = resolve(abs, '..');
    if (parent === abs) return abs;
    return join(await realOrResolved(parent), relative(parent, abs));
  }
}

/** True when `inner` is `outer` or lies inside it. */
export function isWithin(inner: string, outer: string): boolean {
  const r = relative(outer, inner);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * Throws a UserError unless `dir` may be written as a fresh output under `o` (see the file comment).
 * Called before the work starts (to fail early) and again just before the swap.
 */
export async function checkOutputDir(dir: string, o: OutputOptions): Promise<void> {
  const real = await realOrResolved(dir);
  for (const input of o.inputs ?? []) {
    if (isWithin(await realOrResolved(input), real)) {
      throw new UserError(`${dir}: the output directory holds the input ${input}; it would be deleted. Choose another output directory`);
    }
  }
  let st;
  try {
    st = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UserError(`${dir}: cannot check the output directory (${fsReason(err)})`);
  }
  // A link is never followed: the swap would replace the link, and what it points to is not ours to judge.
  const what = st.isSymbolicLink() ? 'is a symbolic link, not a directory' : 'exists and is not a directory';
  if (!st.isDirectory()) throw new UserError(`${dir}: ${what}; the ${o.kind} goes in a directory of its own. Choose another output path`);
  const entries = await readdir(dir);
  if (entries.length === 0) return;
  const marker = await readOutputMarker(dir);
  const ours = new Set(marker?.kind === o.kind ? [...marker.files, OUTPUT_MARKER] : []);
  const foreign = entries.filter((e) => !ours.has(e)).sort();
  if (foreign.length > 0) {
    const what = marker && marker.kind !== o.kind ? `holds a ${marker.kind}, not a ${o.kind}` : `holds files cocodiff did not write there (${fewNames(foreign)})`;
    throw new UserError(`${dir}: ${what}; nothing was replaced. Choose another output directory, or empty it yourself`);
  }
  if (!o.force) throw new UserError(`${dir}: already holds a ${o.kind} written earlier; replace it with --force, or choose another output directory`);
}

/**
 * For outputs written file by file into a folder (a training run, `eval --out`), not swapped in
 * whole: the folder may hold only what that command writes there (`names`), its lock and the
 * temporaries of a crashed write, or the user's files would end up mixed with, or replaced by, ours.
 * Checked before any work; a missing folder is fine.
 */
export async function checkOwnFolder(dir: string, names: readonly string[], what: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new UserError(`${dir}: exists and is not a directory; the ${what} goes in a directory of its own`);
    throw new UserError(`${dir}: cannot check the output directory (${fsReason(err)})`);
  }
  const ours = new Set([...names, LOCK_FILE]);
  const foreign = entries.filter((e) => !ours.has(e) && parseTemporaryName(e) === null).sort();
  if (foreign.length === 0) return;
  throw new UserError(`${dir}: holds files cocodiff did not write there (${fewNames(foreign)}); nothing was written. Use a new or empty directory, or one that holds only an earlier ${what}`);
}

/** The first three names, and how many there are in all when more. */
function fewNames(names: string[]): string {
  return names.slice(0, 3).join(', ') + (names.length > 3 ? `, … (${names.length} in all)` : '');
}
