import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NpyRowReader, parseNpy, readNpy } from 'cocodiff-runtime/shared/formats/npy';
import { Npz, ZipArchive } from '../../trainer/data/npz.ts';
import { prepareNpz } from '../../trainer/data/prepare.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { ntuClassNames } from '../../trainer/data/ntu-names.ts';
import { Rng } from '../../common/rng.ts';
import { npyBytes, zipBytes } from '../helpers/npy-zip.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'npz-'));

describe('.npy parser', () => {
  it.each([
    ['<f4', [1.5, -2.25, 3e-8, 7]],
    ['<f8', [0.1, -1e10, 2.5, 1 / 3]],
    ['>f4', [1.5, -2.25, 3e-8, 7]],
    ['<i4', [-3, 0, 7, 2147483647]],
    ['<i8', [-3, 0, 7, 9007199254740991]],
    ['|u1', [0, 1, 128, 255]],
  ])('reads %s as float32', (descr, values) => {
    const a = parseNpy(npyBytes(descr, [2, 2], values), 'a.npy');
    expect(a.dtype).toBe(descr);
    expect(a.shape).toEqual([2, 2]);
    expect(Array.from(a.data)).toEqual(values.map(Math.fround));
  });

  // Half floats by bit pattern: 1, −2, 1/3 rounded, the largest half, the smallest normal, the largest and
  // smallest subnormals (positive and negative), ±0, the half below 1, and π rounded.
  const HALVES: Array<[number, number]> = [
    [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504], [0x0400, 2 ** -14],
    [0x03ff, 1023 * 2 ** -24], [0x0001, 2 ** -24], [0x8001, -(2 ** -24)], [0x0000, 0], [0x8000, -0],
    [0x3bff, 0.99951171875], [0x4248, 3.140625],
  ];

  it.each(['<f2', '>f2'])('reads %s half floats, subnormals and signed zeros included', (descr) => {
    const a = parseNpy(npyBytes(descr, [3, 4], HALVES.map(([h]) => h)), 'h.npy');
    expect(a.shape).toEqual([3, 4]);
    HALVES.forEach(([h, want], i) => expect(Object.is(a.data[i], want), `0x${h.toString(16)} → ${a.data[i]}, expected ${want}`).toBe(true));
  });

  it('reads every finite half float to the float32 with the same sign, exponent and mantissa bits', () => {
    const finite = Array.from({ length: 65536 }, (_, h) => h).filter((h) => ((h >> 10) & 0x1f) !== 31);
    const got = new Uint32Array(parseNpy(npyBytes('<f2', [finite.length], finite), 'all.npy').data.buffer);
    const wrong: string[] = [];
    finite.forEach((h, i) => {
      // The float32 bit layout written out: normals move the exponent bias from 15 to 127; a subnormal
      // m · 2^-24 is normal in float32, at exponent e with the leading 1 of m shifted out.
      const sign = (h & 0x8000) << 16;
      const e = (h >> 10) & 0x1f;
      let m = h & 0x3ff;
      let bits = sign;
      if (e > 0) bits |= ((e + 112) << 23) | (m << 13);
      else if (m > 0) {
        let exp = 113;
        while (!(m & 0x400)) { m <<= 1; exp--; }
        bits |= (exp << 23) | ((m & 0x3ff) << 13);
      }
      if (got[i] !== bits >>> 0 && wrong.length < 5) wrong.push(`0x${h.toString(16)}`);
    });
    expect(wrong).toEqual([]);
  });

  it('refuses a half-float infinity or NaN in a whole array, and streams them as such row by row', async () => {
    for (const [h, what] of [[0x7c00, 'Infinity'], [0xfc00, '-Infinity'], [0x7e00, 'NaN'], [0x7c01, 'NaN']] as const) {
      const bytes = npyBytes('<f2', [2, 2], [0x3c00, 0x3c00, 0x3c00, h]);
      expect(() => parseNpy(bytes, 'h.npy')).toThrow(`h.npy: element [1, 1] is ${what} as float32 (expected finite values)`);
      const rows = await NpyRowReader.open((async function* () { yield bytes; })(), 'h.npy');
      await rows.readRow(0);
      expect(Array.from(await rows.readRow(1))).toEqual([1, Number(what)]);
    }
  });

  it('refuses a descr with anything before or after the byte order, kind and size', () => {
    const f4 = npyBytes('<f4', [2], [1, 2]).toString('latin1');
    for (const descr of ['x<f4', '<f4x', '<f4 ', 'f4', '<g4']) {
      expect(() => parseNpy(Buffer.from(f4.replace("'<f4'", `'${descr}'`), 'latin1'), 'd.npy'), descr).toThrow(`d.npy: field "descr": unsupported dtype "${descr}"`);
    }
  });

  it('reads version 2 headers, 1-D and 0-D shapes', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'v2.npy'), npyBytes('<f4', [3], [1, 2, 3], { version: 2 }));
    expect(await readNpy(join(dir, 'v2.npy'))).toEqual({ dtype: '<f4', shape: [3], data: new Float32Array([1, 2, 3]) });
    expect(parseNpy(npyBytes('<f8', [], [4.5]), 's.npy').data).toEqual(new Float32Array([4.5]));
  });

  it('names the field that is wrong', () => {
    const c8 = npyBytes('<f4', [2], [1, 2]);
    const withDescr = Buffer.from(c8.toString('latin1').replace("'<f4'", "'<c8'"), 'latin1');
    expect(() => parseNpy(withDescr, 'c.npy')).toThrow(/^c\.npy: field "descr": unsupported dtype "<c8"/);
    expect(() => parseNpy(npyBytes('<f4', [2, 2], [1, 2, 3, 4], { fortran: true }), 'f.npy')).toThrow('f.npy: field "fortran_order": expected False');
    const badShape = Buffer.from(c8.toString('latin1').replace("(2,)", "(2, -1)"), 'latin1');
    expect(() => parseNpy(badShape, 's.npy')).toThrow(/field "shape": expected a tuple of non-negative integers/);
    expect(() => parseNpy(c8.subarray(0, c8.length - 1), 't.npy')).toThrow(/field "shape": \(2\) needs 8 data bytes, the file holds 7 \(truncated\)/);
    expect(() => parseNpy(Buffer.from('PK\x03\x04 not an npy'), 'z.npy')).toThrow(/not a \.npy array/);
  });
});

