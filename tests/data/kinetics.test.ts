import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKineticsJson, parseKineticsJson } from 'cocodiff-runtime/shared/formats/kinetics';
import { kineticsClassNames } from '../../trainer/data/kinetics.ts';
import { prepareKinetics } from '../../trainer/data/prepare.ts';
import { readCache } from '../../trainer/data/cache.ts';

/** One OpenPose skeleton: joint v at (base + v/100, base + v/50), every joint scored `score`. */
function skel(base: number, score: number): { pose: number[]; score: number[] } {
  return {
    pose: Array.from({ length: 18 }, (_, v) => [base + v / 100, base + v / 50]).flat(),
    score: new Array(18).fill(score),
  };
}

function video(frames: Array<{ frame_index: number; skeleton: ReturnType<typeof skel>[] }>, label_index = 2): string {
  return JSON.stringify({ data: frames, label: kineticsClassNames()[label_index], label_index });
}

/** x, y, score of person slot m, joint v at sequence frame t. */
function at(seq: { data: Float32Array }, t: number, m: number, v: number): number[] {
  const o = ((t * 2 + m) * 18 + v) * 3;
  return Array.from(seq.data.subarray(o, o + 3));
}

describe('Kinetics-Skeleton JSON', () => {
  it('orders frames by frame_index, keeps the 2 best-scored persons per frame and drops empty frames', () => {
    const seq = parseKineticsJson(video([
      { frame_index: 3, skeleton: [skel(0.1, 0.2), skel(0.5, 0.9), skel(0.3, 0.5)] },
      { frame_index: 1, skeleton: [skel(0.2, 0.7)] },
      { frame_index: 2, skeleton: [] },
      { frame_index: 300, skeleton: [skel(0.4, 1)] }, // beyond ST-GCN's 300-frame window
    ]), 'v.json');
    expect(seq).toMatchObject({ layout: 'openpose18', frames: 2, persons: 2, joints: 18, coords: 3, label: 2, name: 'v' });
    expect(at(seq, 0, 0, 5)).toEqual([0.25, 0.3, 0.7].map(Math.fround));
    expect(at(seq, 0, 1, 5)).toEqual([0, 0, 0]);
    expect(at(seq, 1, 0, 0)).toEqual([0.5, 0.5, 0.9].map(Math.fround)); // highest score first
    expect(at(seq, 1, 1, 17)).toEqual([0.47, 0.64, 0.5].map(Math.fround)); // then the second; the 0.2 one is dropped
  });

  it('names the JSON field that is wrong', () => {
    const short = { ...skel(0.1, 0.5), pose: new Array(35).fill(0) };
    expect(() => parseKineticsJson(video([{ frame_index: 0, skeleton: [short] }]), 'a.json')).toThrow('a.json: field "data[0].skeleton[0].pose": expected 36 numbers (x, y of 18 joints), found 35');
    const nan = skel(0.1, 0.5);
    (nan.score as unknown[])[4] = null;
    expect(() => parseKineticsJson(video([{ frame_index: 0, skeleton: [skel(0, 1)] }, { frame_index: 1, skeleton: [nan] }]), 'b.json')).toThrow('b.json: field "data[1].skeleton[0].score[4]": expected a finite float32 number, found null');
    const huge = skel(0.1, 0.5);
    huge.pose[3] = 3.5e38; // finite as a double, Infinity as a float32
    expect(() => parseKineticsJson(video([{ frame_index: 0, skeleton: [huge] }]), 'f.json')).toThrow('f.json: field "data[0].skeleton[0].pose[3]": expected a finite float32 number, found 3.5e+38');
    expect(() => parseKineticsJson(video([{ frame_index: 0, skeleton: [skel(0, 1)] }], 400), 'c.json')).toThrow('c.json: field "label_index": expected an integer in 0..399, found 400');
    expect(() => parseKineticsJson('{"data": [', 'd.json')).toThrow(/^d\.json: not valid JSON/);
    expect(() => parseKineticsJson(video([{ frame_index: 0, skeleton: [] }]), 'e.json')).toThrow('e.json: field "data": no frame holds a skeleton');
  });

  it('loads a file from disk', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kin-')), '--07WQ2iBlw.json');
    writeFileSync(path, video([{ frame_index: 0, skeleton: [skel(0.3, 0.6)] }], 7));
    expect(await loadKineticsJson(path)).toMatchObject({ name: '--07WQ2iBlw', label: 7, frames: 1 });
  });
});

describe('prepare kinetics', () => {
  function release(): string {
    const root = mkdtempSync(join(tmpdir(), 'kin-'));
    for (const [folder, ids] of [['kinetics_train', ['a', 'b', 'c']], ['kinetics_val', ['d', 'e']]] as const) {
      mkdirSync(join(root, folder));
      const labels: Record<string, unknown> = {};
      ids.forEach((id, i) => {
        const li = (i * 37 + id.charCodeAt(0)) % 400;
        const empty = id === 'b';
        labels[id] = { has_skeleton: !empty, label: kineticsClassNames()[li], label_index: li };
        writeFileSync(join(root, folder, `${id}.json`), video(empty ? [] : [
          { frame_index: 0, skeleton: [skel(0.1, 0.4), skel(0.6, 0.8)] },
          { frame_index: 1, skeleton: [skel(0.2, 0.5)] },
        ], li));
      });
      writeFileSync(join(root, `${folder}_label.json`), JSON.stringify(labels));
    }
    return root;
  }

  it('writes train from kinetics_train and test from kinetics_val, skipping has_skeleton false', async () => {
    const root = release();
    const r = await prepareKinetics(root, join(root, 'cache'), { threads: 0, quiet: true });
    expect(r.skipped).toEqual({ 'has_skeleton false': 1 });
    const cache = await readCache(join(root, 'cache'));
    expect(cache.index).toMatchObject({ layout: 'openpose18', persons: 2, joints: 18, coords: 3, benchmark: 'kinetics' });
    expect(cache.index.classes).toEqual(kineticsClassNames());
    expect(cache.index.splits.train.samples.map((s) => [s.name, s.label, s.frames])).toEqual([['a', 97, 2], ['c', 173, 2]]);
    expect(cache.index.splits.test.samples.map((s) => [s.name, s.label])).toEqual([['d', 100], ['e', 138]]);
    expect(at(cache.sequence('test', 0), 0, 0, 0)).toEqual([0.6, 0.6, 0.8].map(Math.fround));
  });

  it('refuses a split where no video is usable (a label file that matches nothing), leaving no cache', async () => {
    const root = release();
    writeFileSync(join(root, 'kinetics_train_label.json'), JSON.stringify({ zzz: { has_skeleton: true, label: 'x', label_index: 1 } }));
    await expect(prepareKinetics(root, join(root, 'cache'), { threads: 0, quiet: true })).rejects.toThrow(`${join(root, 'kinetics_train')}: none of its 3 videos is usable (3 not in ${join(root, 'kinetics_train_label.json')}, 0 with has_skeleton false); no cache written`);
    expect(existsSync(join(root, 'cache'))).toBe(false);
  });

  it('rejects a label index out of range in the label file, leaving no cache', async () => {
    const root = release();
    writeFileSync(join(root, 'kinetics_val_label.json'), JSON.stringify({ d: { has_skeleton: true, label: 'x', label_index: -1 } }));
    await expect(prepareKinetics(root, join(root, 'cache'), { threads: 0, quiet: true })).rejects.toThrow(`${join(root, 'kinetics_val_label.json')}: field "d.label_index": expected an integer in 0..399, found -1`);
    expect(existsSync(join(root, 'cache'))).toBe(false);
  });
});
