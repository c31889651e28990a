/**
 * Forward kinematics of a Kinect v2 skeleton (NTU-25 joints) from joint angles.
 *
 * Body frame: metres, y up, ground at y = 0, the person facing +z with their left on +x (right-handed).
 * Each segment's orientation is its parent's rotation times the joint's own rotations, and each child
 * joint sits at its parent plus that rotation applied to the segment's rest vector, so bone lengths
 * are exactly the subject's. The pelvis height is solved so the lower foot rests on the ground, and
 * the pelvis shifts so that foot stays where it was planted: squats and sitting move the hips back,
 * as real bodies do.
 *
 * Angle conventions (radians, 0 = standing at attention, arms hanging):
 *   trunk.flex > 0 bends forward, lean > 0 to the body's left, twist > 0 turns the chest left;
 *   arm.flex > 0 raises the arm forward, abd > 0 raises it sideways, horiz > 0 swings it outward in
 *   the horizontal plane, twist turns it about its own axis (90° makes the elbow bend upward when
 *   abducted), elbow > 0 bends the forearm;
 *   leg.hip > 0 lifts the thigh forward, abd > 0 sideways, knee > 0 bends the shank back,
 *   ankle > 0 lifts the toes.
 */
import type { Body } from './body.ts';

export type Vec3 = [number, number, number];
/** Row-major 3×3. */
export type Mat3 = number[];

export interface ArmAngles {
  flex: number;
  abd: number;
  horiz: number;
  twist: number;
  elbow: number;
  wrist: number;
}

export interface LegAngles {
  hip: number;
  abd: number;
  knee: number;
  ankle: number;
}

export interface Pose {
  /** Planted-foot position in the ground plane, metres (walking, stepping back). */
  x: number;
  z: number;
  /** Extra pelvis height above standing on the lower foot (a jump's flight). */
  lift: number;
  /** Whole-body turn about the vertical. */
  yaw: number;
  trunkFlex: number;
  trunkLean: number;
  trunkTwist: number;
  neckFlex: number;
  /** Chest rise from breathing, metres. */
  breath: number;
  /** Left, right. */
  arms: [ArmAngles, ArmAngles];
  legs: [LegAngles, LegAngles];
}

export const LEFT = 0;
export const RIGHT = 1;

export function restArm(): ArmAngles {
  return { flex: 0, abd: 0.08, horiz: 0, twist: 0, elbow: 0.15, wrist: 0 };
}

export function restLeg(): LegAngles {
  return { hip: 0, abd: 0.03, knee: 0.02, ankle: 0 };
}

export function restPose(): Pose {
  return {
    x: 0, z: 0, lift: 0, yaw: 0, trunkFlex: 0, trunkLean: 0, trunkTwist: 0, neckFlex: 0, breath: 0,
    arms: [restArm(), restArm()],
    legs: [restLeg(), restLeg()],
  };
}

export function rotX(a: number): Mat3 {
  const c = Math.cos(a), s = Math.sin(a);
  return [1, 0, 0, 0, c, -s, 0, s, c];
}

export function rotY(a: number): Mat3 {
  const c = Math.cos(a), s = Math.sin(a);
  return [c, 0, s, 0, 1, 0, -s, 0, c];
}

export function rotZ(a: number): Mat3 {
  const c = Math.cos(a), s = Math.sin(a);
  return [c, -s, 0, s, c, 0, 0, 0, 1];
}

export function mul(...ms: Mat3[]): Mat3 {
  return ms.reduce((a, b) => {
    const out = new Array<number>(9).fill(0);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
    return out;
  });
}

export function apply(m: Mat3, v: Vec3): Vec3 {
  return [m[0] * v[0] + m[1] * v[1] + m[2] * v[2], m[3] * v[0] + m[4] * v[1] + m[5] * v[2], m[6] * v[0] + m[7] * v[1] + m[8] * v[2]];
}

