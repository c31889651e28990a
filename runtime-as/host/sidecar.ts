/**
 * The recognizer's metadata, next to the .wasm as `recognizer.json` (same base name) or inside it
 * as a custom section named `cocodiff`. The compiler writes it; the host reads it here. The .wasm's
 * own exports stay the source of truth for shapes: the sidecar adds names (classes, layout).
 */
import type { InputSpec, Modality, PreprocessSpec } from '../../common/artifact.ts';
import type { LayoutName } from '../../common/layouts.ts';

export const SIDECAR_FORMAT = 'cocodiff-recognizer';
export const SIDECAR_SECTION = 'cocodiff';

export interface RecognizerSidecar {
  format: typeof SIDECAR_FORMAT;
  abiVersion?: number;
  classes: string[];
  layout: LayoutName;
  input: InputSpec;
  modality: Modality;
  preprocessing: PreprocessSpec;
  /** Ring length of the compiled module (frames pushed before the oldest is dropped). */
  windowFrames?: number;
  /** Frames `classify_sequence` takes at most. */
  sequenceCapacity?: number;
  /** Free-form: the artifact it was compiled from, its checksum, compiler options. */
  source?: Record<string, unknown>;
}

/** Parses and checks a sidecar; `where` names the file or section in error messages. */
export function parseSidecar(text: string, where: string): RecognizerSidecar {
  let s: RecognizerSidecar;
  try {
    s = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const need = (ok: unknown, field: string, what: string): void => {
    if (!ok) throw new Error(`${where}: field "${field}": ${what}`);
  };
  need(s && typeof s === 'object', '(root)', 'expected a JSON object');
  need(s.format === SIDECAR_FORMAT, 'format', `expected "${SIDECAR_FORMAT}", found ${JSON.stringify(s.format)}`);
  need(Array.isArray(s.classes) && s.classes.every((c) => typeof c === 'string'), 'classes', 'expected a list of class names');
  need(typeof s.layout === 'string', 'layout', 'expected a joint layout name');
  return s;
}
