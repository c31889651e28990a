/**
 * Small hostile files must be refused by what they claim, before the claim is acted on: every
 * length, width, count and extent is checked against the file and runtime-as/shared/limits.ts (issue 26's
 * probes: a negative BINSTRING length, a 3 MB LONG4, zip sizes of 0xfffffff0 and 2^40, a deflate
 * bomb with a lying directory, a stride-0 view of billions of elements).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { ZipArchive } from '../../trainer/data/npz.ts';
import { unpickle, type AllowedGlobal } from '../../trainer/pytorch/pickle.ts';
import { readTorchCheckpoint } from '../../trainer/pytorch/pt-archive.ts';
import { zipBytes } from '../helpers/npy-zip.ts';
import { refusal } from '../helpers/refusal.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-hostile-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const le32 = (n: number): string => Buffer.from(Int32Array.of(n).buffer).toString('latin1');
const run = (pickle: string | Buffer) => unpickle(typeof pickle === 'string' ? Buffer.from(pickle, 'latin1') : pickle, {
  globals: new Map<string, AllowedGlobal>(), allowedSummary: 'none', persistentLoad: (pid) => pid, source: 'x.pkl',
});
/** LONG4 bytes of a BigInt: little-endian two's complement, as Python's pickle writes them. */
function long4(v: bigint): Buffer {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.push(Number(x & 0xffn));
    x >>= 8n;
  } while (!((x === 0n && (bytes.at(-1)! & 0x80) === 0) || (x === -1n && (bytes.at(-1)! & 0x80) !== 0)));
  return Buffer.concat([Buffer.from([0x8b]), Buffer.from(le32(bytes.length), 'latin1'), Buffer.from(bytes)]);
}

describe('the unpickler', () => {
  it('refuses a negative BINSTRING length instead of stepping backwards', async () => {
    expect(await refusal(() => run(`\x80\x02T${le32(-8)}.`))).toMatch(/^x\.pkl: a negative length \(-8\) \(opcode at byte 2\)/);
  });

  it('refuses an integer wider than LIMITS.pickleIntegerBytes, and reads wide ones exactly', async () => {
    const wide = Buffer.concat([Buffer.from('\x80\x02\x8b', 'latin1'), Buffer.from(le32(3_000_000), 'latin1'), Buffer.alloc(3_000_000, 0x7f), Buffer.from('.')]);
    expect(await refusal(() => run(wide))).toMatch(/an integer of 3000000 bytes, wider than the 1024 accepted \(LIMITS\.pickleIntegerBytes\)/);
    expect(await refusal(() => run(`\x80\x02L${'9'.repeat(5000)}\n.`))).toMatch(/an integer of 5000 digits/);
    for (const v of [2n ** 8000n + 12345n, -(2n ** 8000n) + 7n, -1n, 255n, -129n]) {
      expect(run(Buffer.concat([Buffer.from('\x80\x02', 'latin1'), long4(v), Buffer.from('.')]))).toBe(Number.isSafeInteger(Number(v)) ? Number(v) : v);
    }
  });

  it('APPENDS a long run of items without overflowing the call stack', () => {
    const n = 300_000;
    const list = run(Buffer.concat([Buffer.from('\x80\x02](', 'latin1'), Buffer.alloc(2 * n, 'K\x01', 'latin1'), Buffer.from('e.')])) as number[];
    expect(list).toHaveLength(n);
    expect(list[n - 1]).toBe(1);
  });
});

/** The central directory entry of the archive's first member (its offset in the bytes). */
const centralEntry = (zip: Buffer): number => zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));