function add(a: Vec3, b: Vec3): Vec3 {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

/** End of a segment of length `len` hanging along −y in frame `r`, starting at `from`. */
function down(from: Vec3, r: Mat3, len: number): Vec3 {
  return add(from, apply(r, [0, -len, 0]));
}

function up(from: Vec3, r: Mat3, len: number): Vec3 {
  return add(from, apply(r, [0, len, 0]));
}

/** NTU-25 joint indices (0-based) that the kinematic chains fill in. */
const J = {
  spineBase: 0, spineMid: 1, neck: 2, head: 3,
  shoulder: [4, 8], elbow: [5, 9], wrist: [6, 10], hand: [7, 11],
  hip: [12, 16], knee: [13, 17], ankle: [14, 18], foot: [15, 19],
  spineShoulder: 20, handTip: [21, 23], thumb: [22, 24],
} as const;

/** The 25 joints of `pose` in the body frame, joint-major [25][3]. */
export function forwardKinematics(body: Body, pose: Pose): Vec3[] {
  const joints: Vec3[] = new Array(25);
  const turn = rotY(pose.yaw);

  // Legs first, relative to the pelvis, to find where the pelvis must be for the feet to be grounded.
  const legs = [LEFT, RIGHT].map((side) => {
    const s = side === LEFT ? 1 : -1;
    const leg = pose.legs[side];
    const hip: Vec3 = apply(turn, [s * body.hipHalf, -body.hipDrop, 0]);
    const thigh = mul(turn, rotZ(s * leg.abd), rotX(-leg.hip));
    const knee = down(hip, thigh, body.thigh);
    const shank = mul(thigh, rotX(leg.knee));
    const ankle = down(knee, shank, body.shank);
    const foot = add(ankle, apply(mul(turn, rotX(-leg.ankle)), [0, 0, body.foot]));
    return { hip, knee, ankle, foot };
  });
  // The lower ankle carries the weight; blend smoothly so a foot leaving the ground does not jerk the body.
  const [yl, yr] = [legs[LEFT].ankle[1], legs[RIGHT].ankle[1]];
  const wl = 1 / (1 + Math.exp((yl - yr) / 0.02));
  const lowest = Math.min(yl, yr);
  const planted: Vec3 = [wl * legs[LEFT].ankle[0] + (1 - wl) * legs[RIGHT].ankle[0], 0, wl * legs[LEFT].ankle[2] + (1 - wl) * legs[RIGHT].ankle[2]];
  const pelvis: Vec3 = [pose.x - planted[0], body.ankleHeight - lowest + pose.lift, pose.z - planted[2]];
  for (const side of [LEFT, RIGHT]) {
    const l = legs[side];
    joints[J.hip[side]] = add(pelvis, l.hip);
    joints[J.knee[side]] = add(pelvis, l.knee);
    joints[J.ankle[side]] = add(pelvis, l.ankle);
    joints[J.foot[side]] = add(pelvis, l.foot);
  }

  // Spine: the lower half of the trunk takes half of its bend and twist, the chest the rest.
  const lower = mul(turn, rotY(pose.trunkTwist / 2), rotZ(-pose.trunkLean / 2), rotX(pose.trunkFlex / 2));
  const chest = mul(turn, rotY(pose.trunkTwist), rotZ(-pose.trunkLean), rotX(pose.trunkFlex));
  joints[J.spineBase] = pelvis;
  joints[J.spineMid] = up(pelvis, lower, body.spineLower);
  joints[J.spineShoulder] = up(joints[J.spineMid], chest, body.spineUpper + pose.breath);
  const headFrame = mul(chest, rotX(pose.neckFlex));
  joints[J.neck] = up(joints[J.spineShoulder], headFrame, body.neck);
  joints[J.head] = up(joints[J.neck], headFrame, body.head);

  for (const side of [LEFT, RIGHT]) {
    const s = side === LEFT ? 1 : -1;
    const arm = pose.arms[side];
    const shoulder = add(joints[J.spineShoulder], apply(chest, [s * body.shoulderHalf, -body.shoulderDrop, 0]));
    const upperArm = mul(chest, rotY(s * arm.horiz), rotZ(s * arm.abd), rotX(-arm.flex), rotY(s * arm.twist));
    const elbow = down(shoulder, upperArm, body.upperArm);
    const forearm = mul(upperArm, rotX(-arm.elbow));
    const wrist = down(elbow, forearm, body.forearm);
    const hand = mul(forearm, rotX(-arm.wrist));
    const palm = down(wrist, hand, body.palm);
    joints[J.shoulder[side]] = shoulder;
    joints[J.elbow[side]] = elbow;
    joints[J.wrist[side]] = wrist;
    joints[J.hand[side]] = palm;
    joints[J.handTip[side]] = down(palm, hand, body.fingers);
    // The thumb leaves the wrist towards the front of the hand and outward (palms face the thigh at rest).
    joints[J.thumb[side]] = add(wrist, apply(hand, [s * 0.25 * body.thumb, -0.65 * body.thumb, 0.7 * body.thumb]));
  }
  return joints;
}
