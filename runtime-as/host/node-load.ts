/**
 * Node-only loading of a recognizer from a file path: the .wasm and, when present, the sidecar
 * `<name>.json` beside it. Kept apart so the browser entry of the host API never imports node:fs;
 * the Node entry (node.ts) hands these to `Recognizer.load`.
 */
import { parseSidecar, type RecognizerSidecar } from './sidecar.ts';
import { sidecarPathFor } from '../shared/sidecar.ts';
import { readInputBytes, readInputText, readOptionalInputText } from '../shared/formats/read-input.ts';

/** Reads a recognizer .wasm from a file, and the sidecar `<name>.json` beside it when there is one. */
export async function readRecognizerFile(path: string): Promise<{
  /** The module's bytes. */
  bytes: Uint8Array;
  /** The sidecar file beside it, parsed and checked; absent when there is none. */
  sidecar?: RecognizerSidecar;
}> {
  const bytes = await readInputBytes(path, 'the recognizer (make one with `cocodiff compile`)');
  const sidecar = await readSidecarFile(sidecarPathFor(path), false);
  return { bytes, sidecar };
}

/** Reads a sidecar file; a missing one is an error only when `required`. */
export async function readSidecarFile(path: string, required: boolean): Promise<RecognizerSidecar | undefined> {
  const what = "the recognizer's sidecar JSON";
  const text = required ? await readInputText(path, what) : await readOptionalInputText(path, what);
  return text === undefined ? undefined : parseSidecar(text, path);
}