describe('the zip reader', () => {
  const write = async (name: string, bytes: Buffer): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };
  const readFirst = async (path: string): Promise<Uint8Array> => {
    const zip = await ZipArchive.open(path);
    try {
      return await zip.read(zip.entries[0]);
    } finally {
      await zip.close();
    }
  };

  it('refuses declared sizes the file cannot hold: 0xfffffff0 stored bytes, and a ZIP64 size of 2^40', async () => {
    const plain = zipBytes([{ name: 'a.npy', data: Buffer.alloc(100, 1) }]);
    const huge = Buffer.from(plain);
    huge.writeUInt32LE(0xfffffff0, centralEntry(huge) + 20);
    huge.writeUInt32LE(0xfffffff0, centralEntry(huge) + 24);
    expect(await refusal(async () => readFirst(await write('huge.zip', huge)))).toMatch(/huge\.zip: member "a\.npy" claims 4294967280 bytes at byte 0, past the end of the \d+-byte file/);

    const z64 = zipBytes([{ name: 'a.npy', data: Buffer.alloc(100, 1), deflate: true }], { zip64: true });
    const extra = centralEntry(z64) + 46 + 'a.npy'.length;
    z64.writeBigUInt64LE(2n ** 40n, extra + 4);
    expect(await refusal(async () => readFirst(await write('z64.zip', z64)))).toMatch(/member "a\.npy" declares 1099511627776 bytes from \d+ compressed, beyond what deflate can reach/);
  });

  it('stops inflating at the declared size: a bomb whose directory lies is refused, not inflated', async () => {
    const bomb = zipBytes([{ name: 'a.npy', data: Buffer.alloc(64 << 20), deflate: true }]);
    const compressed = deflateRawSync(Buffer.alloc(64 << 20)).length;
    bomb.writeUInt32LE(compressed, centralEntry(bomb) + 24); // claims no more than it is compressed to
    const path = await write('bomb.zip', bomb);
    expect(await refusal(() => readFirst(path))).toMatch(/member "a\.npy" inflates to more than the \d+ bytes the directory declares/);
    const zip = await ZipArchive.open(path);
    try {
      expect(await refusal(async () => { for await (const _ of zip.stream(zip.entries[0])) void _; })).toMatch(/inflates to more than/);
    } finally {
      await zip.close();
    }
  });

  it('refuses a directory that claims more members than it can hold, and what is not a regular file', async () => {
    const z = zipBytes([{ name: 'a.npy', data: Buffer.alloc(8) }]);
    const eocd = z.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    z.writeUInt16LE(60_000, eocd + 10);
    expect(await refusal(async () => readFirst(await write('count.zip', z)))).toMatch(/60000 members cannot fit in a central directory of \d+ bytes/);
    expect(await refusal(() => ZipArchive.open(dir))).toBe(`${dir}: cannot read the zip archive (a directory, not a file)`);
  });
});

describe('checkpoints', () => {
  /** {'w': _rebuild_tensor_v2(storage '0' of 1 float, 0, size, stride, False, OrderedDict())} as protocol 2. */
  function statePickle(size: number[], stride: number[]): Buffer {
    const tuple = (xs: number[]) => `(${xs.map((x) => `J${le32(x)}`).join('')}t`;
    return Buffer.from(
      `\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n(` +
      `(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x01tQ` +
      `K\x00${tuple(size)}${tuple(stride)}\x89ccollections\nOrderedDict\n)RtRs.`, 'latin1');
  }
  const checkpoint = (name: string, size: number[], stride: number[]) => writeFile(join(dir, name), zipBytes([
    { name: 'archive/data.pkl', data: statePickle(size, stride) },
    { name: 'archive/data/0', data: Buffer.from(Float32Array.of(2.5).buffer) },
  ])).then(() => join(dir, name));

  it('a checkpoint that is a FIFO is refused at once, not waited on; a directory is named as one (sweep probes P15, P16)', async () => {
    const fifo = join(dir, 'fifo.pt');
    execFileSync('mkfifo', [fifo]);
    expect(await refusal(() => readTorchCheckpoint(fifo))).toBe(`${fifo}: cannot read the checkpoint (a FIFO (named pipe), not a regular file)`);
    const folder = join(dir, 'folder.pt');
    await mkdir(folder);
    expect(await refusal(() => readTorchCheckpoint(folder))).toBe(`${folder}: cannot read the checkpoint (a directory, not a file)`);
  });

  it('refuses a stride-0 view of 10^10 elements before allocating, and reads the honest one', async () => {
    expect(await refusal(async () => readTorchCheckpoint(await checkpoint('broadcast.pt', [100_000, 100_000], [0, 0])))).toMatch(/tensor "w" views 10000000000 elements of a storage that holds 1 \(a broadcast, stride-0 view\)/);
    const honest = await readTorchCheckpoint(await checkpoint('honest.pt', [1, 1], [1, 1]));
    expect(honest.tensors.get('w')).toEqual({ shape: [1, 1], data: Float32Array.of(2.5) });
  });

  it('has limits far above a real checkpoint', () => {
    // The full CTR-GCN: ~600 state_dict entries, 1.5 M parameters.
    expect(LIMITS.checkpointTensors).toBeGreaterThan(600 * 10);
    expect(LIMITS.checkpointElements).toBeGreaterThan(1.5e6 * 100);
  });
});
