/**
 * Checking a JSON document field by field. Every format cocodiff reads back (model artifact,
 * checkpoint, dataset cache, recognizer sidecar) refuses the same way, `FILE: field "FIELD": what
 * was expected` (common/errors.ts), and opens with the same root / format / version checks.
 *
 * Pure TypeScript with no Node or tfjs imports: the runtime package compiles this file into itself.
 */
import { UserError, atField } from './errors.ts';

/** Refuses the document unless `ok`, naming the field and what was expected. */
export type Need = (ok: unknown, field: string, what: string) => void;

/** The check for one file (or section): messages start with `where`. */
export function fieldChecks(where: string): Need {
  return (ok, field, what) => {
    if (!ok) throw atField(where, field, what);
  };
}

/** Parses JSON, refusing text that is not JSON with `where` named. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where}: not valid JSON (${(err as Error).message})`);
  }
}

export const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const isSha256Hex = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);

/** A non-empty list of at most `max` strings (class names). */
export const isNameList = (x: unknown, max = Infinity): x is string[] =>
  Array.isArray(x) && x.length > 0 && x.length <= max && x.every((c) => typeof c === 'string');

export interface Header {
  format: string;
  /** The one version this build reads; absent for a format without versions. */
  version?: number;
  /** What the format is called in the version refusal ("artifact"). */
  what?: string;
  /** Why an older version cannot be read, by version: said instead of the plain refusal. */
  older?: Record<number, string>;
}

/** The opening every format shares: a JSON object whose `format` names it, of a version this build reads. */
export function checkHeader(doc: unknown, need: Need, h: Header): void {
  need(isObject(doc), '(root)', 'expected a JSON object');
  const d = doc as Record<string, unknown>;
  need(d.format === h.format, 'format', `expected "${h.format}", found ${JSON.stringify(d.format)}`);
  if (h.version === undefined) return;
  const found = d.version;
  const older = typeof found === 'number' ? h.older?.[found] : undefined;
  need(found === h.version, 'version', older ?? `this cocodiff reads ${h.what ?? h.format} version ${h.version}, found ${JSON.stringify(found)}`);
}
