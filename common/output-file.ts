/**
 * Which existing file a single-file output may replace: the file counterpart of output-dir.ts.
 * Every file output is written by renaming a temporary over the path (common/atomic.ts), which
 * replaces whatever was there without a word. So a file at an output path is replaced only when it
 * cannot be the user's:
 *
 *   - it does not exist: written fresh;
 *   - it is recognisably cocodiff's own output of the same kind (a recognizer .wasm whose `cocodiff`
 *     section says so, a JSON whose `format` field is that output's): written over, as a rebuild
 *     would;
 *   - anything else (the user's notes.json beside `-o notes.wasm`, a raw float32 file, whose bytes
 *     carry no mark of their writer) only with `--force`;
 *   - never something that is not a file (a directory, a device).
 */
import { readFile, stat } from 'node:fs/promises';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { SIDECAR_FORMAT, SIDECAR_SECTION } from 'cocodiff-runtime/shared/sidecar';
import { fsReason } from './fs-errors.ts';

/** A kind of single-file output and how to tell one that cocodiff wrote. */
export interface FileKind {
  /** As messages name it: "recognizer .wasm". */
  name: string;
  /**
   * True when the bytes are this kind as cocodiff writes it. Absent for kinds that carry no mark
   * (raw float32): an existing file of such a kind is replaced only with --force.
   */
  isOurs?: (bytes: Uint8Array) => boolean;
}

/**
 * Our outputs are at most tens of MB (a full-size recognizer is about 6 MB); a larger file is not
 * one of them, and is not read into memory to find that out.
 */
const MAX_RECOGNISED_BYTES = 256 * 1024 * 1024;

/** The value of a JSON file's top-level `format` field, or undefined when it is not a JSON object. */
function jsonFormat(bytes: Uint8Array): unknown {
  try {
    const doc: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return typeof doc === 'object' && doc !== null ? (doc as { format?: unknown }).format : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON output whose top-level `format` field is `format`. */
export function jsonKind(name: string, format: string): FileKind {
  return { name, isOurs: (bytes) => jsonFormat(bytes) === format };
}

/** Reads an unsigned LEB128 at `at`: [value, next offset], or null past the end or beyond 2^35. */
function readUleb(b: Uint8Array, at: number): [number, number] | null {
  let n = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= b.length) return null;
    const byte = b[at++];
    n += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [n, at];
  }
  return null;
}

/**
 * True for a wasm module with a `cocodiff` custom section holding a recognizer sidecar. Read from
 * the section table rather than by compiling the module: a relaxed-SIMD build does not compile in
 * an engine without that feature, and compiling a large file only to read a name would be slow.
 */
function isRecognizerWasm(b: Uint8Array): boolean {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (b.length < 8 || header.some((x, i) => b[i] !== x)) return false;
  const wanted = new TextEncoder().encode(SIDECAR_SECTION);
  for (let at = 8; at < b.length;) {
    const id = b[at];
    const size = readUleb(b, at + 1);
    if (!size || size[1] + size[0] > b.length) return false;
    const [length, start] = size;
    if (id === 0) {
      const nameLength = readUleb(b, start);
      if (nameLength) {
        const [n, nameStart] = nameLength;
        const name = b.subarray(nameStart, nameStart + n);
        if (nameStart + n <= start + length && name.length === wanted.length && name.every((x, i) => x === wanted[i])) {
          return jsonFormat(b.subarray(nameStart + n, start + length)) === SIDECAR_FORMAT;
        }
      }
    }
    at = start + length;
  }
  return false;
}

export const RECOGNIZER_WASM: FileKind = { name: 'recognizer .wasm', isOurs: isRecognizerWasm };
export const RECOGNIZER_SIDECAR: FileKind = jsonKind('recognizer sidecar', SIDECAR_FORMAT);
export const RAW_FLOAT32: FileKind = { name: 'raw float32 file' };

/**
 * Throws a UserError unless `path` may be written as a fresh `kind` (see the file comment).
 * `force` is the CLI's `--force`: it replaces any file, never a directory.
 */
export async function checkOutputFile(path: string, kind: FileKind, force = false): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new UserError(`${path}: cannot check the output file (${fsReason(err)})`);
  }
  if (!st.isFile()) throw new UserError(`${path}: exists and is not a file; choose another output path`);
  if (force) return;
  if (kind.isOurs && st.size <= MAX_RECOGNISED_BYTES) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new UserError(`${path}: cannot read the existing file to check it (${fsReason(err)})`);
    }
    if (kind.isOurs(bytes)) return;
  }
  const a = /^[aeiou]/i.test(kind.name) ? `an ${kind.name}` : `a ${kind.name}`;
  const why = kind.isOurs ? ` and is not ${a} that cocodiff wrote` : `, and ${a} carries no mark of what wrote it`;
  throw new UserError(`${path}: exists${why}; nothing was replaced. Replace it with --force, or choose another output path`);
}

/** checkOutputFile for several outputs of one command, so that none is written unless all may be. */
export async function checkOutputFiles(files: ReadonlyArray<readonly [path: string, kind: FileKind]>, force = false): Promise<void> {
  for (const [path, kind] of files) await checkOutputFile(path, kind, force);
}
