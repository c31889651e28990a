/**
 * Synthetic subjects: a body proportion model and the traits that make one person move unlike another.
 *
 * Segment lengths are fractions of standing height H from the anthropometric tables of Drillis &
 * Contini (1966), as reproduced in Winter, "Biomechanics and Motor Control of Human Movement":
 * upper arm 0.186 H, forearm 0.146 H, hand 0.108 H, thigh 0.245 H, shank 0.246 H, foot length
 * 0.152 H, ankle height 0.039 H, shoulder width 0.259 H, hip width 0.191 H. Each subject scales
 * every ratio by its own factor (about ±4 %), so bodies differ in proportion, not only in size.
 * The spine is split at Kinect v2's joints (spine base ≈ pelvis, spine mid, spine shoulder, neck,
 * head centre).
 */
import type { Rng } from '../../../common/rng.ts';

export interface Body {
  height: number;
  /** Half the distance between the shoulder joints, and how far they sit below spine_shoulder. */
  shoulderHalf: number;
  shoulderDrop: number;
  hipHalf: number;
  hipDrop: number;
  /** spine_base → spine_mid → spine_shoulder → neck → head centre. */
  spineLower: number;
  spineUpper: number;
  neck: number;
  head: number;
  upperArm: number;
  forearm: number;
  /** Wrist → Kinect's "hand" joint (mid-palm) → hand tip; thumb length. */
  palm: number;
  fingers: number;
  thumb: number;
  thigh: number;
  shank: number;
  ankleHeight: number;
  foot: number;
}

/** Who the synthetic person is: body plus motor habits that persist across all their samples. */
export interface Subject {
  id: number;
  body: Body;
  rightHanded: boolean;
  /** Scales the size of every movement this subject makes. */
  amplitude: number;
  /** Scales how fast this subject performs (>1: quicker). */
  tempo: number;
  /** Habitual forward lean of the trunk and stance width, in radians. */
  posture: number;
  stance: number;
}

export function makeBody(height: number, rng: Rng): Body {
  // One factor per segment: proportions vary between people by a few percent (sd ≈ 4 %).
  const r = (ratio: number): number => ratio * height * (1 + 0.04 * clampedNormal(rng));
  const hand = r(0.108);
  return {
    height,
    shoulderHalf: r(0.259) / 2,
    shoulderDrop: r(0.03),
    hipHalf: r(0.191) / 2,
    hipDrop: r(0.04),
    spineLower: r(0.11),
    spineUpper: r(0.15),
    neck: r(0.04),
    head: r(0.065),
    upperArm: r(0.186),
    forearm: r(0.146),
    palm: hand * 0.45,
    fingers: hand * 0.55,
    thumb: hand * 0.45,
    thigh: r(0.245),
    shank: r(0.246),
    ankleHeight: r(0.039),
    foot: r(0.152) * 0.75, // ankle to Kinect's foot joint (toes' base), not to the heel
  };
}

export function makeSubject(id: number, rng: Rng): Subject {
  // Adult heights: women and men mixed, about 1.50 to 1.95 m.
  const height = Math.min(1.95, Math.max(1.5, 1.71 + 0.09 * rng.normal()));
  return {
    id,
    body: makeBody(height, rng),
    rightHanded: rng.next() < 0.85,
    amplitude: rng.uniform(0.7, 1.3),
    tempo: rng.uniform(0.75, 1.3),
    posture: rng.uniform(-0.05, 0.12),
    stance: rng.uniform(0.0, 0.12),
  };
}

function clampedNormal(rng: Rng): number {
  return Math.max(-2.5, Math.min(2.5, rng.normal()));
}
