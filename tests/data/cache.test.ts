import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheWriter, readCache, type CacheMeta } from '../../trainer/data/cache.ts';
import type { Sequence } from '../../common/sequence.ts';
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
});
