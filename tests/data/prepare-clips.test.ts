import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { readCache } from '../../trainer/data/cache.ts';
import { prepareClips, type ClipsSpec } from '../../trainer/data/clips.ts';
import { FLORENCE_CLASSES, MSR3D_CLASSES, florenceSpec, msr3dSpec, msr3dStandardList } from '../../trainer/data/clip-presets.ts';
import { subjectOf, trainSubsets } from '../../trainer/data/subsets.ts';
import { clipValues, florenceText, msrText } from '../helpers/clip-fixtures.ts';
import { npyBytes } from '../helpers/npy-zip.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'clips-'));
const quiet = { quiet: true };

describe('prepare msr3d', () => {
  // The real folder: the 557 standard clips, 10 more, the list as text and a MATLAB script.
  const root = join(tmp(), 'real_world_coordinates');
  const standard = [...msr3dStandardList()].sort();
  const extra = ['a02_s03_e02', 'a04_s03_e01', 'a07_s04_e01', 'a13_s09_e01', 'a13_s09_e02', 'a13_s09_e03', 'a14_s03_e01', 'a20_s07_e01', 'a20_s07_e03', 'a20_s10_e03'];
  beforeAll(() => {
    mkdirSync(root);
    [...standard, ...extra].forEach((name, i) => {
      const values = name === 'a13_s09_e02' ? clipValues(2, 20, i).map((f) => f.map(() => [0, 0, 0])) : clipValues(2 + (i % 3), 20, i);
      writeFileSync(join(root, `${name}_skeleton3D.txt`), msrText(values));
    });
    writeFileSync(join(root, 'files_used_in_cvpr12_paper.txt'), standard.join('\r\n'));
    writeFileSync(join(root, 'drawskt.m'), '% draws a skeleton\n');
  });

  it('keeps the standard 557 clips, odd subjects train and even subjects test, class = action − 1, confidence dropped', async () => {
    expect(standard).toHaveLength(557);
    expect(standard.filter((n) => extra.includes(n))).toEqual([]);
    const out = join(tmp(), 'cache');
    const r = await prepareClips(msr3dSpec(root), out, quiet);
    expect(r.skipped).toEqual({ 'not in the standard 557-clip list': 10, 'file name does not match the pattern': 2 });
    const cache = await readCache(out);
    expect(cache.index).toMatchObject({ layout: 'msr20', persons: 1, joints: 20, coords: 3, classes: MSR3D_CLASSES, benchmark: 'msr3d-xsub' });
    const { train, test } = cache.index.splits;
    expect(train.samples.length + test.samples.length).toBe(557);
    expect(train.samples.every((s) => Number(s.name.slice(5, 7)) % 2 === 1)).toBe(true);
    expect(test.samples.every((s) => Number(s.name.slice(5, 7)) % 2 === 0)).toBe(true);
    for (const s of [...train.samples, ...test.samples]) expect(s.label).toBe(Number(s.name.slice(1, 3)) - 1);
    const k = test.samples.findIndex((s) => s.name === 'a05_s02_e03_skeleton3D');
    const i = [...standard, ...extra].indexOf('a05_s02_e03');
    const stored = cache.sequence('test', k);
    expect(stored.frames).toBe(2 + (i % 3));
    expect(Array.from(stored.data)).toEqual(Array.from(Float32Array.from(clipValues(2 + (i % 3), 20, i).flat(2))));
  });

  it('refuses a folder that lacks a clip of the standard list, naming it', async () => {
    const partial = join(tmp(), 'partial');
    mkdirSync(partial);
    writeFileSync(join(partial, 'a01_s01_e01_skeleton3D.txt'), msrText(clipValues(2, 20, 1)));
    await expect(prepareClips(msr3dSpec(partial), join(tmp(), 'c'), quiet)).rejects.toThrow(/^.*: 556 clips of the standard 557-clip list missing: a01_s01_e02_skeleton3D, a01_s01_e03_skeleton3D, /);
  });
});

