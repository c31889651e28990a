import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as baseline from '../../cli/commands/baseline.ts';
import { Rng } from '../../common/rng.ts';
import { CacheWriter, readCache, type Cache } from '../../trainer/data/cache.ts';
import { nearest, nearestCentroidBaseline } from '../../trainer/baseline/nearest-centroid.ts';
import { readPredictions } from '../../trainer/train/predictions-file.ts';
import { runCli } from '../helpers/cli.ts';

let dir: string;

/**
 * A cache of two made-up actions with noisy, varied-length recordings: in class 0 the right hand
 * (joint 11) rises over the clip, in class 1 it moves sideways. `testLabel` decides what the test
 * split claims each test sample is.
 */
async function makeCache(name: string, testLabel: (trueLabel: number) => number): Promise<Cache> {
  const out = join(dir, name);
  const writer = await CacheWriter.create(out, { layout: 'ntu25', persons: 2, joints: 25, coords: 3, classes: ['raise', 'slide'], benchmark: null, source: 'test' });
  const rng = new Rng(21);
  for (const split of ['train', 'test'] as const) {
    for (let i = 0; i < 12; i++) {
      const label = i % 2;
      const frames = 30 + rng.int(40);
      const data = new Float32Array(frames * 150);
      for (let f = 0; f < frames; f++) {
        for (let v = 0; v < 25; v++) for (let c = 0; c < 3; c++) data[f * 150 + v * 3 + c] = 1 + 0.02 * rng.normal();
        const t = f / (frames - 1);
        data[f * 150 + 11 * 3 + (label === 0 ? 1 : 0)] += 0.5 * t;
      }
      await writer.add(split, { layout: 'ntu25', frames, persons: 2, joints: 25, coords: 3, data, label: split === 'test' ? testLabel(label) : label, name: `${split}${i}` });
    }
  }
  await writer.commit();
  return readCache(out);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-baseline-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nearest-centroid baseline', () => {
  it('picks the closest class mean', () => {
    const centroids = [Float64Array.from([0, 0]), Float64Array.from([10, 0]), Float64Array.from([0, 4])];
    expect(nearest(centroids, Float32Array.from([6, 0]))).toBe(1);
    expect(nearest(centroids, Float32Array.from([1, 2.9]))).toBe(2);
  });

  it('separates two distinct motions, and scores what the labels say', async () => {
    const right = nearestCentroidBaseline(await makeCache('right', (l) => l), { frames: 16 });
    expect(right.total).toBe(12);
    expect(right.top1).toBe(1);
    expect(right.perClass.map((c) => c.correct)).toEqual([6, 6]);
    // The same data with the test labels swapped: every prediction now counts as wrong.
    const swapped = nearestCentroidBaseline(await makeCache('swapped', (l) => 1 - l), { frames: 16 });
    expect(swapped.top1).toBe(0);
  });

  it('ranks every class by its distance, and the command writes that ranking to predictions.jsonl for compare', async () => {
    const cache = await makeCache('ranked', (l) => l);
    const r = nearestCentroidBaseline(cache, { frames: 16 });
    // Scores are minus the squared distances: the nearest class scores highest, and it is the one chosen.
    expect(r.scores).toHaveLength(12 * 2);
    for (let i = 0; i < 12; i++) expect(r.scores[2 * i + (i % 2)]).toBeGreaterThan(r.scores[2 * i + 1 - (i % 2)]);
    const out = join(dir, 'baseline-out');
    const lines = await runCli([baseline], 'baseline', '--data', cache.dir, '--frames', '16', '--out', out);
    expect(lines.at(-1)).toBe(`wrote ${out}/predictions.jsonl`);
    const rows = (await readPredictions(out)).lines;
    expect(rows).toEqual(cache.index.splits.test.samples.map((s) => ({ sample: s.name, label: cache.index.classes[s.label], top5: [s.label, 1 - s.label].map((c) => cache.index.classes[c]) })));
    // A folder of the user's is refused before anything is computed.
    const theirs = join(dir, 'theirs');
    await mkdir(theirs);
    await writeFile(join(theirs, 'notes.txt'), 'mine');
    await expect(runCli([baseline], 'baseline', '--data', cache.dir, '--out', theirs)).rejects.toThrow(`${theirs}: holds files cocodiff did not write there (notes.txt); nothing was written`);
  });

  it('the command refuses an empty split instead of reporting "top-1 0.00 %"', async () => {
    const out = join(dir, 'train-only');
    const writer = await CacheWriter.create(out, { layout: 'coco17', persons: 1, joints: 17, coords: 3, classes: ['a', 'b'], benchmark: null, source: 'test' });
    for (let i = 0; i < 4; i++) await writer.add('train', { layout: 'coco17', frames: 5, persons: 1, joints: 17, coords: 3, data: new Float32Array(5 * 51).fill(i), label: i % 2, name: `t${i}` });
    await writer.commit();
    const program = new Command('cocodiff').exitOverride();
    baseline.register(program);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await expect(program.parseAsync(['node', 'cocodiff', 'baseline', '--data', out, '--frames', '4'])).rejects.toThrow(`${out}: the test split is empty; nothing to score`);
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });
});