describe('.npz container', () => {
  const a = npyBytes('<f4', [2, 3], [1, 2, 3, 4, 5, 6]);
  const b = npyBytes('<f8', [4], [9, 8, 7, 6]);

  it.each([
    ['stored', false, false],
    ['deflated', true, false],
    ['deflated ZIP64', true, true],
  ])('reads %s members, whole and row by row', async (_, deflate, zip64) => {
    const path = join(tmp(), 'x.npz');
    writeFileSync(path, zipBytes([{ name: 'a.npy', data: a, deflate }, { name: 'b.npy', data: b }], { zip64, comment: 'made by a test' }));
    const npz = await Npz.open(path);
    expect(npz.names).toEqual(['a', 'b']);
    expect((await npz.array('b')).data).toEqual(new Float32Array([9, 8, 7, 6]));
    const rows = await npz.rows('a');
    expect(rows.header.shape).toEqual([2, 3]);
    expect(Array.from(await rows.readRow(0))).toEqual([1, 2, 3]);
    expect(Array.from(await rows.readRow(1))).toEqual([4, 5, 6]);
    await expect(npz.array('c')).rejects.toThrow(/no array "c" \(holds a, b\)/);
    await npz.close();
  });

  it('detects a corrupted member by its CRC-32 and a file that is not a zip', async () => {
    const dir = tmp();
    const zip = zipBytes([{ name: 'a.npy', data: a }]);
    zip[30 + 'a.npy'.length + 100] ^= 0xff; // a data byte of the stored member
    writeFileSync(join(dir, 'bad.npz'), zip);
    const z = await ZipArchive.open(join(dir, 'bad.npz'));
    await expect(z.read(z.entries[0])).rejects.toThrow(/member "a.npy" is corrupt/);
    await z.close();
    writeFileSync(join(dir, 'text.npz'), 'hello');
    await expect(ZipArchive.open(join(dir, 'text.npz'))).rejects.toThrow(/no end-of-central-directory record/);
  });
});

