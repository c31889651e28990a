/**
 * What every fuzz target shares: the property (a parser returns a well-formed value or throws a
 * UserError, within a time and memory budget), the mutators that turn a corpus of valid files into
 * nearly-valid ones, and the corpus on disk. The vitest properties (tests/fuzz/) and `npm run fuzz`
 * (fuzz/run.ts) run the same targets: the tests with a fixed seed and few runs, the runner for minutes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { UserError } from 'cocodiff-runtime/shared/errors';

export interface FuzzTarget<T = Uint8Array> {
  /** Also the name of its corpus folder, fuzz/corpus/<name>/. */
  name: string;
  /** What it runs, for the report. */
  parser: string;
  /** Inputs: arbitrary ones and mutations of the corpus files. */
  inputs(corpus: Uint8Array[]): fc.Arbitrary<T>;
  /**
   * Runs the parser on one input and checks what it returned; a refusal is a UserError, which
   * `runOne` accepts. Anything else it throws is a finding.
   */
  run(input: T): unknown;
  /** Prepares what `run` needs (built once, outside the time budget of a run). */
  setup?(): Promise<void>;
  /** Spells an input for a report and a regression test (bytes as base64 by default). */
  show?(input: T): string;
}

/**
 * One parse of a few kilobytes takes milliseconds; a size trusted from the file shows up as seconds
 * (a loop) or as hundreds of megabytes (an allocation), long before it could take the machine down.
 */
export const BUDGET = { ms: 2000, bytes: 256 << 20 };

/** A finding: the parser failed in a way a user must never see. */
export class Finding extends Error {
  override name = 'Finding';
}

/** Runs one input through a target: returns if it parsed (well-formed) or was refused with a UserError. */
export async function runOne<T>(target: FuzzTarget<T>, input: T, budget = BUDGET): Promise<void> {
  const before = allocated();
  const start = performance.now();
  try {
    await target.run(input);
  } catch (err) {
    if (!(err instanceof UserError)) {
      throw new Finding(`${target.name}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (expected a value or a UserError)`, { cause: err });
    }
  }
  const ms = performance.now() - start;
  if (ms > budget.ms) throw new Finding(`${target.name}: took ${ms.toFixed(0)} ms (budget ${budget.ms} ms)`);
  const grew = allocated() - before;
  if (grew > budget.bytes) throw new Finding(`${target.name}: kept ${(grew / 2 ** 20).toFixed(0)} MiB allocated (budget ${budget.bytes / 2 ** 20} MiB)`);
}

function allocated(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Fails the well-formedness check of a returned value. */
export function wellFormed(ok: boolean, what: string): void {
  if (!ok) throw new Finding(`returned a malformed value: ${what}`);
}

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

/** The committed seed inputs of a target, in name order. */
export function readCorpus(name: string): Uint8Array[] {
  const dir = join(CORPUS, name);
  return readdirSync(dir).sort().map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

export function corpusDir(name: string): string {
  return join(CORPUS, name);
}

/** Values a length, count or offset field is most often wrong with. */
const EDGE_U32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'copy'; from: number; to: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'decimal'; at: number; text: string };

/** Decimal numbers for text formats (a count, a shape, a length): each overflows or misleads something. */
const EDGE_DECIMALS = ['0', '-1', '1e9', '4294967296', '9007199254740993', '99999999999999999999', '1e400', '0.5', '-0', '1000000000', '65536'];

const at = fc.nat({ max: 1 << 20 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), at, value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x20, 0x2d), fc.nat({ max: 255 })) }),
  fc.record({ kind: fc.constant('u32' as const), at, value: fc.oneof(fc.constantFrom(...EDGE_U32), fc.nat({ max: 0xffffffff })) }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('copy' as const), from: at, to: at, length: fc.integer({ min: 1, max: 256 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('decimal' as const), at, text: fc.constantFrom(...EDGE_DECIMALS) }),
);

