/**
 * Kinetics-Skeleton, the ST-GCN release: one JSON per video,
 *
 *   { "data": [ { "frame_index": 1, "skeleton": [ { "pose": [x0, y0, …, x17, y17], "score": [s0 … s17] }, … ] }, … ],
 *     "label": "abseiling", "label_index": 0 }
 *
 * and per split a label file mapping video id → { has_skeleton, label, label_index } (read by the trainer,
 * trainer/data/kinetics.ts). OpenPose-18 joints, coordinates normalised to [0, 1], plus the detector's
 * score per joint.
 */
import { readInputText } from './read-input.ts';
import { basename } from 'node:path';
import { atField } from '../errors.ts';
import { OPENPOSE18 } from '../layouts.ts';
import type { Sequence } from '../sequence.ts';
import { parseJson } from '../json-fields.ts';

const JOINTS = OPENPOSE18.joints.length;
/** ST-GCN's feeder reads frames 0..299 and the first 5 skeletons of each frame, and keeps 2. */
export const KINETICS_MAX_FRAMES = 300;
const PERSONS_IN = 5;
export const KINETICS_PERSONS = 2;

/**
 * Parses one video's JSON. Frames come in frame_index order (indices ≥ 300 are dropped, and a
 * repeated index overwrites the earlier one, as ST-GCN's feeder does). In each frame the skeletons
 * are ranked by their total joint score and the best 2 fill slots 0 and 1 — ST-GCN sorts per frame,
 * so slot 0 is "the most confident person of this frame". Frames without a skeleton are dropped.
 */
export function parseKineticsJson(text: string, file: string, classes = 400): Sequence {
  const doc = parseJson(text, file) as { data?: unknown; label_index?: unknown };
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.data)) throw atField(file, 'data', 'expected an array of frames');
  const byIndex = new Map<number, Float32Array>();
  doc.data.forEach((frame: unknown, fi: number) => {
    const where = `data[${fi}]`;
    const fr = frame as { frame_index?: unknown; skeleton?: unknown };
    if (!fr || typeof fr !== 'object') throw atField(file, where, 'expected an object { frame_index, skeleton }');
    const t = fr.frame_index;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw atField(file, `${where}.frame_index`, `expected a non-negative integer, found ${JSON.stringify(t)}`);
    if (!Array.isArray(fr.skeleton)) throw atField(file, `${where}.skeleton`, 'expected an array of skeletons');
    const people = fr.skeleton.slice(0, PERSONS_IN).map((sk: unknown, m: number) => {
      const s = sk as { pose?: unknown; score?: unknown };
      const pose = s?.pose;
      const score = s?.score;
      if (!Array.isArray(pose) || pose.length !== 2 * JOINTS) throw atField(file, `${where}.skeleton[${m}].pose`, `expected ${2 * JOINTS} numbers (x, y of 18 joints), found ${Array.isArray(pose) ? pose.length : typeof pose}`);
      if (!Array.isArray(score) || score.length !== JOINTS) throw atField(file, `${where}.skeleton[${m}].score`, `expected ${JOINTS} numbers, found ${Array.isArray(score) ? score.length : typeof score}`);
      const xys = new Float32Array(JOINTS * 3);
      let total = 0;
      for (let v = 0; v < JOINTS; v++) {
        const vals = [pose[2 * v], pose[2 * v + 1], score[v]];
        vals.forEach((x, c) => {
          // Checked as the float32 it becomes: 1e39 is a finite double but Infinity as a float32.
          if (typeof x !== 'number' || !Number.isFinite(Math.fround(x))) throw atField(file, `${where}.skeleton[${m}].${c < 2 ? 'pose' : 'score'}[${c < 2 ? 2 * v + c : v}]`, `expected a finite float32 number, found ${JSON.stringify(x)}`);
          xys[v * 3 + c] = x;
        });
        total += score[v];
      }
      return { xys, total, m };
    });
    if (t >= KINETICS_MAX_FRAMES) return;
    if (people.length === 0) { byIndex.delete(t); return; }
    people.sort((a, b) => b.total - a.total || a.m - b.m);
    const out = new Float32Array(KINETICS_PERSONS * JOINTS * 3);
    people.slice(0, KINETICS_PERSONS).forEach((p, slot) => out.set(p.xys, slot * JOINTS * 3));
    byIndex.set(t, out);
  });
  const order = [...byIndex.keys()].sort((a, b) => a - b);
  if (order.length === 0) throw atField(file, 'data', 'no frame holds a skeleton');
  const data = new Float32Array(order.length * KINETICS_PERSONS * JOINTS * 3);
  order.forEach((t, i) => data.set(byIndex.get(t)!, i * KINETICS_PERSONS * JOINTS * 3));
  let label: number | undefined;
  if (doc.label_index !== undefined) {
    const li = doc.label_index;
    if (typeof li !== 'number' || !Number.isInteger(li) || li < 0 || li >= classes) throw atField(file, 'label_index', `expected an integer in 0..${classes - 1}, found ${JSON.stringify(li)}`);
    label = li;
  }
  return {
    layout: 'openpose18', frames: order.length, persons: KINETICS_PERSONS, joints: JOINTS, coords: 3, data,
    ...(label !== undefined ? { label } : {}),
    name: basename(file).replace(/\.json$/, ''), source: file,
  };
}

export async function loadKineticsJson(path: string): Promise<Sequence> {
  return parseKineticsJson(await readInputText(path, 'the Kinetics-Skeleton JSON'), path);
}
