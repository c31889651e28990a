/**
 * Node-only loading of a recognizer from a file path: the .wasm and, when present, the sidecar
 * `<name>.json` beside it. Kept apart so the browser entry of the host API never imports node:fs;
 * the Node entry (node.ts) hands these to `Recognizer.load`.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../shared/errors.ts';
import { parseSidecar, type RecognizerSidecar } from './sidecar.ts';
import { sidecarPathFor } from '../shared/sidecar.ts';

/** A file error in words: "a directory, not a file" rather than EISDIR. */
function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EISDIR' ? 'a directory, not a file' : code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message;
}

/** Reads a recognizer .wasm from a file, and the sidecar `<name>.json` beside it when there is one. */
export async function readRecognizerFile(path: string): Promise<{
  /** The module's bytes. */
  bytes: Uint8Array;
  /** The sidecar file beside it, parsed and checked; absent when there is none. */
  sidecar?: RecognizerSidecar;
}> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new UserError(`${path}: cannot read the recognizer (${why(err)}); make one with \`cocodiff compile\``);
  }
  const sidecar = await readSidecarFile(sidecarPathFor(path), false);
  return { bytes, sidecar };
}

/** Reads a sidecar file; a missing one is an error only when `required`. */
export async function readSidecarFile(path: string, required: boolean): Promise<RecognizerSidecar | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${path}: cannot read the recognizer's sidecar JSON (${why(err)})`);
  }
  try {
    return parseSidecar(text, path);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}