/** A CTR-GCN-style NTU .npz: x (N, T, 150) with zero-padded tails, y one-hot or integer. */
function ctrgcnNpz(path: string, opts: { T: number; train: number[]; test: number[]; labels: number[]; oneHot: boolean; classes: number; zip64?: boolean }): Float32Array[] {
  const rng = new Rng(11);
  const rows: Float32Array[] = [];
  const x = (lengths: number[]): Uint8Array => {
    const data = new Float32Array(lengths.length * opts.T * 150);
    lengths.forEach((len, i) => {
      const row = data.subarray(i * opts.T * 150, (i + 1) * opts.T * 150);
      for (let k = 0; k < len * 150; k++) row[k] = k % 150 >= 75 && i % 2 ? 0 : rng.uniform(-1, 1); // odd samples: one person
      rows.push(row.slice(0, len * 150));
    });
    return npyBytes('<f4', [lengths.length, opts.T, 150], data);
  };
  const y = (from: number, n: number): Uint8Array => {
    const ls = opts.labels.slice(from, from + n);
    if (!opts.oneHot) return npyBytes('<i8', [n], ls);
    const oh = new Float64Array(n * opts.classes);
    ls.forEach((l, i) => (oh[i * opts.classes + l] = 1));
    return npyBytes('<f8', [n, opts.classes], oh);
  };
  writeFileSync(path, zipBytes([
    { name: 'x_train.npy', data: x(opts.train) },
    { name: 'y_train.npy', data: y(0, opts.train.length), deflate: true },
    { name: 'x_test.npy', data: x(opts.test), deflate: true },
    { name: 'y_test.npy', data: y(opts.train.length, opts.test.length) },
  ], { zip64: opts.zip64 }));
  return rows;
}

