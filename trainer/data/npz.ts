/**
 * NumPy `.npz` archives: a zip of `.npy` members (np.savez stores them, np.savez_compressed
 * deflates them). Only the central directory is read up front; a member is then read from its own
 * byte range, whole (small arrays) or as a stream (CTR-GCN's 7 GB x_train), never the whole archive.
 *
 * Zip layout used: end-of-central-directory record (EOCD) at the end, optionally preceded by the
 * ZIP64 EOCD locator and record when counts, sizes or offsets overflow 16/32 bits (numpy writes
 * members > 4 GB as ZIP64); central directory entries; a local header before each member's data.
 *
 * Every count, size and offset the directory states is checked against the file's real size and
 * runtime-as/shared/limits.ts before it is used, and inflating stops at the member's declared size: a small
 * hostile archive can neither allocate gigabytes nor crash Node's zlib.
 */
import type { FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { createInflateRaw, crc32, inflateRawSync } from 'node:zlib';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { NpyRowReader, parseNpy, type NpyArray } from 'cocodiff-runtime/shared/formats/npy';
import { openInputFile } from 'cocodiff-runtime/shared/formats/read-input';

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class ZipArchive {
  private readonly byName: Map<string, ZipEntry>;

  private constructor(readonly path: string, private readonly fh: FileHandle, readonly entries: ZipEntry[]) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Opens the zip `path` (`what` names it in refusals: "the checkpoint"): a regular file only, never waited on. */
  static async open(path: string, what = 'the zip archive'): Promise<ZipArchive> {
    const { fh, size } = await openInputFile(path, what);
    try {
      return new ZipArchive(path, fh, await readCentralDirectory(path, fh, size));
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** Where the member's (possibly compressed) bytes start, from its local header. */
  private async dataStart(e: ZipEntry): Promise<number> {
    const h = await readAt(this.fh, e.localHeaderOffset, 30);
    if (h.length < 30 || h.readUInt32LE(0) !== SIG_LOCAL) throw new UserError(`${this.path}: member "${e.name}": no local header at byte ${e.localHeaderOffset} (corrupt zip)`);
    return e.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  }

  /** The whole member, inflated and CRC-checked. For small members. */
  async read(e: ZipEntry): Promise<Uint8Array> {
    if (e.size > LIMITS.wholeMemberBytes) throw new UserError(`${this.path}: member "${e.name}" declares ${e.size} bytes, more than the ${LIMITS.wholeMemberBytes} read whole (LIMITS.wholeMemberBytes)`);
    const raw = await readAt(this.fh, await this.dataStart(e), e.compressedSize);
    if (raw.length < e.compressedSize) throw new UserError(`${this.path}: member "${e.name}" is truncated (${raw.length} of ${e.compressedSize} bytes)`);
    let data: Uint8Array;
    try {
      // One byte over the declared size is enough to prove the directory lied.
      data = e.method === STORED ? raw : inflateRawSync(raw, { maxOutputLength: e.size + 1 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserError(`${this.path}: member "${e.name}" ${code === 'ERR_BUFFER_TOO_LARGE' ? `inflates to more than the ${e.size} bytes the directory declares` : `is not valid deflate data (${(err as Error).message})`}`);
    }
    if (data.length !== e.size || crc32(data) !== e.crc) throw new UserError(`${this.path}: member "${e.name}" is corrupt (size or CRC-32 does not match the directory)`);
    return data;
  }

  /** The member as a stream of chunks; its size and CRC-32 are checked when the stream ends. */
  async *stream(e: ZipEntry): AsyncGenerator<Uint8Array> {
    const start = await this.dataStart(e);
    const file = createReadStream(this.path, { start, end: start + e.compressedSize - 1, highWaterMark: 1 << 20 });
    // pipeline (unlike pipe) passes a read error on to the inflater, so the loop below sees it.
    const source = e.method === STORED ? file : pipeline(file, createInflateRaw(), () => {});
    let crc = 0;
    let size = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > e.size) throw new UserError(`${this.path}: member "${e.name}" inflates to more than the ${e.size} bytes the directory declares`);
        crc = crc32(chunk, crc);
        yield chunk;
      }
    } finally {
      file.destroy();
      if (source !== file) source.destroy();
    }
    if (size !== e.size || crc !== e.crc) throw new UserError(`${this.path}: member "${e.name}" is corrupt or truncated (size or CRC-32 does not match the directory)`);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

async function readCentralDirectory(path: string, fh: FileHandle, size: number): Promise<ZipEntry[]> {
  const corrupt = (what: string): UserError => new UserError(`${path}: not a valid zip/.npz (${what})`);
  // The EOCD is 22 bytes plus a comment of at most 65535 bytes; search backwards for its signature.
  const tailLen = Math.min(size, 22 + 65535);
  const tail = await readAt(fh, size - tailLen, tailLen);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD) { at = i; break; }
  }
  if (at < 0) throw corrupt('no end-of-central-directory record');
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const eocdPos = size - tailLen + at;
    const loc = await readAt(fh, eocdPos - 20, 20);
    if (loc.length !== 20 || loc.readUInt32LE(0) !== SIG_ZIP64_LOCATOR) throw corrupt('ZIP64 sizes without a ZIP64 locator');
    const rec = await readAt(fh, Number(loc.readBigUInt64LE(8)), 56);
    if (rec.length !== 56 || rec.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw corrupt('no ZIP64 end-of-central-directory record');
    count = Number(rec.readBigUInt64LE(32));
    cdSize = Number(rec.readBigUInt64LE(40));
    cdOffset = Number(rec.readBigUInt64LE(48));
  }
  if (count > LIMITS.zipMembers) throw corrupt(`${count} members, more than the ${LIMITS.zipMembers} accepted (LIMITS.zipMembers)`);
  if (cdSize > LIMITS.zipDirectoryBytes) throw corrupt(`a central directory of ${cdSize} bytes, more than the ${LIMITS.zipDirectoryBytes} accepted (LIMITS.zipDirectoryBytes)`);
  if (cdOffset + cdSize > size) throw corrupt('central directory runs past the end of the file (truncated)');
  if (count * 46 > cdSize) throw corrupt(`${count} members cannot fit in a central directory of ${cdSize} bytes`);
  const cd = await readAt(fh, cdOffset, cdSize);
  if (cd.length !== cdSize) throw corrupt('central directory runs past the end of the file (truncated)');
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw corrupt(`central directory entry ${i} is malformed`);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLen + extraLen > cd.length) throw corrupt(`central directory entry ${i} runs past the directory`);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    let uncompressed = cd.readUInt32LE(p + 24);
    let compressedSize = cd.readUInt32LE(p + 20);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    // ZIP64 extended information (extra id 1) holds, in this order, only the fields saturated above.
    for (let x = p + 46 + nameLen; x + 4 <= p + 46 + nameLen + extraLen;) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 1) {
        let q = x + 4;
        const next = (): number => {
          if (q + 8 > x + 4 + len) throw corrupt(`member "${name}": its ZIP64 field is shorter than the sizes it stands for`);
          const v = Number(cd.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (uncompressed === 0xffffffff) uncompressed = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      x += 4 + len;
    }
    if (flags & 1) throw new UserError(`${path}: member "${name}" is encrypted (not supported)`);
    if (method !== STORED && method !== DEFLATED) throw new UserError(`${path}: member "${name}" uses compression method ${method} (expected 0 stored or 8 deflated)`);
    checkExtent(path, size, { name, method, compressedSize, size: uncompressed, localHeaderOffset });
    entries.push({ name, method, crc: cd.readUInt32LE(p + 16), compressedSize, size: uncompressed, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * A member's stated sizes must be possible in this file: its bytes inside the file, and its
 * inflated size within what its compressed bytes can hold (stored: the same size).
 */
function checkExtent(path: string, fileSize: number, e: Omit<ZipEntry, 'crc'>): void {
  const bad = (what: string): UserError => new UserError(`${path}: member "${e.name}" ${what} (corrupt or hostile zip)`);
  if (e.localHeaderOffset + 30 + e.compressedSize > fileSize) throw bad(`claims ${e.compressedSize} bytes at byte ${e.localHeaderOffset}, past the end of the ${fileSize}-byte file`);
  if (e.method === STORED && e.size !== e.compressedSize) throw bad(`is stored uncompressed but declares ${e.size} bytes in ${e.compressedSize}`);
  if (e.size > e.compressedSize * LIMITS.deflateRatio + 64) throw bad(`declares ${e.size} bytes from ${e.compressedSize} compressed, beyond what deflate can reach (LIMITS.deflateRatio ${LIMITS.deflateRatio})`);
}

/** An `.npz`: its arrays by name (without the `.npy` suffix). */
export class Npz {
  private constructor(readonly zip: ZipArchive) {}

  static async open(path: string): Promise<Npz> {
    return new Npz(await ZipArchive.open(path, 'the .npz'));
  }

  get names(): string[] {
    return this.zip.entries.filter((e) => e.name.endsWith('.npy')).map((e) => e.name.slice(0, -4));
  }

  has(name: string): boolean {
    return this.zip.entry(`${name}.npy`) !== undefined;
  }

  private member(name: string): ZipEntry {
    const e = this.zip.entry(`${name}.npy`);
    if (!e) throw new UserError(`${this.zip.path}: no array "${name}" (holds ${this.names.join(', ') || 'no arrays'})`);
    return e;
  }

  /** A whole array in memory. */
  async array(name: string): Promise<NpyArray> {
    return parseNpy(await this.zip.read(this.member(name)), `${this.zip.path}:${name}`);
  }

  /** An array read row by row from the archive. */
  async rows(name: string): Promise<NpyRowReader> {
    const e = this.member(name);
    return NpyRowReader.open(this.zip.stream(e), `${this.zip.path}:${name}`, e.size);
  }

  async close(): Promise<void> {
    await this.zip.close();
  }
}
