/**
 * NW-UCLA (Northwestern-UCLA Multiview Action3D) as the CTR-GCN authors distribute it: `all_sqe/`,
 * one JSON per clip, `{file_name, skeletons[T][20][3], label}`, Kinect v1 joints (kinect20) in
 * metres, names `aAA_sBB_eCC_vDD` (action, subject, take, view). The cross-view protocol is the
 * authors' feeder's two lists (reference/nw_ucla_{train,val}.txt): views 1-2 train (1,020 clips),
 * view 3 tests (464). Class k is the authors' label k + 1; the ten actions are numbered 1-6, 8, 9, 11, 12.
 */
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError, atField } from 'cocodiff-runtime/shared/errors';
import { parseJson } from 'cocodiff-runtime/shared/json-fields';
import { KINECT20 } from 'cocodiff-runtime/shared/layouts';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';
import { progress } from '../../common/progress.ts';
import type { SplitName } from './cache.ts';
import { bump, checkOut, listFiles, writeCache, type PrepareOptions, type PrepareReport } from './prepare.ts';

/** The ten actions in the authors' label order (Wang et al., CVPR 2014), with their aAA numbers. */
export const UCLA_ACTIONS: ReadonlyArray<{ action: number; name: string }> = [
  { action: 1, name: 'pick up with one hand' }, { action: 2, name: 'pick up with two hands' },
  { action: 3, name: 'drop trash' }, { action: 4, name: 'walk around' }, { action: 5, name: 'sit down' },
  { action: 6, name: 'stand up' }, { action: 8, name: 'donning' }, { action: 9, name: 'doffing' },
  { action: 11, name: 'throw' }, { action: 12, name: 'carry' },
];

export interface UclaListEntry {
  name: string;
  /** 0-based class (the authors' label − 1). */
  label: number;
}

/** The authors' cross-view list of a split: train = views 1 and 2, test = view 3 (their "val"). */
export function uclaSplitList(split: SplitName): UclaListEntry[] {
  const file = split === 'train' ? 'nw_ucla_train.txt' : 'nw_ucla_val.txt';
  return readFileSync(new URL(`./reference/${file}`, import.meta.url), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '').map((line) => {
    const [name, label] = line.trim().split(/\s+/);
    return { name, label: Number(label) - 1 };
  });
}

/** One clip's skeletons as a frame-major (T × 20 × 3) array, every field checked. */
export async function readUclaClip(path: string): Promise<{ fileName: string; label: number; frames: number; data: Float32Array }> {
  const doc = parseJson(await readInputText(path, 'the NW-UCLA clip'), path) as Record<string, unknown>;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new UserError(`${path}: expected a JSON object {file_name, skeletons, label}`);
  const { file_name: fileName, skeletons, label } = doc;
  if (typeof fileName !== 'string') throw atField(path, 'file_name', `expected the clip's name, found ${JSON.stringify(fileName)}`);
  if (!Number.isInteger(label) || (label as number) < 1 || (label as number) > UCLA_ACTIONS.length) throw atField(path, 'label', `expected an integer in 1..${UCLA_ACTIONS.length}, found ${JSON.stringify(label)}`);
  if (!Array.isArray(skeletons) || skeletons.length === 0) throw atField(path, 'skeletons', 'expected a non-empty list of frames');
  const V = KINECT20.joints.length;
  const data = new Float32Array(skeletons.length * V * 3);
  skeletons.forEach((frame: unknown, t) => {
    if (!Array.isArray(frame) || frame.length !== V) throw atField(path, `skeletons[${t}]`, `expected ${V} joints (Kinect v1), found ${Array.isArray(frame) ? `${frame.length} entries` : JSON.stringify(frame)}`);
    frame.forEach((joint: unknown, v) => {
      if (!Array.isArray(joint) || joint.length !== 3 || !joint.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw atField(path, `skeletons[${t}][${v}]`, `expected [x, y, z] (3 finite numbers), found ${JSON.stringify(joint)}`);
      }
      data.set(joint as number[], (t * V + v) * 3);
    });
  });
  if (data.every((x) => x === 0)) throw atField(path, 'skeletons', 'every joint of every frame is (0, 0, 0): no body in the clip');
  return { fileName, label: (label as number) - 1, frames: skeletons.length, data };
}

/** Where the clips are: `root/all_sqe/`, or `root` itself when it holds them. */
async function clipFolder(root: string): Promise<string> {
  const inner = join(root, 'all_sqe');
  return (await stat(inner).catch(() => null))?.isDirectory() ? inner : root;
}

export async function prepareUcla(root: string, out: string, opts: PrepareOptions = {}): Promise<PrepareReport> {
  const start = Date.now();
  await checkOut(out, opts, [root]);
  const dir = await clipFolder(root);
  const files = await listFiles(dir, '.json');
  if (files.length === 0) throw new UserError(`${dir}: no .json clips found (expected CTR-GCN's NW-UCLA all_sqe/ folder: aAA_sBB_eCC_vDD.json)`);
  const have = new Map(files.map((f) => [basename(f, '.json'), f]));
  const lists = { train: uclaSplitList('train'), test: uclaSplitList('test') };
  const listed = new Set([...lists.train, ...lists.test].map((e) => e.name));
  const skipped: Record<string, number> = {};
  for (const name of have.keys()) if (!listed.has(name)) bump(skipped, "not in the authors' cross-view lists");
  for (const split of ['train', 'test'] as const) {
    const missing = lists[split].filter((e) => !have.has(e.name)).map((e) => e.name);
    if (missing.length > 0) {
      throw new UserError(`${dir}: ${missing.length} clip${missing.length > 1 ? 's' : ''} of the authors' cross-view ${split} list missing: ${missing.slice(0, 5).map((n) => `${n}.json`).join(', ')}${missing.length > 5 ? ', …' : ''}`);
    }
  }
  const total = lists.train.length + lists.test.length;
  const index = await writeCache(out, {
    layout: 'kinect20', persons: 1, joints: KINECT20.joints.length, coords: 3,
    classes: UCLA_ACTIONS.map((a) => a.name), benchmark: 'nw-ucla-xview', source: root,
  }, opts, [root], async (w, check) => {
    const bar = opts.quiet ? null : progress('prepare ucla', total);
    let done = 0;
    try {
      for (const split of ['train', 'test'] as const) {
        for (const entry of lists[split]) {
          check();
          const path = have.get(entry.name)!;
          const clip = await readUclaClip(path);
          if (clip.fileName !== entry.name) throw atField(path, 'file_name', `expected "${entry.name}" (the file's name), found "${clip.fileName}"`);
          if (clip.label !== entry.label) throw atField(path, 'label', `${clip.label + 1}, but the authors' list gives ${entry.name} label ${entry.label + 1}`);
          await w.add(split, { layout: 'kinect20', frames: clip.frames, persons: 1, joints: KINECT20.joints.length, coords: 3, data: clip.data, label: clip.label, name: entry.name, source: path });
          bar?.update(++done);
        }
      }
    } finally {
      bar?.stop();
    }
  });
  return { index, skipped, seconds: (Date.now() - start) / 1000 };
}
