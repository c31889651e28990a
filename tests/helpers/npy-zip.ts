/**
 * Writers for the test fixtures of npy.ts / npz.ts: `.npy` bytes as numpy writes them and zip
 * archives with numpy's layout (local header, data, central directory, EOCD), optionally deflated
 * and optionally with ZIP64 records, so the reader is tested against the real container format.
 */
import { crc32, deflateRawSync } from 'node:zlib';

/** For `f2`, `values` are the half floats' bit patterns (0x3c00 is 1), so a test can write any of them. */
export function npyBytes(descr: string, shape: number[], values: ArrayLike<number>, opts: { version?: 1 | 2; fortran?: boolean } = {}): Buffer {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  // numpy pads the header with spaces and ends it with "\n" so the data starts 64-byte aligned.
  header += ' '.repeat(63 - ((pre + header.length) % 64)) + '\n';
  const head = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(header.length, 8);
  else head.writeUInt32LE(header.length, 8);
  const kind = descr.slice(1);
  const little = descr[0] !== '>';
  const size = Number(kind.slice(1));
  const data = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const o = i * size;
    switch (kind) {
      case 'f2': little ? data.writeUInt16LE(v, o) : data.writeUInt16BE(v, o); break;
      case 'f4': little ? data.writeFloatLE(v, o) : data.writeFloatBE(v, o); break;
      case 'f8': little ? data.writeDoubleLE(v, o) : data.writeDoubleBE(v, o); break;
      case 'i4': little ? data.writeInt32LE(v, o) : data.writeInt32BE(v, o); break;
      case 'i8': little ? data.writeBigInt64LE(BigInt(v), o) : data.writeBigInt64BE(BigInt(v), o); break;
      case 'u1': data.writeUInt8(v, o); break;
      default: throw new Error(`npyBytes: no writer for ${descr}`);
    }
  }
  return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

export interface ZipMember {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

/** A zip archive; with zip64, sizes and offsets live in ZIP64 extra fields and ZIP64 end records. */
export function zipBytes(members: ZipMember[], opts: { zip64?: boolean; comment?: string } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const body = m.deflate ? deflateRawSync(m.data) : Buffer.from(m.data);
    const crc = crc32(m.data);
    const z64extra = Buffer.alloc(28);
    z64extra.writeUInt16LE(1, 0);
    z64extra.writeUInt16LE(24, 2);
    z64extra.writeBigUInt64LE(BigInt(m.data.length), 4);
    z64extra.writeBigUInt64LE(BigInt(body.length), 12);
    z64extra.writeBigUInt64LE(BigInt(offset), 20);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    local.writeUInt16LE(m.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(opts.zip64 ? 0xffffffff : body.length, 18);
    local.writeUInt32LE(opts.zip64 ? 0xffffffff : m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const localExtra = opts.zip64 ? Buffer.from(z64extra.subarray(0, 20)) : Buffer.alloc(0);
    if (opts.zip64) localExtra.writeUInt16LE(16, 2);
    local.writeUInt16LE(localExtra.length, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    cd.writeUInt16LE(opts.zip64 ? 45 : 20, 6);
    cd.writeUInt16LE(m.deflate ? 8 : 0, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(opts.zip64 ? 0xffffffff : body.length, 20);
    cd.writeUInt32LE(opts.zip64 ? 0xffffffff : m.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(opts.zip64 ? z64extra.length : 0, 30);
    cd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 42);
    central.push(cd, name, opts.zip64 ? z64extra : Buffer.alloc(0));
    parts.push(local, name, localExtra, body);
    offset += local.length + name.length + localExtra.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(members.length), 24);
    rec.writeBigUInt64LE(BigInt(members.length), 32);
    rec.writeBigUInt64LE(BigInt(cdBytes.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cdBytes.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const comment = Buffer.from(opts.comment ?? '', 'utf8');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : members.length, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : members.length, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cdBytes.length, 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  eocd.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...parts, cdBytes, ...tail, eocd, comment]);
}
