/**
 * The file of gestures taught on the device (`learned.json`): what `Recognizer.learnedFile()`
 * returns and `Recognizer.useLearned()` reads back, in a page, an app or `cocodiff run --learned`.
 * It keeps what each taught class was fitted from (features and the module's logits per recording,
 * a few kB per class), not the fitted head, so loading fits the same head again, bit for bit.
 *
 * ```json
 * { "format": "cocodiff-learned", "version": 1, "method": "ncm",
 *   "recognizer": { "wasmSha256": "9f…" , "classes": ["wave one hand", …], "features": 64 },
 *   "classes": [ { "name": "thumbs up", "examples": [ { "feature": [64 numbers], "logits": [K numbers] }, … ] } ] }
 * ```
 *
 * `recognizer` names the module the features came from: features of one backbone mean nothing to
 * another, so a file is refused by a recognizer with other classes, another feature length, or
 * (where both know it) another `wasmSha256`.
 */
import { checkHeader, classNamesProblem, fieldChecks, isObject, isSha256Hex, parseJson } from '../shared/json-fields.ts';
import { HEAD_METHODS, type HeadMethod, type TaughtClass } from './few-shot.ts';

/** The file's `format` field. */
export const LEARNED_FORMAT = 'cocodiff-learned';
/** The version this runtime reads and writes. */
export const LEARNED_VERSION = 1;

/** One recording a class was taught from. */
export interface LearnedExample {
  /** The backbone's pooled feature [D]. */
  feature: number[];
  /** The module's own logits [K]. */
  logits: number[];
}

/** One taught class. */
export interface LearnedClassEntry {
  /** Its name: unique among the module's and the taught classes. */
  name: string;
  /** The recordings it was taught from (at least one). */
  examples: LearnedExample[];
}

/** The module a file's features belong to. */
export interface LearnedRecognizerId {
  /** The module's `wasmSha256` (from its sidecar), or null when it had none. */
  wasmSha256: string | null;
  /** The module's own class names. */
  classes: string[];
  /** Length D of its pooled feature. */
  features: number;
}

/** The whole file (JSON). */
export interface LearnedFile {
  /** Always `cocodiff-learned`. */
  format: typeof LEARNED_FORMAT;
  /** Always 1. */
  version: typeof LEARNED_VERSION;
  /** The head fitted over the features. */
  method: HeadMethod;
  /** The recognizer the features came from. */
  recognizer: LearnedRecognizerId;
  /** The taught classes, in the order their scores follow the module's. */
  classes: LearnedClassEntry[];
}

/** Writes the taught classes as a file (plain numbers: float32 values print exactly). */
export function toLearnedFile(method: HeadMethod, recognizer: LearnedRecognizerId, taught: readonly TaughtClass[]): LearnedFile {
  return {
    format: LEARNED_FORMAT,
    version: LEARNED_VERSION,
    method,
    recognizer,
    classes: taught.map((c) => ({
      name: c.name,
      examples: c.features.map((f, i) => ({ feature: Array.from(f), logits: Array.from(c.logits[i]) })),
    })),
  };
}

/**
 * Reads a file's JSON text or parsed object and checks it field by field against the recognizer
 * it is for; `where` names it in messages. Returns the head method and the taught classes.
 */
export function readLearnedFile(input: unknown, where: string, mine: LearnedRecognizerId): { method: HeadMethod; taught: TaughtClass[] } {
  const doc = typeof input === 'string' ? parseJson(input, where) : input;
  const need = fieldChecks(where);
  checkHeader(doc, need, { format: LEARNED_FORMAT, version: LEARNED_VERSION, what: 'learned-classes file' });
  const d = doc as Record<string, unknown>;
  need(HEAD_METHODS.includes(d.method as HeadMethod), 'method', `expected one of ${HEAD_METHODS.join(', ')}, found ${JSON.stringify(d.method)}`);
  need(isObject(d.recognizer), 'recognizer', 'expected an object naming the recognizer the features came from');
  const id = d.recognizer as Record<string, unknown>;
  need(id.wasmSha256 === null || isSha256Hex(id.wasmSha256), 'recognizer.wasmSha256', 'expected null or the sha256 of the .wasm as 64 hex digits');
  need(JSON.stringify(id.classes) === JSON.stringify(mine.classes), 'recognizer.classes', `taught over a recognizer with other classes (${preview(id.classes)}); this one has ${preview(mine.classes)}`);
  need(id.features === mine.features, 'recognizer.features', `taught over a backbone with ${JSON.stringify(id.features)} features; this recognizer's has ${mine.features}`);
  const other = id.wasmSha256 !== null && mine.wasmSha256 !== null && id.wasmSha256 !== mine.wasmSha256;
  need(!other, 'recognizer.wasmSha256', `taught over another build (sha256 ${String(id.wasmSha256).slice(0, 12)}…), this recognizer is ${mine.wasmSha256?.slice(0, 12)}…: teach the gestures again on this one`);
  need(Array.isArray(d.classes), 'classes', 'expected a list of taught classes');
  const entries = d.classes as unknown[];
  const names = entries.map((c) => (isObject(c) ? c.name : undefined));
  const problem = entries.length ? classNamesProblem([...mine.classes, ...names]) : undefined;
  need(problem === undefined, 'classes', `${problem} (names must differ from each other and from the recognizer's classes)`);
  const K = mine.classes.length;
  const taught = entries.map((entry, j): TaughtClass => {
    const at = `classes[${j}]`;
    const examples = (entry as Record<string, unknown>).examples;
    need(Array.isArray(examples) && examples.length > 0, `${at}.examples`, 'expected a list of at least one recording');
    const features: Float32Array[] = [];
    const logits: Float32Array[] = [];
    (examples as unknown[]).forEach((ex, i) => {
      const e = isObject(ex) ? ex : {};
      features.push(finiteVector(e.feature, mine.features, `${at}.examples[${i}].feature`, need));
      logits.push(finiteVector(e.logits, K, `${at}.examples[${i}].logits`, need));
    });
    return { name: names[j] as string, features, logits };
  });
  return { method: d.method as HeadMethod, taught };
}

function finiteVector(x: unknown, length: number, field: string, need: ReturnType<typeof fieldChecks>): Float32Array {
  need(Array.isArray(x) && x.length === length, field, `expected a list of ${length} numbers${Array.isArray(x) ? `, found ${x.length}` : ''}`);
  const v = x as unknown[];
  const bad = v.findIndex((n) => typeof n !== 'number' || !Number.isFinite(n) || Math.abs(n) > 3.4e38);
  need(bad < 0, field, `value ${bad}: expected a finite float32, found ${JSON.stringify(v[bad])}`);
  return Float32Array.from(v as number[]);
}

function preview(x: unknown): string {
  const text = JSON.stringify(x) ?? String(x);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
