// Writes small hostile inputs for the command matrix, as an attacker or a careless user would hand
// them over: a PyTorch checkpoint whose 8-byte pickle has a negative BINSTRING length, and one whose
// zip directory claims a member of 0xfffffff0 bytes.
//   node write-hostile.mjs OUT_DIR
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const [out] = process.argv.slice(2);

/** A stored (uncompressed) zip of the members, optionally lying about the first one's size. */
function zip(members, claimedSize) {
  const parts = [];
  const central = [];
  let offset = 0;
  members.forEach(([name, data], i) => {
    const n = Buffer.from(name);
    const size = i === 0 && claimedSize !== undefined ? claimedSize : data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(n.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt32LE(crc32(data), 16);
    cd.writeUInt32LE(size, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(n.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, n);
    parts.push(local, n, data);
    offset += 30 + n.length + data.length;
  });
  const cdBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, eocd]);
}

const backwards = Buffer.from('\x80\x02T\xf8\xff\xff\xff.', 'latin1');
writeFileSync(join(out, 'negative-length.pt'), zip([['archive/data.pkl', backwards], ['archive/version', Buffer.from('3\n')]]));
writeFileSync(join(out, 'huge-member.pt'), zip([['archive/data.pkl', backwards]], 0xfffffff0));
