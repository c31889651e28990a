import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NTU25 } from 'cocodiff-runtime/shared/layouts';
import { readCache, type CacheIndex } from '../../trainer/data/cache.ts';
import { SYNTH_CLASSES, synthesize, writeSyntheticDataset, type SynthSample } from '../../trainer/data/synth/index.ts';

const PER_CLASS = 3;
let dir: string;
let index: CacheIndex;
let samples: SynthSample[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-synth-'));
  index = await writeSyntheticDataset(join(dir, 'a'), { perClass: PER_CLASS, seed: 1 });
  samples = Array.from(synthesize({ perClass: PER_CLASS, seed: 1 }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TWO_PERSON = ['handshake', 'push'];
const personPresent = (s: SynthSample, p: number, f: number): boolean => s.sequence.data.subarray((f * 2 + p) * 75, (f * 2 + p + 1) * 75).some((x) => x !== 0);

describe('synthetic dataset', () => {
  it('has the 14 classes in order, each with a description', () => {
    expect(SYNTH_CLASSES.map((c) => c.label)).toEqual([
      'wave one hand', 'wave both hands', 'clap', 'raise both arms', 'squat', 'jump', 'kick', 'bow',
      'turn around', 'sit down', 'stand up', 'punch', 'handshake', 'push',
    ]);
    for (const c of SYNTH_CLASSES) expect(c.description.length).toBeGreaterThan(20);
  });

  it('writes an NTU-25, 2-person cache with every class in both splits, 2 : 1', async () => {
    const cache = await readCache(join(dir, 'a'));
    expect(index).toMatchObject({ layout: 'ntu25', persons: 2, joints: 25, coords: 3, benchmark: 'synthetic-xsub' });
    expect(index.classes).toEqual(SYNTH_CLASSES.map((c) => c.label));
    for (let k = 0; k < 14; k++) {
      expect(index.splits.train.samples.filter((s) => s.label === k)).toHaveLength(2);
      expect(index.splits.test.samples.filter((s) => s.label === k)).toHaveLength(1);
    }
    for (const split of ['train', 'test'] as const) {
      cache.index.splits[split].samples.forEach((e, i) => {
        expect(e.frames).toBeGreaterThanOrEqual(40);
        expect(e.frames).toBeLessThanOrEqual(150);
        expect(cache.sequence(split, i).data.every(Number.isFinite)).toBe(true);
      });
    }
    // Nothing but the cache is left behind (no temporary directory).
    expect(await readdir(dir)).toEqual(['a']);
  });

  it('is deterministic under a seed: same seed same bytes, another seed other bytes', async () => {
    await writeSyntheticDataset(join(dir, 'b'), { perClass: PER_CLASS, seed: 1 });
    await writeSyntheticDataset(join(dir, 'c'), { perClass: PER_CLASS, seed: 2 });
    for (const f of ['index.json', 'train.bin', 'test.bin']) {
      expect((await readFile(join(dir, 'b', f))).equals(await readFile(join(dir, 'a', f)))).toBe(true);
    }
    expect((await readFile(join(dir, 'c', 'train.bin'))).equals(await readFile(join(dir, 'a', 'train.bin')))).toBe(false);
    await rm(join(dir, 'b'), { recursive: true });
    await rm(join(dir, 'c'), { recursive: true });
  });

  it('the first K classes are the same samples whatever K is', () => {
    const few = Array.from(synthesize({ perClass: PER_CLASS, classes: 2, seed: 1 }));
    expect(few).toHaveLength(2 * PER_CLASS);
    few.forEach((s, i) => expect(Array.from(s.sequence.data)).toEqual(Array.from(samples[i].sequence.data)));
  });

  it('splits by subject: no test performer appears in training', () => {
    const train = new Set(samples.filter((s) => s.split === 'train').flatMap((s) => s.subjects));
    const test = new Set(samples.filter((s) => s.split === 'test').flatMap((s) => s.subjects));
    expect(train.size).toBeGreaterThan(0);
    expect(test.size).toBeGreaterThan(0);
    for (const id of test) expect(train.has(id)).toBe(false);
  });

  it('interactions have two bodies, one-person actions leave person 1 all zeros', () => {
    for (const s of samples) {
      const label = SYNTH_CLASSES[s.sequence.label!].label;
      const frames = s.sequence.frames;
      const count = (p: number) => Array.from({ length: frames }, (_, f) => personPresent(s, p, f)).filter(Boolean).length;
      if (TWO_PERSON.includes(label)) {
        expect(s.subjects).toHaveLength(2);
        expect(new Set(s.subjects).size).toBe(2);
        expect(count(0)).toBeGreaterThan(frames * 0.9);
        expect(count(1)).toBeGreaterThan(frames * 0.9);
      } else {
        expect(count(1)).toBe(0);
        expect(count(0)).toBeGreaterThan(frames * 0.9);
      }
    }
  });

  it('looks like Kinect: metres, people 2–4.5 m deep, rigid bones', () => {
    const upperArm = [4, 5]; // left shoulder → left elbow
    for (const s of samples) {
      const d = s.sequence.data;
      const lengths: number[] = [];
      const depths: number[] = [];
      for (let f = 0; f < s.sequence.frames; f++) {
        if (!personPresent(s, 0, f)) continue;
        const j = (v: number) => d.subarray((f * 2 * 25 + v) * 3, (f * 2 * 25 + v) * 3 + 3);
        depths.push(j(NTU25.centre)[2]);
        const [a, b] = [j(upperArm[0]), j(upperArm[1])];
        if (a.some((x) => x !== 0) && b.some((x) => x !== 0)) lengths.push(Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
      }
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
      const m = median(lengths);
      expect(m).toBeGreaterThan(0.22); // 0.186 × 1.5–1.95 m, give or take
      expect(m).toBeLessThan(0.42);
      // Forward kinematics keeps the bone length; only sensor noise (and rare frozen joints) moves it.
      expect(median(lengths.map((l) => Math.abs(l - m)))).toBeLessThan(0.03);
      expect(median(depths)).toBeGreaterThan(2);
      expect(median(depths)).toBeLessThan(4.5);
    }
  });
});
