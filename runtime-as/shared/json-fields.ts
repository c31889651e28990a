/**
 * Checking a JSON document field by field. Every format cocodiff reads back (model artifact,
 * checkpoint, dataset cache, recognizer sidecar) refuses the same way, `FILE: field "FIELD": what
 * was expected` (runtime-as/shared/errors.ts), and opens with the same root / format / version checks.
 *
 * Pure TypeScript with no Node or tfjs imports: the runtime package compiles this file into itself.
 */
import { UserError, atField } from './errors.ts';
import { LIMITS } from './limits.ts';

/** Refuses the document unless `ok`, naming the field and what was expected. */
export type Need = (ok: unknown, field: string, what: string) => void;

/** The check for one file (or section): messages start with `where`. */
export function fieldChecks(where: string): Need {
  return (ok, field, what) => {
    if (!ok) throw atField(where, field, what);
  };
}

/**
 * Parses JSON, refusing text that is not JSON with `where` named. The nesting is measured first:
 * V8's parser recurses once per level, so a few kilobytes of `[[[[…` from a hostile file would
 * end the process with a stack overflow instead of an error.
 */
export function parseJson(text: string, where: string, maxDepth: number = LIMITS.jsonDepth): unknown {
  if (nestingDepth(text, maxDepth) > maxDepth) throw new UserError(`${where}: JSON nested more than ${maxDepth} levels deep (LIMITS.jsonDepth); not a file of this kind`);
  try {
    // A UTF-8 byte-order mark, as Windows editors and PowerShell write it, is no part of the JSON.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new UserError(`${where}: not valid JSON (${(err as Error).message})`);
  }
}

/** The deepest nesting of [ and { outside strings, counted up to `stopAbove` + 1. */
function nestingDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > stopAbove) return deepest;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}

export const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export const isSha256Hex = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);

/**
 * What is wrong with a list of class names, or undefined: it must hold 1 to `max` names, each a
 * non-empty string, no two alike (a repeated name would print two scores under one label).
 */
export function classNamesProblem(x: unknown, max = Infinity): string | undefined {
  if (!Array.isArray(x) || x.length === 0 || x.length > max) return `expected a list of ${max === Infinity ? "at least 1" : `1 to ${max}`} class names`;
  const seen = new Map<string, number>();
  for (let i = 0; i < x.length; i++) {
    const name: unknown = x[i];
    if (typeof name !== 'string' || name.trim() === '') return `class ${i}: expected a non-empty name, found ${JSON.stringify(name)}`;
    const first = seen.get(name);
    if (first !== undefined) return `classes ${first} and ${i} are both named ${JSON.stringify(name)}; each class needs its own name`;
    seen.set(name, i);
  }
  return undefined;
}

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
