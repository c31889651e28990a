/**
 * NumPy `.npy` arrays: the magic "\x93NUMPY", a version (1.0 with a 2-byte header length; 2.0 and
 * 3.0 with 4 bytes), a Python-dict header {'descr', 'fortran_order', 'shape'}, then the raw data.
 * Every array is converted to float32, the one element type the trainer uses; a whole array read
 * with parseNpy must be finite as float32. Rows streamed with NpyRowReader are checked by their
 * reader (the dataset cache refuses non-finite samples, naming sample, frame and joint).
 */
import { readInputBytes } from './read-input.ts';
import { atField, UserError } from '../errors.ts';
import { firstNonFinite } from '../sequence.ts';

export interface NpyHeader {
  /** The `descr` string as written, e.g. "<f4". */
  dtype: string;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  itemBytes: number;
}

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Reads element i of a typed view as a JS number; one entry per supported `descr` kind+size. */
type Getter = (view: DataView, byte: number, little: boolean) => number;
const GETTERS: Record<string, Getter> = {
  f2: (d, o, le) => halfToFloat(d.getUint16(o, le)),
  f4: (d, o, le) => d.getFloat32(o, le),
  f8: (d, o, le) => d.getFloat64(o, le),
  i1: (d, o) => d.getInt8(o),
  u1: (d, o) => d.getUint8(o),
  b1: (d, o) => d.getUint8(o),
  i2: (d, o, le) => d.getInt16(o, le),
  u2: (d, o, le) => d.getUint16(o, le),
  i4: (d, o, le) => d.getInt32(o, le),
  u4: (d, o, le) => d.getUint32(o, le),
  i8: (d, o, le) => Number(d.getBigInt64(o, le)),
  u8: (d, o, le) => Number(d.getBigUint64(o, le)),
};

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Splits a descr such as "<f4" into byte order and kind+size, or null if unsupported. */
function parseDescr(descr: string): { little: boolean; key: string; bytes: number } | null {
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m || !GETTERS[m[2] + m[3]]) return null;
  // '=' is native order, little-endian on every machine Node runs on; '|' means order does not apply.
  return { little: m[1] !== '>', key: m[2] + m[3], bytes: Number(m[3]) };
}

/** Bytes needed before the header can be parsed: the fixed preamble, then the whole header. */
export function npyHeaderLength(bytes: Uint8Array, name: string): number | null {
  if (bytes.length < 10) return null;
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new UserError(`${name}: not a .npy array (expected the magic "\\x93NUMPY" at byte 0)`);
  }
  const major = bytes[6];
  if (major === 1) return 10 + (bytes[8] | (bytes[9] << 8));
  if (major !== 2 && major !== 3) throw atField(name, 'version', `expected 1, 2 or 3, found ${major}.${bytes[7]}`);
  if (bytes.length < 12) return null;
  return 12 + new DataView(bytes.buffer, bytes.byteOffset, 12).getUint32(8, true);
}

/** Parses the header once `npyHeaderLength` bytes are available. */
export function parseNpyHeader(bytes: Uint8Array, name: string): NpyHeader {
  const dataOffset = npyHeaderLength(bytes, name);
  if (dataOffset === null || bytes.length < dataOffset) throw new UserError(`${name}: file ends inside the .npy header (truncated)`);
  const start = bytes[6] === 1 ? 10 : 12;
  const text = new TextDecoder(bytes[6] === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataOffset));
  const field = (key: string, pattern: string): string => {
    const m = new RegExp(`['"]${key}['"]\\s*:\\s*${pattern}`).exec(text);
    if (!m) throw atField(name, key, `missing from the header ${JSON.stringify(text.trim())}`);
    return m[1];
  };
  const descr = field('descr', `['"]([^'"]*)['"]`);
  const fortran = field('fortran_order', '(True|False)');
  const shapeText = field('shape', '\\(([^)]*)\\)');
  const d = parseDescr(descr);
  if (!d) throw atField(name, 'descr', `unsupported dtype "${descr}" (expected a float, integer or bool such as "<f4", "<f8", "<i8", "|u1")`);
  if (fortran !== 'False') throw atField(name, 'fortran_order', 'expected False (C order); re-save the array with np.ascontiguousarray');
  const parts = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = parts.map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw atField(name, 'shape', `expected a tuple of non-negative integers, found (${shapeText})`);
  return { dtype: descr, shape, dataOffset, itemBytes: d.bytes };
}