function mutate(seed: Uint8Array, ms: Mutation[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  for (const m of ms) {
    if (b.length === 0 && m.kind !== 'insert') continue;
    const pos = (i: number) => i % (b.length + (m.kind === 'insert' ? 1 : 0));
    switch (m.kind) {
      case 'flip': b[pos(m.at)] ^= 1 << m.bit; break;
      case 'byte': b[pos(m.at)] = m.value; break;
      case 'u32': {
        const p = pos(m.at);
        for (let k = 0; k < 4 && p + k < b.length; k++) b[p + k] = (m.value >>> (8 * k)) & 0xff;
        break;
      }
      case 'insert': { const p = pos(m.at); b = concat(b.subarray(0, p), m.bytes, b.subarray(p)); break; }
      case 'delete': { const p = pos(m.at); b = concat(b.subarray(0, p), b.subarray(p + m.length)); break; }
      case 'copy': { const from = pos(m.from); const to = pos(m.to); b = concat(b.subarray(0, to), b.subarray(from, from + m.length), b.subarray(to)); break; }
      case 'truncate': b = b.subarray(0, pos(m.at)); break;
      case 'decimal': {
        // The first run of digits at or after the position becomes the edge value.
        let s = pos(m.at);
        while (s < b.length && !isDigit(b[s])) s++;
        let e = s;
        while (e < b.length && isDigit(b[e])) e++;
        b = concat(b.subarray(0, s), new TextEncoder().encode(m.text), b.subarray(e));
        break;
      }
    }
  }
  return b;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** A corpus file with 1 to 8 mutations (bit flips, edge-value integers and decimals, inserts, deletes, copies, truncation). */
export function mutatedBytes(corpus: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 8 })).map(([seed, ms]) => mutate(seed, ms));
}

/** Bytes for a binary parser: mostly mutated corpus files, some plain random bytes, some corpus files as they are. */
export function binaryInputs(corpus: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 6, arbitrary: mutatedBytes(corpus) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
    { weight: 1, arbitrary: fc.constantFrom(...corpus) },
  );
}

/** JSON values that trip parsers up: deep nesting, huge and non-float32 numbers, wrong types. */
const awkward = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom<unknown>(null, '', 0, -1, -0, 0.5, 1e39, -1e39, 2 ** 53 + 2, 1e300, [], {}, 'NaN', true),
  fc.integer({ min: 1, max: 200 }).map((d) => nested(d)),
);

/** An array nested `depth` deep (JSON deeper than LIMITS.jsonDepth must be refused, not overflow). */
function nested(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

type JsonEdit = { path: number[]; op: 'replace' | 'delete' | 'duplicate'; value: unknown };

function editJson(doc: unknown, e: JsonEdit): unknown {
  const root = structuredClone(doc);
  let parent: unknown = null;
  let key: string | number | null = null;
  let node: unknown = root;
  for (const step of e.path) {
    if (!node || typeof node !== 'object') break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    parent = node;
    key = keys[step % keys.length];
    node = (node as Record<string | number, unknown>)[key];
  }
  if (parent === null || key === null) return e.op === 'replace' ? e.value : root;
  const p = parent as Record<string | number, unknown>;
  if (e.op === 'replace') p[key] = e.value;
  else if (e.op === 'delete') {
    if (Array.isArray(p)) p.splice(key as number, 1);
    else delete p[key];
  } else if (Array.isArray(p)) p.splice(key as number, 0, structuredClone(p[key as number]));
  return root;
}

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.record({
  path: fc.array(fc.nat({ max: 1000 }), { maxLength: 8 }),
  op: fc.constantFrom('replace' as const, 'replace' as const, 'delete' as const, 'duplicate' as const),
  value: awkward,
});

/** A corpus JSON document with 1 to 4 structural edits: a subtree replaced, removed or repeated. */
export function mutatedJson(corpus: Uint8Array[]): fc.Arbitrary<string> {
  const docs = corpus.map((b) => JSON.parse(new TextDecoder().decode(b)) as unknown);
  return fc.tuple(fc.constantFrom(...docs), fc.array(jsonEdit, { minLength: 1, maxLength: 4 }))
    .map(([doc, edits]) => JSON.stringify(edits.reduce(editJson, doc)));
}

/** Text for a JSON parser: structural edits of the corpus, byte-level mutations of it, and arbitrary JSON. */
export function jsonInputs(corpus: Uint8Array[]): fc.Arbitrary<string> {
  const decoder = new TextDecoder();
  return fc.oneof(
    { weight: 5, arbitrary: mutatedJson(corpus) },
    { weight: 2, arbitrary: mutatedBytes(corpus).map((b) => decoder.decode(b)) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
  );
}

export const showBytes = (b: Uint8Array): string => `base64 ${Buffer.from(b).toString('base64')}`;
