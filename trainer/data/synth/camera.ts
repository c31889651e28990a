/**
 * The synthetic scenes as a pose estimator sees them through an ordinary camera: the 3D people of
 * scene.ts projected by a pinhole camera at the depth sensor's place into a 1920×1080 image, as
 * COCO-17 keypoints (x, y in pixels, y down; score in [0, 1]) with an estimator's habits:
 * pixel noise that grows at the wrists and ankles, joints it misses (x = y = score = 0), face points
 * hidden when the head is turned away, joints outside the image, and frames where it misses a
 * person altogether.
 *
 * NTU-25 has no face: nose, eyes and ears are placed on the head from the body's facing direction
 * (the normal of the shoulder line and the neck-to-head axis), so they turn with the trunk, not
 * with the head on its own. The other twelve COCO joints are NTU's joints of the same names.
 */
import type { Rng } from '../../../common/rng.ts';
import { COCO17, NTU25 } from 'cocodiff-runtime/shared/layouts';
import { CAMERA_MODEL_WIDTH } from 'cocodiff-runtime/shared/camera-image';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import type { Recording } from './scene.ts';

/** The pinhole camera: image size and focal length in pixels (about 82° across, a webcam's field of view). */
export const CAMERA = { width: CAMERA_MODEL_WIDTH, height: 1080, focal: 1100 } as const;

const V_IN = NTU25.joints.length;
const V_OUT = COCO17.joints.length;
const at = (name: string): number => NTU25.joints.indexOf(name);
/** COCO joints copied from the NTU joint of the same name (the face comes from the head). */
const BODY_JOINTS = COCO17.joints.map((name) => (NTU25.joints.includes(name) ? at(name) : -1));
const EXTREMITIES = new Set(['left_wrist', 'right_wrist', 'left_ankle', 'right_ankle'].map((n) => COCO17.joints.indexOf(n)));

type Vec3 = [number, number, number];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: Vec3, ...terms: Array<[number, Vec3]>): Vec3 => terms.reduce<Vec3>((p, [k, v]) => [p[0] + k * v[0], p[1] + k * v[1], p[2] + k * v[2]], a);
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: Vec3): Vec3 => {
  const n = Math.hypot(...a) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};

/**
 * Pixel coordinates of a point in the depth sensor's frame (metres; x to the sensor's left, y up,
 * z away from it): u grows to the image's right, v downwards. Null behind the camera.
 */
export function project(p: Vec3): [number, number] | null {
  if (p[2] <= 0.05) return null;
  return [CAMERA.width / 2 - (CAMERA.focal * p[0]) / p[2], CAMERA.height / 2 - (CAMERA.focal * p[1]) / p[2]];
}

const inImage = ([u, v]: [number, number]): boolean => u >= 0 && u <= CAMERA.width && v >= 0 && v <= CAMERA.height;

/**
 * One person's 17 COCO joints in 3D from their 25 NTU joints, with whether the camera (at the
 * origin) can see each face point.
 */
export function cocoJoints3d(ntu: Float32Array): { joints: Vec3[]; visible: boolean[] } {
  const j = (v: number): Vec3 => [ntu[v * 3], ntu[v * 3 + 1], ntu[v * 3 + 2]];
  const head = j(at('head'));
  const up = unit(sub(head, j(at('neck'))));
  const left = unit(sub(j(at('left_shoulder')), j(at('right_shoulder'))));
  // For a person facing the sensor, left is −x and up +y, so left × up is −z: towards the sensor.
  const forward = unit(cross(left, up));
  const toCamera = unit([-head[0], -head[1], -head[2]]);
  const facing = dot(forward, toCamera);
  const face: Record<string, { point: Vec3; visible: boolean }> = {
    nose: { point: add(head, [0.09, forward], [-0.03, up]), visible: facing > -0.2 },
    left_eye: { point: add(head, [0.07, forward], [0.02, up], [0.032, left]), visible: facing > -0.1 },
    right_eye: { point: add(head, [0.07, forward], [0.02, up], [-0.032, left]), visible: facing > -0.1 },
    left_ear: { point: add(head, [0.075, left]), visible: dot(left, toCamera) > -0.6 },
    right_ear: { point: add(head, [-0.075, left]), visible: dot(left, toCamera) < 0.6 },
  };
  const joints: Vec3[] = [];
  const visible: boolean[] = [];
  COCO17.joints.forEach((name, v) => {
    if (BODY_JOINTS[v] >= 0) {
      joints.push(j(BODY_JOINTS[v]));
      visible.push(true);
    } else {
      joints.push(face[name].point);
      visible.push(face[name].visible);
    }
  });
  return { joints, visible };
}

/**
 * The recording as a pose estimator would report it from the camera's image: [frames][2][17][3]
 * (x, y pixels, score). A person slot empty in the depth recording stays empty; joints the sensor
 * lost (zeros) are missed by the estimator too.
 */
export function cameraRecording(rec: Recording, rng: Rng): Recording {
  const data = new Float32Array(rec.frames * 2 * V_OUT * 3);
  // Per recording: how sharp the estimator is on this video (pixels of noise per metre of body height).
  const sharpness = rng.uniform(0.004, 0.012);
  const missRate = rng.uniform(0.005, 0.03);
  for (let f = 0; f < rec.frames; f++) {
    for (let p = 0; p < 2; p++) {
      const from = (f * 2 + p) * V_IN * 3;
      const person = rec.data.subarray(from, from + V_IN * 3);
      if (!person.some((x) => x !== 0) || rng.next() < 0.01) continue; // nobody there, or missed in this frame
      const { joints, visible } = cocoJoints3d(person);
      const pixels = joints.map(project);
      const ys = pixels.filter((q): q is [number, number] => q !== null).map((q) => q[1]);
      const height = ys.length ? Math.max(...ys) - Math.min(...ys) : 0;
      for (let v = 0; v < V_OUT; v++) {
        const q = pixels[v];
        const source = BODY_JOINTS[v] >= 0 ? person.subarray(BODY_JOINTS[v] * 3, BODY_JOINTS[v] * 3 + 3) : null;
        const lost = source !== null && source.every((x) => x === 0);
        const extremity = EXTREMITIES.has(v);
        if (q === null || !inImage(q) || lost || !visible[v] || rng.next() < (extremity ? 3 : 1) * missRate) continue;
        const sigma = sharpness * height * (extremity ? 2 : 1);
        const out = ((f * 2 + p) * V_OUT + v) * 3;
        data[out] = q[0] + sigma * rng.normal();
        data[out + 1] = q[1] + sigma * rng.normal();
        data[out + 2] = Math.min(1, Math.max(0.05, (extremity ? 0.75 : 0.9) + 0.08 * rng.normal()));
      }
    }
  }
  return { frames: rec.frames, data };
}

/** A camera recording as a Sequence of the synthetic dataset's camera variant (COCO-17). */
export function toCameraSequence(rec: Recording, label: number, name: string): Sequence {
  return { layout: 'coco17', frames: rec.frames, persons: 2, joints: V_OUT, coords: 3, data: rec.data, label, name, source: 'synthetic camera' };
}