describe('prepare florence', () => {
  const root = tmp();
  beforeAll(() => {
    let id = 1;
    for (let a = 1; a <= 9; a++) for (let s = 1; s <= 10; s++) {
      const mm = clipValues(3, 15, id).map((f) => f.map((j) => j.map((x) => x * 1000)));
      writeFileSync(join(root, `a${String(a).padStart(2, '0')}_s${s}_id${id}.txt`), florenceText(mm));
      id++;
    }
  });

  it('splits by the named test subjects, stores metres, and validation holds out whole training subjects', async () => {
    const out = join(tmp(), 'cache');
    await prepareClips(florenceSpec(root, ['9', '10']), out, quiet);
    const cache = await readCache(out);
    expect(cache.index).toMatchObject({ layout: 'florence15', classes: FLORENCE_CLASSES, benchmark: 'florence-test-s9-10' });
    const { train, test } = cache.index.splits;
    expect(train.samples).toHaveLength(72);
    expect(new Set(test.samples.map((s) => subjectOf(s.name)))).toEqual(new Set(['s9', 's10']));
    const first = cache.sequence('train', train.samples.findIndex((s) => s.name === 'a01_s1_id1'));
    expect(first.label).toBe(0);
    first.data.forEach((x, i) => expect(x).toBeCloseTo(clipValues(3, 15, 1).flat(2)[i], 5));
    const v = trainSubsets(train.samples, { valFraction: 0.25, perClass: 0, seed: 1 });
    expect(v.valSubjects).toHaveLength(2);
    const trainSubjects = new Set(v.train.map((j) => subjectOf(train.samples[j].name)));
    expect(v.valSubjects.some((s) => trainSubjects.has(s) || s === 's9' || s === 's10')).toBe(false);
    // K per class for low-data runs comes from the training subjects only.
    const low = trainSubsets(train.samples, { valFraction: 0.25, perClass: 2, seed: 3 });
    expect(low.train).toHaveLength(18);
  });

  it('refuses a test subject that has no clip', async () => {
    await expect(prepareClips(florenceSpec(root, ['11']), join(tmp(), 'c'), quiet)).rejects.toThrow(new OptionError('testSubjects', '11: no clip has that subject (the clips have 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)'));
  });
});

