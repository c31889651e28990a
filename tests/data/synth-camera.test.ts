/**
 * The synthetic scenes through an ordinary camera (trainer/data/synth/camera.ts): the pinhole
 * projection, the face placed on the head from the body's facing, COCO-17 recordings in pixels
 * with scores and missed joints, the same scenes as the depth recordings, and the cache it writes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COCO17, NTU25 } from 'cocodiff-runtime/shared/layouts';
import { readCache } from '../../trainer/data/cache.ts';
import { CAMERA, cocoJoints3d, project } from '../../trainer/data/synth/camera.ts';
import { synthesize, writeSyntheticDataset } from '../../trainer/data/synth/index.ts';
import * as synthCommand from '../../cli/commands/synth.ts';
import { runCli } from '../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-synth-camera-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const coco = (name: string): number => COCO17.joints.indexOf(name);

/** An upright NTU-25 person 3 m in front of the sensor; `facing` +1 towards it, −1 away (left and right swapped). */
function person(facing: 1 | -1): Float32Array {
  const joints: Record<string, [number, number, number]> = {
    head: [0, 0.7, 3], neck: [0, 0.5, 3], left_shoulder: [-0.2 * facing, 0.45, 3], right_shoulder: [0.2 * facing, 0.45, 3],
    left_elbow: [-0.25 * facing, 0.2, 3], right_elbow: [0.25 * facing, 0.2, 3], left_wrist: [-0.25 * facing, 0, 3], right_wrist: [0.25 * facing, 0, 3],
    left_hip: [-0.1 * facing, -0.1, 3], right_hip: [0.1 * facing, -0.1, 3], left_knee: [-0.1 * facing, -0.5, 3], right_knee: [0.1 * facing, -0.5, 3],
    left_ankle: [-0.1 * facing, -0.9, 3], right_ankle: [0.1 * facing, -0.9, 3],
  };
  const data = new Float32Array(NTU25.joints.length * 3);
  NTU25.joints.forEach((name, v) => data.set(joints[name] ?? [0, 0.2, 3], v * 3));
  return data;
}

describe('the camera', () => {
  it('projects the sensor frame (x to its left, y up) into pixels (x right, y down)', () => {
    expect(project([0, 0, 2])).toEqual([CAMERA.width / 2, CAMERA.height / 2]);
    const [u, v] = project([0.5, 0.2, 2])!;
    expect(u).toBeCloseTo(CAMERA.width / 2 - (CAMERA.focal * 0.5) / 2, 6);
    expect(v).toBeCloseTo(CAMERA.height / 2 - (CAMERA.focal * 0.2) / 2, 6);
    expect(project([0, 0, -1])).toBeNull();
  });

  it("puts the face on the side the body faces, and hides it when the person turns away", () => {
    const front = cocoJoints3d(person(1));
    const nose = front.joints[coco('nose')];
    expect(nose[2]).toBeLessThan(3); // towards the sensor
    expect(front.visible.every(Boolean)).toBe(true);
    // Facing the camera, the person's left is the image's right: a larger u than their right.
    const u = (name: string): number => project(front.joints[coco(name)])![0];
    expect(u('left_shoulder')).toBeGreaterThan(u('right_shoulder'));
    expect(u('left_eye')).toBeGreaterThan(u('right_eye'));
    expect(project(nose)![1]).toBeLessThan(project(front.joints[coco('left_shoulder')])![1]);
    const back = cocoJoints3d(person(-1));
    expect(back.joints[coco('nose')][2]).toBeGreaterThan(3);
    for (const name of ['nose', 'left_eye', 'right_eye']) expect(back.visible[coco(name)], name).toBe(false);
    expect(back.visible[coco('left_ear')] && back.visible[coco('right_ear')]).toBe(true);
  });
});

describe('camera recordings', () => {
  const opts = { perClass: 3, classes: 3, seed: 4 };
  const depth = [...synthesize(opts)];
  const camera = [...synthesize({ ...opts, camera: true })];

  it('are COCO-17 in pixels with scores, of the same scenes as the depth recordings, the same for a seed', () => {
    expect(camera).toHaveLength(depth.length);
    camera.forEach((s, i) => {
      expect(s.sequence).toMatchObject({ layout: 'coco17', joints: 17, persons: 2, coords: 3, frames: depth[i].sequence.frames, name: depth[i].sequence.name, label: depth[i].sequence.label });
      expect(s.subjects).toEqual(depth[i].subjects);
    });
    const again = [...synthesize({ ...opts, camera: true })];
    expect(again.map((s) => Buffer.from(s.sequence.data.buffer).toString('base64'))).toEqual(camera.map((s) => Buffer.from(s.sequence.data.buffer).toString('base64')));
  });

  it('hold joints seen (inside the image, score in (0, 1]) or missed (all zeros), some of each', () => {
    let seen = 0;
    let missed = 0;
    for (const { sequence: s } of camera) {
      for (let i = 0; i < s.data.length; i += 3) {
        const [x, y, score] = s.data.subarray(i, i + 3);
        if (x === 0 && y === 0 && score === 0) {
          missed++;
          continue;
        }
        seen++;
        expect(score).toBeGreaterThan(0);
        expect(score).toBeLessThanOrEqual(1);
        expect(x).toBeGreaterThan(-200);
        expect(x).toBeLessThan(CAMERA.width + 200);
        expect(y).toBeGreaterThan(-200);
        expect(y).toBeLessThan(CAMERA.height + 200);
      }
    }
    expect(seen).toBeGreaterThan(1000);
    expect(missed).toBeGreaterThan(0);
  });

  it('show one person facing the camera mostly with their left shoulder on the image right', () => {
    let right = 0;
    let frames = 0;
    for (const { sequence: s } of camera.filter((c) => c.subjects.length === 1)) {
      for (let f = 0; f < s.frames; f++) {
        const at = (v: number): number => (f * 2 * 17 + v) * 3;
        const l = s.data.subarray(at(coco('left_shoulder')), at(coco('left_shoulder')) + 3);
        const r = s.data.subarray(at(coco('right_shoulder')), at(coco('right_shoulder')) + 3);
        if (l[2] === 0 || r[2] === 0) continue;
        frames++;
        right += Number(l[0] > r[0]);
      }
    }
    expect(frames).toBeGreaterThan(50);
    expect(right / frames).toBeGreaterThan(0.8);
  });

  it('make a COCO-17 dataset cache, from the API and from `cocodiff synth --camera`', async () => {
    const index = await writeSyntheticDataset(join(dir, 'cache'), { ...opts, camera: true });
    expect(index).toMatchObject({ layout: 'coco17', joints: 17, persons: 2, coords: 3 });
    const cache = await readCache(join(dir, 'cache'));
    expect(cache.sequence('train', 0).layout).toBe('coco17');
    expect(cache.sequence('train', 0).data).toEqual(camera.find((c) => c.split === 'train')!.sequence.data);
    await runCli([synthCommand], 'synth', '--camera', '--out', join(dir, 'cli'), '--classes', '3', '--per-class', '3', '--seed', '4');
    const fromCli = await readCache(join(dir, 'cli'));
    expect(fromCli.index.layout).toBe('coco17');
    expect(fromCli.sequence('test', 0).data).toEqual(cache.sequence('test', 0).data);
  });
});
