import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheWriter, readCache, type CacheMeta } from '../../trainer/data/cache.ts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { Rng } from '../../common/rng.ts';

const meta: CacheMeta = { layout: 'coco17', persons: 1, joints: 17, coords: 3, classes: ['a', 'b', 'c'], benchmark: 'test', source: 'cache.test' };

function seq(frames: number, label: number, seed: number): Sequence {
  const rng = new Rng(seed);
  return { layout: 'coco17', frames, persons: 1, joints: 17, coords: 3, data: Float32Array.from({ length: frames * 51 }, () => rng.normal()), label, name: `s${seed}` };
}

async function written(dir: string): Promise<Sequence[]> {
  const w = await CacheWriter.create(dir, meta);
  const samples = [seq(4, 0, 1), seq(9, 2, 2), seq(1, 1, 3)];
  await w.add('train', samples[0]);
  await w.add('test', samples[1]);
  await w.add('train', samples[2]);
  await w.commit();
  return samples;
}

describe('dataset cache', () => {
  it('round-trips ragged samples per split, with names, labels and frame counts', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cache-')), 'c');
    const samples = await written(dir);
    const cache = await readCache(dir);
    expect(cache.index.splits.train.samples.map((s) => [s.name, s.label, s.frames, s.offset])).toEqual([['s1', 0, 4, 0], ['s3', 1, 1, 4 * 51]]);
    expect(cache.sequence('train', 1).data).toEqual(samples[2].data);
    expect(cache.sequence('test', 0).data).toEqual(samples[1].data);
    expect(cache.sequence('test', 0)).toMatchObject({ layout: 'coco17', frames: 9, label: 2 });
  });

  it('refuses a label outside the class list and a sample of the wrong shape', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cache-')), 'c');
    const w = await CacheWriter.create(dir, meta);
    await expect(w.add('train', seq(2, 3, 1))).rejects.toThrow('sample s1: label 3 outside 0..2');
    await expect(w.add('train', { ...seq(2, 0, 1), joints: 25 })).rejects.toThrow(/shape 1×25×3 per frame, cache expects 1×17×3/);
    await w.abort();
  });

  it('shows nothing at the path until commit, and nothing at all after abort', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'cache-'));
    const w = await CacheWriter.create(join(parent, 'c'), meta);
    await w.add('train', seq(3, 1, 5));
    expect(existsSync(join(parent, 'c'))).toBe(false);
    await w.abort();
    expect(readdirSync(parent)).toEqual([]);
  });

  it('detects a truncated data file, a wrong offset and a folder that is not a cache', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cache-')), 'c');
    await written(dir);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    index.splits.train.samples[1].offset = 7;
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    await expect(readCache(dir)).rejects.toThrow(`${join(dir, 'index.json')}: field "splits.train.samples[1].offset": expected 204, found 7`);
    index.splits.train.samples[1].offset = 204;
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    truncateSync(join(dir, 'test.bin'), 100);
    await expect(readCache(dir)).rejects.toThrow(/test\.bin: 100 bytes, index\.json describes 1836 bytes/);
    await expect(readCache(join(dir, 'nope'))).rejects.toThrow(/not a dataset cache \(no index\.json/);
  });

  it('reads data files only inside the cache: a path in index.json that leads out is refused unread', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'cache-'));
    const dir = join(parent, 'c');
    await written(dir);
    writeFileSync(join(parent, 'outside.bin'), Buffer.alloc(4 * 4 * 51));
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    for (const file of ['../outside.bin', '../../../etc/passwd', '/etc/passwd', 'sub/train.bin', '..', '', 7, null]) {
      index.splits.train.file = file;
      writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
      const message = await readCache(dir).then(() => 'read', (e: Error) => e.message);
      expect(message).toBe(`${join(dir, 'index.json')}: field "splits.train.file": expected a file name inside the cache directory, found ${JSON.stringify(file)}`);
    }
  });

  it('refuses NaN, infinite and absurd values, naming the file, sample, frame and joint', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cache-')), 'c');
    await written(dir);
    const bin = readFileSync(join(dir, 'train.bin'));
    bin.writeFloatLE(Infinity, 4 * (4 * 51 + 3 * 3 + 1)); // sample 1 (s3), frame 1, joint 4, coordinate 2
    writeFileSync(join(dir, 'train.bin'), bin);
    await expect(readCache(dir)).rejects.toThrow(`${join(dir, 'train.bin')}: train sample 1 ("s3"), frame 1, person 1, joint 4, coordinate 2: Infinity is not a finite float32 (re-make the cache`);
    const w = await CacheWriter.create(join(dir, '..', 'd'), meta);
    const bad = seq(3, 0, 4);
    bad.data[51 + 2 * 3] = NaN;
    await expect(w.add('train', { ...bad, source: 'rec.npy' })).rejects.toThrow('rec.npy (sample s4), frame 2, person 1, joint 3, coordinate 1: NaN is not a finite float32');
    // Finite, but no coordinate: 3e38 overflows as soon as preprocessing subtracts a centre.
    bad.data[51 + 2 * 3] = 3e38;
    await expect(w.add('train', { ...bad, source: 'rec.npy' })).rejects.toThrow(/coordinate 1: 3\.0*\d*e\+38 is beyond ±1000000, no real coordinate/);
    await w.abort();
  });

  it('refuses null where an object belongs and prototype names as a layout', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cache-')), 'c');
    await written(dir);
    const good = readFileSync(join(dir, 'index.json'), 'utf8');
    const refusal = async (edit: (j: any) => unknown): Promise<string> => {
      writeFileSync(join(dir, 'index.json'), JSON.stringify(edit(JSON.parse(good))));
      return readCache(dir).then(() => 'read', (e: Error) => e.message.replace(`${join(dir, 'index.json')}: `, ''));
    };
    expect(await refusal(() => null)).toBe('field "(root)": expected a JSON object');
    expect(await refusal((j) => ({ ...j, layout: '__proto__' }))).toMatch(/^field "layout": expected one of ntu25, openpose18, coco17, kinect20, msr20, florence15, found "__proto__"/);
    expect(await refusal((j) => ({ ...j, layout: 'toString' }))).toMatch(/^field "layout": .* found "toString"/);
    expect(await refusal((j) => ({ ...j, splits: null }))).toBe('field "splits": expected { train, test }');
    expect(await refusal((j) => { j.splits.test.samples[0] = null; return j; })).toBe('field "splits.test.samples[0]": expected { name, label, frames, offset }');
    expect(await refusal((j) => ({ ...j, persons: 1e8 }))).toMatch(/^field "persons": expected an integer in 1\.\.16, found 100000000/);
  });
});