describe('prepare clips', () => {
  const spec = (root: string, over: Partial<ClipsSpec> = {}): ClipsSpec => ({
    root, pattern: /^(?<label>[a-z]+)-p(?<subject>\d+)-cam(?<view>\d)\.(txt|npy)$/, layout: 'kinect20', splitBy: 'view', testGroups: ['3'], benchmark: 'clips-view', ...over,
  });
  const root = tmp();
  beforeAll(() => {
    let seed = 1;
    for (const label of ['walk', 'sit']) for (const p of [1, 2, 3]) for (const cam of [1, 2, 3]) {
      const values = clipValues(2, 20, seed++);
      const name = `${label}-p${p}-cam${cam}`;
      if (cam === 2) writeFileSync(join(root, `${name}.npy`), npyBytes('<f4', [2, 20, 3], values.flat(2)));
      else writeFileSync(join(root, `${name}.txt`), values.map((f) => f.flat().join(' ')).join('\r\n'));
    }
    writeFileSync(join(root, 'README'), 'not a clip');
  });

  it('takes label, subject and view from the pattern\'s groups, text and .npy alike, split by view; names carry the subject', async () => {
    const out = join(tmp(), 'cache');
    const r = await prepareClips(spec(root), out, quiet);
    expect(r.skipped).toEqual({ 'file name does not match the pattern': 1 });
    const cache = await readCache(out);
    expect(cache.index.classes).toEqual(['label sit', 'label walk']);
    expect(cache.index.splits.test.samples.map((s) => s.name)).toEqual(['s1_sit-p1-cam3', 's2_sit-p2-cam3', 's3_sit-p3-cam3', 's1_walk-p1-cam3', 's2_walk-p2-cam3', 's3_walk-p3-cam3']);
    expect(cache.index.splits.train.samples).toHaveLength(12);
    const npy = cache.index.splits.train.samples.findIndex((s) => s.name === 's2_walk-p2-cam2');
    expect(cache.sequence('train', npy).label).toBe(1);
    expect(Array.from(cache.sequence('train', npy).data)).toEqual(Array.from(Float32Array.from(clipValues(2, 20, 5).flat(2))));
    expect(subjectOf('s2_walk-p2-cam2')).toBe('s2');
  });

  it('class names from a list, in the sorted label order, and their count checked', async () => {
    const out = join(tmp(), 'cache');
    await prepareClips(spec(root, { classes: ['sit down', 'walk'] }), out, quiet);
    expect((await readCache(out)).index.classes).toEqual(['sit down', 'walk']);
    await expect(prepareClips(spec(root, { classes: ['one'] }), join(tmp(), 'c'), quiet)).rejects.toThrow(new OptionError('classes', '1 names, but the clips have 2 labels (sit, walk)'));
  });

  it('refuses a pattern without the groups, one that matches nothing, an empty folder, an empty label, and a clip of the wrong joint count', async () => {
    await expect(prepareClips(spec(root, { pattern: /^(?<subject>\d+)/ }), join(tmp(), 'c'), quiet)).rejects.toThrow(/^pattern: \/\^\(\?<subject>\\d\+\)\/ has no named group \(\?<label>…\)/);
    await expect(prepareClips(spec(root, { pattern: /^(?<label>x)(?<subject>\d)(?<view>\d)$/ }), join(tmp(), 'c'), quiet)).rejects.toThrow(`${root}: none of its 19 files matches the pattern`);
    const empty = tmp();
    await expect(prepareClips(spec(empty), join(tmp(), 'c'), quiet)).rejects.toThrow(new UserError(`${empty}: no files found (expected one clip per file)`));
    await expect(prepareClips(spec(root, { pattern: /^(?<label>[0-9]*)[a-z]+-p(?<subject>\d+)-cam(?<view>\d)\.(txt|npy)$/ }), join(tmp(), 'c'), quiet)).rejects.toThrow(/: the pattern .* matches the name but gives no label \(group "label" is empty\)$/);
    const bad = tmp();
    writeFileSync(join(bad, 'walk-p1-cam1.txt'), clipValues(2, 15, 1).map((f) => f.flat().join(' ')).join('\n'));
    writeFileSync(join(bad, 'walk-p1-cam3.txt'), clipValues(2, 20, 1).map((f) => f.flat().join(' ')).join('\n'));
    await expect(prepareClips(spec(bad), join(tmp(), 'c'), quiet)).rejects.toThrow(`${join(bad, 'walk-p1-cam1.txt')}:1: 45 values; expected one joint per row`);
  });

  it('skips and names a clip with no body, and leaves no cache when nothing trains', async () => {
    const folder = tmp();
    writeFileSync(join(folder, 'walk-p1-cam1.txt'), clipValues(2, 20, 1).map((f) => f.flat().join(' ')).join('\n'));
    writeFileSync(join(folder, 'walk-p1-cam2.txt'), clipValues(2, 20, 1).map((f) => f.map(() => '0 0 0').join(' ')).join('\n'));
    writeFileSync(join(folder, 'walk-p1-cam3.txt'), clipValues(2, 20, 2).map((f) => f.flat().join(' ')).join('\n'));
    const r = await prepareClips(spec(folder), join(tmp(), 'c'), quiet);
    expect(r.skipped).toEqual({ 'no valid frame (every body all zeros): walk-p1-cam2.txt': 1 });
    rmSync(join(folder, 'walk-p1-cam1.txt'));
    rmSync(join(folder, 'walk-p1-cam2.txt'));
    await expect(prepareClips(spec(folder), join(tmp(), 'c'), quiet)).rejects.toThrow(new OptionError('testViews', 'every clip would be a test clip; nothing is left to train on'));
  });
});