describe('prepare npz', () => {
  it('imports x/y into the cache with ragged valid frames, one-hot labels and NTU-60 names', async () => {
    const dir = tmp();
    const file = join(dir, 'NTU60_CS.npz');
    const rows = ctrgcnNpz(file, { T: 20, train: [20, 7, 13], test: [5, 11], labels: [3, 59, 0, 17, 42], oneHot: true, classes: 60, zip64: true });
    const r = await prepareNpz(file, join(dir, 'cache'), { quiet: true });
    expect(r.index.benchmark).toBe('NTU60_CS');
    const cache = await readCache(join(dir, 'cache'));
    expect(cache.index.classes).toEqual(ntuClassNames(60));
    const all = [0, 1, 2].map((i) => cache.sequence('train', i)).concat([0, 1].map((i) => cache.sequence('test', i)));
    expect(all.map((s) => s.frames)).toEqual([20, 7, 13, 5, 11]);
    expect(all.map((s) => s.label)).toEqual([3, 59, 0, 17, 42]);
    all.forEach((s, i) => expect(s.data).toEqual(rows[i]));
    expect(all[1].name).toBe('x_train[1]');
  });

  it('takes integer labels and picks NTU-120 names for labels beyond 59', async () => {
    const dir = tmp();
    const file = join(dir, 'NTU120_CSet.npz');
    ctrgcnNpz(file, { T: 8, train: [8, 3], test: [4], labels: [119, 60, 2], oneHot: false, classes: 120 });
    const r = await prepareNpz(file, join(dir, 'cache'), { quiet: true });
    expect(r.index.classes).toEqual(ntuClassNames(120));
    expect(r.index.splits.train.samples.map((s) => s.label)).toEqual([119, 60]);
  });

  it('rejects a label out of range and an x of the wrong shape, leaving no cache', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.npz');
    ctrgcnNpz(file, { T: 8, train: [8, 3], test: [4], labels: [5, 130, 2], oneHot: false, classes: 120 });
    await expect(prepareNpz(file, join(dir, 'cache'), { quiet: true })).rejects.toThrow(`${file}: field "y_train[1]": label 130 out of range (expected an integer in 0..119)`);
    const odd = join(dir, 'odd.npz');
    writeFileSync(odd, zipBytes([
      { name: 'x_train.npy', data: npyBytes('<f4', [1, 2, 149], new Float32Array(298).fill(1)) },
      { name: 'y_train.npy', data: npyBytes('<i8', [1], [0]) },
      { name: 'x_test.npy', data: npyBytes('<f4', [1, 2, 149], new Float32Array(298).fill(1)) },
      { name: 'y_test.npy', data: npyBytes('<i8', [1], [0]) },
    ]));
    await expect(prepareNpz(odd, join(dir, 'cache'), { quiet: true })).rejects.toThrow(/odd\.npz:x_train: field "shape": expected \(N, frames, 150\)/);
    expect(readdirSync(dir).sort()).toEqual(['bad.npz', 'odd.npz']);
    expect(existsSync(join(dir, 'cache'))).toBe(false);
  });

  it('checks the CRC-32 of streamed x members: one flipped byte is refused, and no cache is written', async () => {
    const dir = tmp();
    const file = join(dir, 'flip.npz');
    ctrgcnNpz(file, { T: 8, train: [8, 3], test: [4], labels: [5, 7, 2], oneHot: false, classes: 60 });
    const bytes = readFileSync(file);
    // x_train.npy is the first member, stored: local header (30 + 11 name bytes), then the .npy.
    const at = 30 + 'x_train.npy'.length + 128 + 4 * (150 * 3 + 7);
    bytes[at] ^= 0x01;
    writeFileSync(file, bytes);
    await expect(prepareNpz(file, join(dir, 'cache'), { quiet: true })).rejects.toThrow(`${file}: member "x_train.npy" is corrupt or truncated (size or CRC-32 does not match the directory)`);
    expect(existsSync(join(dir, 'cache'))).toBe(false);
  });

  it('refuses NaN, infinity and float32 overflow, naming the sample, frame and joint', async () => {
    const dir = tmp();
    const row = (fill: (i: number) => number): number[] => Array.from({ length: 2 * 150 }, (_, i) => fill(i));
    for (const [bad, shown] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [1e39, 'Infinity']] as const) {
      const file = join(dir, `v${shown}.npz`);
      writeFileSync(file, zipBytes([
        { name: 'x_train.npy', data: npyBytes('<f8', [2, 2, 150], [...row(() => 0.5), ...row((i) => (i === 150 + 3 * 4 + 2 ? bad : 0.25))]) },
        { name: 'y_train.npy', data: npyBytes('<i8', [2], [0, 1]) },
        { name: 'x_test.npy', data: npyBytes('<f4', [1, 2, 150], row(() => 1)) },
        { name: 'y_test.npy', data: npyBytes('<i8', [1], [0]) },
      ]));
      await expect(prepareNpz(file, join(dir, 'cache'), { quiet: true })).rejects.toThrow(`${file} (sample x_train[1]), frame 2, person 1, joint 5, coordinate 3: ${shown} is not a finite float32`);
    }
    expect(existsSync(join(dir, 'cache'))).toBe(false);
    expect(() => parseNpy(npyBytes('<f8', [2, 3], [1, 2, 3, 4, 1e39, 6]), 'e.npy')).toThrow('e.npy: element [1, 1] is Infinity as float32 (expected finite values)');
    expect(() => parseNpy(npyBytes('<f4', [2], [1, NaN]), 'n.npy')).toThrow('n.npy: element [1] is NaN as float32');
  });
});
