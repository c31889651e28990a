import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NTU25 } from 'cocodiff-runtime/shared/layouts';
import { Rng } from '../../common/rng.ts';
import { CacheWriter, readCache, type Cache } from '../../trainer/data/cache.ts';
import { batchCount, batches, type Batch } from '../../trainer/data/batches.ts';
import { preprocess } from '../../trainer/data/preprocess.ts';

let dir: string;
let cache: Cache;
const N = 7;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-batches-'));
  const writer = await CacheWriter.create(join(dir, 'cache'), { layout: 'ntu25', persons: 2, joints: 25, coords: 3, classes: ['a', 'b', 'c'], benchmark: null, source: 'test' });
  const rng = new Rng(11);
  for (let i = 0; i < N; i++) {
    const frames = 20 + 9 * i;
    const data = new Float32Array(frames * 2 * 25 * 3);
    for (let k = 0; k < frames * 75; k++) data[Math.floor(k / 75) * 150 + (k % 75)] = rng.normal(); // person 0 only
    await writer.add('train', { layout: 'ntu25', frames, persons: 2, joints: 25, coords: 3, data, label: i % 3, name: `s${i}` });
  }
  await writer.commit();
  cache = await readCache(join(dir, 'cache'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pre = { frames: 16, persons: 2, modality: 'joint' as const, layout: NTU25 };
const collect = (it: Iterable<Batch>): Batch[] => Array.from(it);

describe('batches', () => {
  it('yields [N, C, T, V, M] slices equal to preprocess() of each sample, in order without shuffle', () => {
    const all = collect(batches(cache, 'train', { batchSize: 3, shuffle: false, preprocess: { ...pre, train: false } }));
    expect(all.map((b) => b.size)).toEqual([3, 3, 1]);
    expect(all.flatMap((b) => b.indices)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const sample = 3 * 16 * 25 * 2;
    for (const b of all) {
      expect(b.x.length).toBe(b.size * sample);
      b.indices.forEach((i, n) => {
        expect(b.labels[n]).toBe(i % 3);
        expect(Array.from(b.x.subarray(n * sample, (n + 1) * sample))).toEqual(Array.from(preprocess(cache.sequence('train', i), { ...pre, train: false })));
      });
    }
    expect(batchCount(cache, 'train', 3)).toBe(3);
  });

  it('drops the partial batch only when asked', () => {
    const all = collect(batches(cache, 'train', { batchSize: 3, shuffle: false, dropLast: true, preprocess: { ...pre, train: false } }));
    expect(all.map((b) => b.size)).toEqual([3, 3]);
    expect(batchCount(cache, 'train', 3, true)).toBe(2);
  });

  it('shuffles as a permutation fixed by the seed', () => {
    const order = (seed: number) => collect(batches(cache, 'train', { batchSize: 2, shuffle: true, rng: new Rng(seed), preprocess: { ...pre, train: false } })).flatMap((b) => b.indices);
    expect(order(1)).toEqual(order(1));
    expect([...order(1)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const orders = new Set([1, 2, 3, 4, 5].map((s) => order(s).join(',')));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('depends only on the rng state at the start: a resumed run draws the same augmented batches', () => {
    const opts = (rng: Rng) => ({ batchSize: 3, shuffle: true, rng, preprocess: { ...pre, train: true } });
    const rng = new Rng(9);
    rng.next();
    const saved = rng.state();
    const first: Batch[] = [];
    for (const b of batches(cache, 'train', opts(rng))) {
      first.push(b);
      rng.normal(); // the training loop uses the same generator for other things between batches
    }
    const resumed = collect(batches(cache, 'train', opts(new Rng(saved))));
    expect(resumed.map((b) => b.indices)).toEqual(first.map((b) => b.indices));
    resumed.forEach((b, i) => expect(Array.from(b.x)).toEqual(Array.from(first[i].x)));
    // Training augmentation really is random: another state gives other values.
    const other = collect(batches(cache, 'train', opts(new Rng(10))));
    expect(Array.from(other[0].x)).not.toEqual(Array.from(first[0].x));
  });
});
