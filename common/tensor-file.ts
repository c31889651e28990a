/**
 * The tensor file: named tensors back to back in one binary file, little-endian, 4 bytes per
 * value, described by a manifest in a JSON file beside it. Model artifacts (`weights.bin`, manifest
 * in model.json) and checkpoints (`tensors.bin`, manifest in state.json) both store their tensors
 * this way; this file is its only writer, reader and checker.
 *
 * Every tensor's bytes carry a sha256, checked on every read, so damage is refused by tensor name.
 */
import { createHash } from 'node:crypto';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { isObject, isSha256Hex, type Need } from 'cocodiff-runtime/shared/json-fields';

export type TensorDtype = 'float32' | 'int32';

/** One tensor in a manifest. */
export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: TensorDtype;
  /** Byte offset in the tensor file. */
  offset: number;
  /** sha256 of the tensor's bytes, hex. */
  sha256: string;
}

/** int32 tensors (e.g. a generator's state words) stay int32: a float32 round trip would lose their bits. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Hex sha256 of some bytes: the digest every manifest records. */
export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const product = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const dtypeOf = (data: Float32Array | Int32Array): TensorDtype => (data instanceof Int32Array ? 'int32' : 'float32');

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * A copy of 4-byte values turned between the machine's byte order and the file's (little-endian),
 * moving bytes rather than values so that every bit survives (int32 words, NaN payloads).
 */
function littleEndianCopy(bytes: Uint8Array): Uint8Array {
  // Not bytes.slice(): on a Node Buffer that is a view, not a copy.
  const out = new Uint8Array(bytes);
  if (!LITTLE_ENDIAN) for (let i = 0; i < out.length; i += 4) out.subarray(i, i + 4).reverse();
  return out;
}

/** Collects tensors into one file's bytes; each `add` returns the tensor's manifest entry. */
export class TensorFileWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  add(name: string, t: StoredTensor): TensorEntry {
    if (t.data.length !== product(t.shape)) throw new Error(`tensor ${name}: ${t.data.length} values for shape [${t.shape}]`);
    const bytes = littleEndianCopy(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    const entry: TensorEntry = { name, shape: [...t.shape], dtype: dtypeOf(t.data), offset: this.size, sha256: sha256(bytes) };
    this.chunks.push(bytes);
    this.size += bytes.length;
    return entry;
  }

  /** Every tensor added so far, back to back. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** How messages name a tensor file and what it belongs to. */
export interface TensorFileNames {
  /** The tensor file's path. */
  path: string;
  /** The manifest's file name ("model.json"). */
  manifest: string;
  /** What the file holds ("weights", "checkpoint"): "corrupted weights". */
  kind: string;
  /** What one tensor is called ("weight", "tensor"). */
  noun: string;
}

/**
 * Checks a manifest list at `field` ("weights", "tensors.model"): entries with a unique name, a
 * shape, one of `dtypes`, an offset and a sha256.
 */
export function checkTensorEntries(need: Need, entries: unknown, field: string, noun: string, dtypes: readonly TensorDtype[]): asserts entries is TensorEntry[] {
  need(Array.isArray(entries), field, `expected a list of ${noun}s`);
  const seen = new Set<string>();
  (entries as unknown[]).forEach((e, i) => {
    const f = `${field}[${i}]`;
    need(isObject(e), f, 'expected { name, shape, dtype, offset, sha256 }');
    const t = e as Partial<TensorEntry>;
    need(typeof t.name === 'string', `${f}.name`, 'expected a string');
    const what = `${noun} "${t.name}"`;
    need(!seen.has(t.name!), `${f}.name`, `duplicate ${what}`);
    seen.add(t.name!);
    need(Array.isArray(t.shape) && t.shape.every((d) => Number.isInteger(d) && d >= 0), `${f}.shape`, `${what}: expected non-negative integer dimensions`);
    need(dtypes.includes(t.dtype!), `${f}.dtype`, `${what}: expected ${dtypes.map((d) => `"${d}"`).join(' or ')}, found ${JSON.stringify(t.dtype)}`);
    need(Number.isSafeInteger(t.offset) && t.offset! >= 0 && t.offset! % 4 === 0, `${f}.offset`, `${what}: expected a non-negative multiple of 4`);
    need(isSha256Hex(t.sha256), `${f}.sha256`, `${what}: expected a sha256 hex digest`);
  });
}

/** The bytes a manifest describes: up to the end of its last tensor. */
export const describedBytes = (entries: readonly TensorEntry[]): number => entries.reduce((n, e) => Math.max(n, e.offset + 4 * product(e.shape)), 0);

/**
 * Reads the tensors of checked manifest entries from a tensor file's bytes, verifying each one's
 * sha256. `file` holds all of `entries` (every group of a checkpoint), so a size that differs from
 * what they describe is refused, naming the first tensor a short file cuts. `where(i)` adds to the
 * name of entry i in messages (" (group model)").
 */
export function readTensors(file: Uint8Array, entries: readonly TensorEntry[], names: TensorFileNames, where: (i: number) => string = () => ''): StoredTensor[] {
  const expected = describedBytes(entries);
  if (file.length !== expected) {
    const cut = entries.findIndex((e) => e.offset + 4 * product(e.shape) > file.length);
    throw new UserError(`${names.path}: ${file.length} bytes, but the manifest in ${names.manifest} describes ${expected} (truncated or mismatched ${names.kind})`
      + (cut >= 0 ? `; ${names.noun} "${entries[cut].name}"${where(cut)} is the first that does not fit` : ''));
  }
  return entries.map((e, i) => {
    const bytes = file.subarray(e.offset, e.offset + 4 * product(e.shape));
    if (sha256(bytes) !== e.sha256) {
      throw new UserError(`${names.path}: ${names.noun} "${e.name}"${where(i)} does not match its sha256 in ${names.manifest} (corrupted ${names.kind})`);
    }
    // A fresh, aligned buffer, not a view: the tensor outlives the file's bytes.
    const own = littleEndianCopy(bytes).buffer;
    return { shape: e.shape, data: e.dtype === 'int32' ? new Int32Array(own) : new Float32Array(own) };
  });
}