/** Converts `count` elements of dtype `descr` starting at `bytes[0]` to float32. */
export function toFloat32(bytes: Uint8Array, descr: string, count: number, out: Float32Array = new Float32Array(count)): Float32Array {
  const d = parseDescr(descr)!;
  if (d.key === 'f4' && d.little) {
    // The common case: a straight copy (the source may not be 4-byte aligned, so copy bytes).
    new Uint8Array(out.buffer, out.byteOffset, count * 4).set(bytes.subarray(0, count * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * d.bytes);
  const get = GETTERS[d.key];
  for (let i = 0; i < count; i++) out[i] = get(view, i * d.bytes, d.little);
  return out;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Parses a whole `.npy` held in memory; `name` names it in errors (a path, or "archive.npz:x_test.npy"). */
export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const h = parseNpyHeader(bytes, name);
  const count = elementCount(h.shape);
  const have = bytes.length - h.dataOffset;
  if (have < count * h.itemBytes) {
    throw atField(name, 'shape', `(${h.shape.join(', ')}) needs ${count * h.itemBytes} data bytes, the file holds ${have} (truncated)`);
  }
  const data = toFloat32(bytes.subarray(h.dataOffset), h.dtype, count);
  // Checked after the conversion: a float64 1e39 is finite, its float32 is Infinity.
  const bad = firstNonFinite(data);
  if (bad >= 0) throw new UserError(`${name}: element [${unravel(bad, h.shape).join(', ')}] is ${data[bad]} as float32 (expected finite values)`);
  return { dtype: h.dtype, shape: h.shape, data };
}

/** The multi-dimensional index of flat index i in a C-order array of `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return out;
}

export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readInputBytes(path, 'the .npy array'), path);
}

/**
 * Reads a `.npy` from a byte stream one row (one index of the first axis) at a time, so an array far
 * larger than memory (CTR-GCN's x_train is 7 GB) can be converted sample by sample.
 */
export class NpyRowReader {
  private constructor(
    readonly header: NpyHeader,
    private readonly chunks: AsyncIterator<Uint8Array>,
    private pending: Uint8Array,
    private readonly name: string,
  ) {}

  /**
   * `bytes`, when the container states it (a zip member's declared size), is checked against what the
   * header's shape needs before any row is read: a header may not promise more data than there is.
   */
  static async open(stream: AsyncIterable<Uint8Array>, name: string, bytes?: number): Promise<NpyRowReader> {
    const it = stream[Symbol.asyncIterator]();
    let buf: Uint8Array = new Uint8Array(0);
    for (;;) {
      const need = npyHeaderLength(buf, name);
      if (need !== null && buf.length >= need) break;
      const r = await it.next();
      if (r.done) throw new UserError(`${name}: ends inside the .npy header (truncated)`);
      buf = concat(buf, r.value);
    }
    const header = parseNpyHeader(buf, name);
    const needs = elementCount(header.shape) * header.itemBytes;
    if (bytes !== undefined && needs > bytes - header.dataOffset) {
      await it.return?.();
      throw atField(name, 'shape', `(${header.shape.join(', ')}) needs ${needs} data bytes, the array holds ${Math.max(0, bytes - header.dataOffset)} (truncated or corrupt)`);
    }
    return new NpyRowReader(header, it, buf.subarray(header.dataOffset), name);
  }

  get rows(): number {
    return this.header.shape.length === 0 ? 1 : this.header.shape[0];
  }

  get rowElements(): number {
    return elementCount(this.header.shape.slice(1));
  }

  /** Row `index` (rows must be read in order) as float32, written into `out`. */
  async readRow(index: number, out?: Float32Array): Promise<Float32Array> {
    const bytes = this.rowElements * this.header.itemBytes;
    while (this.pending.length < bytes) {
      const r = await this.chunks.next();
      if (r.done) throw atField(this.name, 'shape', `(${this.header.shape.join(', ')}) promises ${this.rows} rows, the data ends in row ${index} (truncated)`);
      this.pending = concat(this.pending, r.value);
    }
    // Allocated once the row's bytes are here: a header's shape alone must not size an allocation.
    out ??= new Float32Array(this.rowElements);
    toFloat32(this.pending, this.header.dtype, this.rowElements, out);
    this.pending = this.pending.subarray(bytes);
    // After the last row, read the source to its end: a zip member checks its CRC-32 only there.
    if (index === this.rows - 1) while (!(await this.chunks.next()).done);
    return out;
  }

  /** Stops reading early (releases the underlying file or inflater). */
  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
