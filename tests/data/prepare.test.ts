import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareNtu } from '../../trainer/data/prepare.ts';
import { readCache, SPLITS } from '../../trainer/data/cache.ts';
import { validFrames } from '../../trainer/data/preprocess.ts';
import { loadSkeletonFile } from 'cocodiff-runtime/shared/formats/ntu-skeleton';
import { parseNtuName } from 'cocodiff-runtime/shared/formats/ntu-name';
import { ntuClassNames, ntuSplit } from '../../trainer/data/ntu-names.ts';
import { range, skeletonText, swingingBody, writeNtuFolder } from '../helpers/ntu-fixtures.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'prep-'));

describe('prepare ntu', () => {
  // 14 generated samples in a nested folder, plus one on the official missing list and one NTU-120 action.
  const raw = join(tmp(), 'raw');
  const made = writeNtuFolder(join(raw, 'nturgb+d_skeletons'), 14, 3).then((names) => {
    const one = skeletonText(4, [swingingBody('1', range(0, 4), 0, 0.4)]);
    writeFileSync(join(raw, 'S001C002P005R002A008.skeleton'), one); // on the missing-skeleton list
    writeFileSync(join(raw, 'S018C001P008R001A061.skeleton'), one); // NTU-120 action
    writeFileSync(join(raw, 'notes.txt'), 'not a skeleton');
    mkdirSync(join(raw, 'copy'));
    writeFileSync(join(raw, 'copy', `${names[0]}.skeleton`), one); // the same sample twice
    return names;
  });

  it('splits by benchmark, skips missing and out-of-benchmark samples, and stores what the parser reads', async () => {
    const names = await made;
    const out = join(tmp(), 'cache');
    const r = await prepareNtu(raw, 'xsub', out, { threads: 0, quiet: true });
    expect(r.skipped).toEqual({ 'official missing-skeleton list': 1, 'action outside 1..60': 1, 'duplicate file name': 1 });
    const cache = await readCache(out);
    expect(cache.index).toMatchObject({ layout: 'ntu25', persons: 2, joints: 25, coords: 3, benchmark: 'xsub', classes: ntuClassNames(60) });
    const sorted = [...names].sort();
    const expectTrain = sorted.filter((n) => ntuSplit(parseNtuName(n)!, 'xsub') === 'train');
    const expectTest = sorted.filter((n) => ntuSplit(parseNtuName(n)!, 'xsub') === 'test');
    expect(expectTrain.length).toBeGreaterThan(0);
    expect(expectTest.length).toBeGreaterThan(0);
    expect(cache.index.splits.train.samples.map((s) => s.name)).toEqual(expectTrain);
    expect(cache.index.splits.test.samples.map((s) => s.name)).toEqual(expectTest);
    const name = expectTest[0];
    const direct = await loadSkeletonFile(join(raw, 'nturgb+d_skeletons', `${name}.skeleton`));
    const stored = cache.sequence('test', 0);
    expect(stored.label).toBe(parseNtuName(name)!.action - 1);
    expect(stored.frames).toBe(direct.frames);
    expect(stored.data).toEqual(direct.data);
  });

  it('writes the same cache on worker threads as on the main thread', async () => {
    await made;
    const a = join(tmp(), 'a');
    const b = join(tmp(), 'b');
    await prepareNtu(raw, 'xview', a, { threads: 0, quiet: true });
    await prepareNtu(raw, 'xview', b, { threads: 2, quiet: true });
    for (const f of ['index.json', 'train.bin', 'test.bin']) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f)))).toBe(true);
  });

  it('uses all 120 classes and the NTU-120 missing list for xset120, clearing stale partial caches', async () => {
    await made;
    const out = join(tmp(), 'c120');
    // A partial cache left by a run that was killed outright (no process has this pid) is cleared.
    mkdirSync(join(out, '..', '.c120.2147483647.0badc0de.tmp'));
    const r = await prepareNtu(raw, 'xset120', out, { threads: 0, quiet: true });
    expect(readdirSync(join(out, '..'))).toEqual(['c120']);
    expect(r.skipped).toEqual({ 'official missing-skeleton list': 1, 'duplicate file name': 1 });
    expect(r.index.classes).toHaveLength(120);
    expect(r.index.splits.train.samples.map((s) => s.name)).toContain('S018C001P008R001A061');
  });

  it('skips a sample whose only body is all zeros, counting it, so every stored sample has a frame train can use', async () => {
    const zeros = join(tmp(), 'raw');
    const names = await writeNtuFolder(zeros, 6, 5);
    const still = { id: '1', frames: range(0, 8), joint: (): [number, number, number] => [0, 0, 0] };
    writeFileSync(join(zeros, 'S017C003P020R002A059.skeleton'), skeletonText(8, [still]));
    const out = join(tmp(), 'cache');
    const r = await prepareNtu(zeros, 'xsub', out, { threads: 0, quiet: true });
    expect(r.skipped).toEqual({ 'no valid frame (every body all zeros)': 1 });
    const cache = await readCache(out);
    const stored = SPLITS.flatMap((s) => cache.index.splits[s].samples.map((e, i) => ({ s, i, name: e.name })));
    expect(stored.map((e) => e.name).sort()).toEqual([...names].sort());
    // What train does first with each sample: refused on the all-zero one before this change.
    for (const e of stored) expect(validFrames(cache.sequence(e.s, e.i), 2).frames).toBeGreaterThan(0);
  });

  it('refuses an empty folder', async () => {
    const empty = tmp();
    await expect(prepareNtu(empty, 'xsub', join(empty, 'out'), { quiet: true })).rejects.toThrow(`${empty}: no .skeleton files found`);
  });

  it('refuses a folder whose .skeleton files cannot be used, naming it and why each was left out, before any cache is begun (sweep probe P46)', async () => {
    const raw = tmp();
    writeFileSync(join(raw, 'my-recording.skeleton'), skeletonText(3, [swingingBody('1', range(0, 3), 0, 0.1)]));
    writeFileSync(join(raw, 'S001C001P001R001A999.skeleton'), skeletonText(3, [swingingBody('1', range(0, 3), 0, 0.1)]));
    const out = join(raw, '..', `${raw.split('/').pop()}-out`);
    await expect(prepareNtu(raw, 'xsub', out, { quiet: true })).rejects.toThrow(`${raw}: none of its 2 .skeleton files can be cached (skipped: 1 action outside 1..60, 1 name not SsssCcccPpppRrrrAaaa)`);
    expect(existsSync(out)).toBe(false);
  });

  it('leaves no cache and no partial directory when a file is bad, on worker threads too, and keeps an older cache', async () => {
    await made;
    const bad = join(tmp(), 'bad');
    mkdirSync(bad);
    for (const n of readdirSync(join(raw, 'nturgb+d_skeletons')).slice(0, 6)) writeFileSync(join(bad, n), readFileSync(join(raw, 'nturgb+d_skeletons', n)));
    const parent = tmp();
    const out = join(parent, 'cache');
    await prepareNtu(bad, 'xview', out, { threads: 0, quiet: true });
    const before = readFileSync(join(out, 'index.json'));
    const broken = 'S005C001P010R001A020.skeleton';
    writeFileSync(join(bad, broken), skeletonText(5, [swingingBody('1', range(0, 5), 0, 0.4)]).split('\r\n').slice(0, 50).join('\r\n'));
    for (const threads of [0, 2]) {
      await expect(prepareNtu(bad, 'xview', out, { threads, quiet: true, force: true })).rejects.toThrow(new RegExp(`${broken}:51: file ends early`));
      expect(readdirSync(parent)).toEqual(['cache']);
      expect(readFileSync(join(out, 'index.json')).equals(before)).toBe(true);
    }
    const fresh = join(parent, 'fresh');
    await expect(prepareNtu(bad, 'xview', fresh, { threads: 2, quiet: true })).rejects.toThrow(/file ends early/);
    expect(existsSync(fresh)).toBe(false);
    expect(readdirSync(parent)).toEqual(['cache']);
  });

  it('stops on an abort (what Ctrl-C triggers) part-way through, leaving no cache and no partial directory', async () => {
    await made;
    const parent = tmp();
    const out = join(parent, 'cache');
    const stop = new AbortController();
    // Abort as soon as the partial cache exists, i.e. while files are being parsed and written.
    const poll = setInterval(() => {
      if (readdirSync(parent).some((n) => n.endsWith('.tmp'))) stop.abort();
    }, 1);
    try {
      await expect(prepareNtu(raw, 'xsub', out, { threads: 2, quiet: true, signal: stop.signal })).rejects.toThrow(`interrupted: no cache written at ${out}`);
    } finally {
      clearInterval(poll);
    }
    expect(stop.signal.aborted).toBe(true);
    expect(readdirSync(parent)).toEqual([]);
  });
});
