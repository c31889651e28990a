import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { readCache } from '../../trainer/data/cache.ts';
import { trainSubsets, subjectOf } from '../../trainer/data/subsets.ts';
import { UCLA_ACTIONS, prepareUcla, uclaSplitList } from '../../trainer/data/ucla.ts';
import { clipValues, uclaJson } from '../helpers/clip-fixtures.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'ucla-'));
const quiet = { quiet: true };
const train = uclaSplitList('train');
const test = uclaSplitList('test');

describe("NW-UCLA's cross-view lists (the authors' feeder)", () => {
  it('hold 1,020 clips of views 1-2 and 464 of view 3, disjoint, each label the action\'s place among the ten', () => {
    expect(train).toHaveLength(1020);
    expect(test).toHaveLength(464);
    expect(train.every((e) => /_v0[12]$/.test(e.name))).toBe(true);
    expect(test.every((e) => e.name.endsWith('_v03'))).toBe(true);
    expect(new Set([...train, ...test].map((e) => e.name)).size).toBe(1484);
    for (const e of [...train, ...test]) expect(UCLA_ACTIONS[e.label].action).toBe(Number(e.name.slice(1, 3)));
    expect(new Set(train.map((e) => e.label)).size).toBe(10);
  });
});

describe('prepare ucla', () => {
  const root = tmp();
  const clips = join(root, 'all_sqe');
  const frames = (i: number): number => 1 + (i % 4);
  const write = (e: { name: string; label: number }, i: number): void => writeFileSync(join(clips, `${e.name}.json`), uclaJson(e.name, e.label + 1, clipValues(frames(i), 20, i)));
  beforeAll(() => {
    mkdirSync(clips);
    [...train, ...test].forEach(write);
    writeFileSync(join(clips, 'a07_s01_e00_v01.json'), uclaJson('a07_s01_e00_v01', 1, clipValues(2, 20, 0)));
  });

  it('builds the cross-view cache: views 1-2 train, view 3 tests, label = the file\'s label − 1, values as stored', async () => {
    const out = join(tmp(), 'cache');
    const r = await prepareUcla(root, out, quiet);
    expect(r.skipped).toEqual({ "not in the authors' cross-view lists": 1 });
    const cache = await readCache(out);
    expect(cache.index).toMatchObject({ layout: 'kinect20', persons: 1, joints: 20, coords: 3, benchmark: 'nw-ucla-xview', classes: UCLA_ACTIONS.map((a) => a.name) });
    expect(cache.index.splits.train.samples.map((s) => [s.name, s.label])).toEqual(train.map((e) => [e.name, e.label]));
    expect(cache.index.splits.test.samples.map((s) => [s.name, s.label])).toEqual(test.map((e) => [e.name, e.label]));
    const k = 17;
    const stored = cache.sequence('test', k);
    expect(stored.frames).toBe(frames(train.length + k));
    expect(Array.from(stored.data)).toEqual(Array.from(Float32Array.from(clipValues(frames(train.length + k), 20, train.length + k).flat(2))));
    // The folder holding all_sqe/ and all_sqe/ itself are both accepted.
    await prepareUcla(clips, join(tmp(), 'again'), quiet);
    // Validation comes from the training views by subject: both views of one take fall on one side.
    const v = trainSubsets(cache.index.splits.train.samples, { valFraction: 0.2, perClass: 0, seed: 1 });
    expect(v.valSubjects.length).toBeGreaterThan(0);
    const trainTakes = new Set(v.train.map((i) => cache.index.splits.train.samples[i].name.slice(0, 11)));
    expect(v.val.some((i) => trainTakes.has(cache.index.splits.train.samples[i].name.slice(0, 11)))).toBe(false);
    expect(v.val.every((i) => v.valSubjects.includes(subjectOf(cache.index.splits.train.samples[i].name)))).toBe(true);
  });

  it('refuses a missing listed clip, a wrong joint count, a non-number, a label or name that disagrees with the list, and an all-zero clip, naming the file', async () => {
    const e = test[5];
    const path = join(clips, `${e.name}.json`);
    const original = readFileSync(path, 'utf8');
    const attempt = (): Promise<unknown> => prepareUcla(root, join(tmp(), 'c'), quiet);
    try {
      rmSync(path);
      await expect(attempt()).rejects.toThrow(new UserError(`${clips}: 1 clip of the authors' cross-view test list missing: ${e.name}.json`));
      const values = clipValues(3, 20, 1);
      writeFileSync(path, uclaJson(e.name, e.label + 1, values.map((f, t) => (t === 1 ? f.slice(0, 19) : f))));
      await expect(attempt()).rejects.toThrow(new UserError(`${path}: field "skeletons[1]": expected 20 joints (Kinect v1), found 19 entries`));
      writeFileSync(path, original.replace(/\[\[\[[-0-9.e]+/, '[[[null'));
      await expect(attempt()).rejects.toThrow(/: field "skeletons\[0\]\[0\]": expected \[x, y, z\] \(3 finite numbers\), found \[null,/);
      writeFileSync(path, uclaJson(e.name, ((e.label + 1) % 10) + 1, values));
      await expect(attempt()).rejects.toThrow(new UserError(`${path}: field "label": ${((e.label + 1) % 10) + 1}, but the authors' list gives ${e.name} label ${e.label + 1}`));
      writeFileSync(path, uclaJson('a01_s01_e01_v03', e.label + 1, values));
      await expect(attempt()).rejects.toThrow(new UserError(`${path}: field "file_name": expected "${e.name}" (the file's name), found "a01_s01_e01_v03"`));
      writeFileSync(path, uclaJson(e.name, e.label + 1, values.map((f) => f.map(() => [0, 0, 0]))));
      await expect(attempt()).rejects.toThrow(new UserError(`${path}: field "skeletons": every joint of every frame is (0, 0, 0): no body in the clip`));
    } finally {
      writeFileSync(path, original);
    }
    const empty = tmp();
    await expect(prepareUcla(empty, join(tmp(), 'c'), quiet)).rejects.toThrow(new UserError(`${empty}: no .json clips found (expected CTR-GCN's NW-UCLA all_sqe/ folder: aAA_sBB_eCC_vDD.json)`));
  });
});
