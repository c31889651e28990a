/**
 * From motions to a Kinect-like recording: people placed in a room, seen by a tilted depth camera,
 * with tracking noise and the tracker's failures.
 *
 * Camera frame as Kinect v2 reports it: metres, origin at the sensor, y up, z the depth away from the
 * sensor, x to the sensor's left (so the left hand of a person facing the camera has smaller x).
 */
import type { Rng } from '../../../common/rng.ts';
import { NTU25 } from 'cocodiff-runtime/shared/layouts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import type { ActionClass } from './actions.ts';
import type { Subject } from './body.ts';
import { apply, forwardKinematics, rotX, rotY, type Vec3 } from './kinematics.ts';
import { standing } from './posture.ts';

export const FPS = 30;
export const MIN_FRAMES = 40;
export const MAX_FRAMES = 150;
const V = NTU25.joints.length;
/** Joints Kinect loses most often: hands, thumbs, hand tips, wrists, feet, ankles. */
const FRAGILE_JOINTS = [6, 7, 21, 22, 10, 11, 23, 24, 14, 15, 18, 19];

export interface Recording {
  frames: number;
  /** Frame-major [frames][2][25][3], camera frame. */
  data: Float32Array;
}

/**
 * Renders one sample of `action` performed by `subjects` (one per person it needs).
 * Two-person actions face each other across the view; which of them the tracker lists first is random.
 */
export function record(action: ActionClass, subjects: Subject[], rng: Rng): Recording {
  const tempo = subjects[0].tempo * rng.uniform(0.85, 1.15);
  const seconds = rng.uniform(action.seconds[0], action.seconds[1]) / tempo;
  const frames = Math.min(MAX_FRAMES, Math.max(MIN_FRAMES, Math.round(seconds * FPS)));
  // The action starts after a short idle lead-in and may end before the recording does; time warping
  // makes its speed uneven the way people are.
  const start = rng.uniform(0, 0.35);
  const end = rng.uniform(0.65, 1);
  const warp = Math.exp(rng.uniform(-0.5, 0.5));
  const stands = subjects.map((subject) => standing(subject, frames / FPS, rng));
  const motion = action.plan(rng, subjects, stands);

  // Placement: viewpoint yaw ±45°, distance 2.5–3.5 m; the camera stands 0.5 to 2 m high (NTU's
  // setups vary that much) and looks down more the higher it is.
  const view = rng.uniform(-Math.PI / 4, Math.PI / 4);
  const centre: Vec3 = [rng.uniform(-0.4, 0.4), 0, rng.uniform(2.5, 3.5)];
  const cameraHeight = rng.uniform(0.5, 2);
  const camera = rotX(rng.uniform(-0.1, 0.05) - 0.2 * (cameraHeight - 1));
  const gap = rng.uniform(0.85, 1.25);
  const placements = subjects.map((subject, p) => {
    // A single person faces the camera (yaw π turns the body's +z towards the sensor); two people
    // face each other along a line across the view.
    const facing = (subjects.length === 1 ? Math.PI + view : view + (p === 0 ? Math.PI / 2 : -Math.PI / 2)) + 0.35 * rng.normal();
    const turn = rotY(facing);
    const offset: Vec3 = subjects.length === 1 ? [0, 0, 0] : apply(turn, [0, 0, -gap / 2]);
    return { subject, turn, origin: [centre[0] + offset[0], 0, centre[2] + offset[2]] as Vec3 };
  });
  const slots = subjects.length === 2 && rng.next() < 0.5 ? [1, 0] : [0, 1];

  const data = new Float32Array(frames * 2 * V * 3);
  for (let f = 0; f < frames; f++) {
    const sec = f / FPS;
    const u = Math.min(1, Math.max(0, (f / (frames - 1) - start) / (end - start))) ** warp;
    const poses = motion(u, sec);
    poses.forEach((pose, p) => {
      const { subject, turn, origin } = placements[p];
      const joints = forwardKinematics(subject.body, pose);
      for (let v = 0; v < V; v++) {
        const w = apply(turn, joints[v]);
        const cam = apply(camera, [origin[0] + w[0], origin[1] + w[1] - cameraHeight, origin[2] + w[2]]);
        data.set(cam, ((f * 2 + slots[p]) * V + v) * 3);
      }
    });
  }
  sensor(data, frames, subjects.length, rng);
  return { frames, data };
}

/**
 * Kinect's imperfections, in place: jitter (worse at the extremities), joints it loses for a few frames
 * (frozen at their last position when "inferred", or reported as zeros), and rarely a frame where it
 * loses a person altogether.
 */
function sensor(data: Float32Array, frames: number, persons: number, rng: Rng): void {
  const sigma = rng.uniform(0.003, 0.012);
  for (let f = 0; f < frames; f++) {
    for (let p = 0; p < persons; p++) {
      for (let v = 0; v < V; v++) {
        const s = FRAGILE_JOINTS.includes(v) ? 2 * sigma : sigma;
        const at = ((f * 2 + p) * V + v) * 3;
        for (let c = 0; c < 3; c++) data[at + c] += s * rng.normal();
      }
    }
  }
  const episodes = rng.next() < 0.4 ? 1 + rng.int(3) : 0;
  for (let e = 0; e < episodes; e++) {
    const p = rng.int(persons);
    const v = FRAGILE_JOINTS[rng.int(FRAGILE_JOINTS.length)];
    const from = 1 + rng.int(frames - 1);
    const to = Math.min(frames, from + 3 + rng.int(12));
    const frozen = rng.next() < 0.75;
    const held = data.slice(((from - 1) * 2 + p) * V * 3 + v * 3, ((from - 1) * 2 + p) * V * 3 + v * 3 + 3);
    for (let f = from; f < to; f++) data.set(frozen ? held : [0, 0, 0], ((f * 2 + p) * V + v) * 3);
  }
  if (rng.next() < 0.1) {
    const p = rng.int(persons);
    const from = rng.int(frames - 4);
    const lost = 1 + rng.int(3);
    for (let f = from; f < from + lost; f++) data.fill(0, (f * 2 + p) * V * 3, (f * 2 + p + 1) * V * 3);
  }
}

/** A recording as a Sequence of the synthetic dataset. */
export function toSequence(rec: Recording, label: number, name: string): Sequence {
  return { layout: 'ntu25', frames: rec.frames, persons: 2, joints: V, coords: 3, data: rec.data, label, name, source: 'synthetic' };
}
