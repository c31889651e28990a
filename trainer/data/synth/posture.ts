/**
 * How a person stands when not acting: a resting posture of the arms (people rarely hold them at
 * attention), small always-on motion (sway, breathing, a nod), and now and then a stray gesture of
 * one hand (scratching the head, touching the chin). Actions start from this pose and return to it,
 * so what the arms do between and around actions varies within every class, as it does in NTU.
 */
import type { Rng } from '../../../common/rng.ts';
import type { Stand } from './actions.ts';
import type { Subject } from './body.ts';
import { LEFT, RIGHT, restArm, restPose, type ArmAngles } from './kinematics.ts';

const deg = (d: number): number => (d * Math.PI) / 180;
const arm = (a: Partial<ArmAngles>): ArmAngles => ({ ...restArm(), ...a });

/** Resting arm postures, [left, right] (each side mirrored by the kinematics), with how common they are. */
const POSTURES: { weight: number; arms: [ArmAngles, ArmAngles] }[] = [
  { weight: 0.45, arms: [arm({}), arm({})] }, // hanging
  { weight: 0.15, arms: [arm({ abd: deg(45), elbow: deg(80), twist: deg(-90) }), arm({ abd: deg(45), elbow: deg(80), twist: deg(-90) })] }, // hands on hips
  { weight: 0.1, arms: [arm({ abd: deg(45), elbow: deg(80), twist: deg(-90) }), arm({})] }, // one hand on the hip
  { weight: 0.15, arms: [arm({ flex: deg(20), elbow: deg(60), horiz: deg(-18), twist: deg(-30) }), arm({ flex: deg(20), elbow: deg(60), horiz: deg(-18), twist: deg(-30) })] }, // hands clasped in front
  { weight: 0.15, arms: [arm({ flex: deg(15), elbow: deg(95), horiz: deg(-50) }), arm({ flex: deg(20), elbow: deg(100), horiz: deg(-40), twist: deg(-20) })] }, // arms crossed
];

/** Brief one-handed gestures a person makes without meaning to. */
const GESTURES: ArmAngles[] = [
  arm({ flex: deg(60), abd: deg(60), elbow: deg(140), twist: deg(45) }), // scratch the head
  arm({ flex: deg(50), elbow: deg(140), horiz: deg(-30) }), // touch the chin
  arm({ flex: deg(35), elbow: deg(110), horiz: deg(-45) }), // rub the other arm
];

function pick<T extends { weight: number }>(items: T[], rng: Rng): T {
  let r = rng.next() * items.reduce((s, i) => s + i.weight, 0);
  for (const item of items) if ((r -= item.weight) < 0) return item;
  return items[items.length - 1];
}

function smooth(x: number): number {
  const t = Math.min(1, Math.max(0, x));
  return t * t * (3 - 2 * t);
}

/** One performer's idle behaviour over a recording of `seconds`. */
export function standing(subject: Subject, seconds: number, rng: Rng): Stand {
  const posture = pick(POSTURES, rng).arms;
  const flipped = rng.next() < 0.5; // asymmetric postures on either side
  const arms: [ArmAngles, ArmAngles] = flipped ? [posture[RIGHT], posture[LEFT]] : [posture[LEFT], posture[RIGHT]];
  const [swayHz, swayX, swayZ, swayPhase] = [rng.uniform(0.15, 0.45), rng.uniform(0.005, 0.025), rng.uniform(0.005, 0.02), rng.uniform(0, 2 * Math.PI)];
  const [breathHz, breath, nod] = [rng.uniform(0.2, 0.35), rng.uniform(0.003, 0.008), rng.uniform(0, 0.06)];
  // People drift a little while performing: a shuffle of the feet over the recording.
  const [driftX, driftZ] = [rng.uniform(-0.15, 0.15), rng.uniform(-0.15, 0.15)];
  const gesture = rng.next() < 0.3 ? { arm: GESTURES[rng.int(GESTURES.length)], side: rng.int(2), at: rng.uniform(0, seconds), length: rng.uniform(0.6, 1.5) } : undefined;
  return (sec) => {
    const pose = restPose();
    pose.arms = [{ ...arms[LEFT] }, { ...arms[RIGHT] }];
    if (gesture) {
      const w = smooth((sec - gesture.at) / 0.3) * smooth((gesture.at + gesture.length - sec) / 0.3);
      const a = pose.arms[gesture.side];
      for (const k of Object.keys(a) as (keyof ArmAngles)[]) a[k] += (gesture.arm[k] - a[k]) * w;
    }
    const sway = Math.sin(2 * Math.PI * swayHz * sec + swayPhase);
    pose.x = swayX * sway + (driftX * sec) / seconds;
    pose.z = swayZ * Math.cos(2 * Math.PI * swayHz * 0.7 * sec) + (driftZ * sec) / seconds;
    pose.trunkLean = 0.02 * sway;
    pose.trunkFlex = subject.posture;
    pose.breath = breath * Math.sin(2 * Math.PI * breathHz * sec);
    pose.neckFlex = nod * Math.sin(2 * Math.PI * swayHz * 1.3 * sec + 1);
    for (const leg of pose.legs) leg.abd += subject.stance;
    return pose;
  };
}
