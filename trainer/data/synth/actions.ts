/**
 * The synthetic action classes: what each one does to the joint angles over time.
 *
 * A class draws its per-sample parameters (which hand, how far, how fast, how many repetitions) and
 * returns a Motion: a function of progress u ∈ [0, 1] through the action and of time in seconds
 * (for oscillations at a natural frequency), giving one Pose per person. Classes deliberately share
 * movements the way real ones do (one vs both hands waving, clapping vs waving, squat vs sit down
 * vs stand up vs bow, punch vs push vs handshake), so telling them apart takes the motion's shape
 * and timing, not one tell-tale joint.
 */
import type { Rng } from '../../../common/rng.ts';
import type { Subject } from './body.ts';
import { LEFT, RIGHT, restArm, type ArmAngles, type Pose } from './kinematics.ts';

export type Motion = (u: number, seconds: number) => Pose[];
/** A person's pose when not acting, at a time in seconds: their resting posture and stray gestures. */
export type Stand = (seconds: number) => Pose;

export interface ActionClass {
  label: string;
  description: string;
  persons: 1 | 2;
  /** Typical duration of a whole recording, seconds (at 30 frames/s; 40 to 150 frames). */
  seconds: [number, number];
  /** Draws one sample's parameters; actions start from (and blend back to) each performer's `stand` pose. */
  plan(rng: Rng, subjects: Subject[], stand: Stand[]): Motion;
}

const deg = (d: number): number => (d * Math.PI) / 180;

/** 0 before a, 1 after b, a smooth (cubic) rise between. */
function ramp(u: number, a: number, b: number): number {
  const x = Math.min(1, Math.max(0, (u - a) / (b - a)));
  return x * x * (3 - 2 * x);
}

/** Rises over [a, b], holds, falls over [c, d]. */
function bump(u: number, a: number, b: number, c: number, d: number): number {
  return ramp(u, a, b) * (1 - ramp(u, c, d));
}

const mix = (a: number, b: number, w: number): number => a + (b - a) * w;

/** Blends every arm angle from `from` towards `to` by w; angles `to` leaves out go to the relaxed arm's. */
function blendArm(from: ArmAngles, to: Partial<ArmAngles>, w: number): ArmAngles {
  const target = { ...restArm(), ...to };
  const out = { ...from };
  for (const k of Object.keys(target) as (keyof ArmAngles)[]) out[k] = mix(from[k], target[k], w);
  return out;
}

/** The side of a one-handed or one-legged action: mostly the subject's dominant side. */
function chooseSide(rng: Rng, subject: Subject): number {
  const dominant = subject.rightHanded ? RIGHT : LEFT;
  return rng.next() < 0.8 ? dominant : 1 - dominant;
}

/** Rise, hold, fall of a held action, with random timing. */
function envelope(rng: Rng): (u: number) => number {
  const a = rng.uniform(0.1, 0.25);
  const d = rng.uniform(0.75, 0.95);
  return (u) => bump(u, 0, a, d, 1);
}

/** A raised arm with the forearm up, swinging side to side at the elbow and shoulder. */
function wavingArm(rng: Rng, subject: Subject): (pose: Pose, side: number, e: number, sec: number) => void {
  // Raised to the side, or held up in front of the shoulder.
  const forward = rng.next() < 0.35;
  const abd = deg(forward ? rng.uniform(30, 60) : rng.uniform(75, 130));
  const flex = deg(forward ? rng.uniform(50, 80) : rng.uniform(0, 30));
  const elbow = deg(rng.uniform(50, 90));
  const swing = deg(rng.uniform(15, 35)) * subject.amplitude;
  const hz = rng.uniform(1.5, 3) * subject.tempo;
  const phase = rng.uniform(0, 2 * Math.PI);
  return (pose, side, e, sec) => {
    const wave = e * swing * Math.sin(2 * Math.PI * hz * sec + phase);
    pose.arms[side] = blendArm(pose.arms[side], { abd: abd + 0.4 * wave, flex, twist: deg(90), elbow: elbow + wave, wrist: 0.3 * wave }, e);
  };
}

function waveOne(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const side = chooseSide(rng, subject);
  const arm = wavingArm(rng, subject);
  const e = envelope(rng);
  return (u, sec) => {
    const pose = stand(sec);
    arm(pose, side, e(u), sec);
    return [pose];
  };
}

function waveBoth(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const left = wavingArm(rng, subject);
  const right = wavingArm(rng, subject);
  const e = envelope(rng);
  // Some people lift the second hand a little later.
  const lag = rng.uniform(0, 0.12);
  return (u, sec) => {
    const pose = stand(sec);
    right(pose, RIGHT, e(u), sec);
    left(pose, LEFT, e(Math.max(0, u - lag)), sec);
    return [pose];
  };
}

function clap(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const flex = deg(rng.uniform(40, 75));
  const elbow = deg(rng.uniform(45, 80));
  const open = deg(rng.uniform(10, 30)) * subject.amplitude;
  const hz = rng.uniform(2, 3.5) * subject.tempo;
  const e = envelope(rng);
  return (u, sec) => {
    const pose = stand(sec);
    const w = e(u);
    // Hands meet slightly across the midline (horiz < 0) and open outward between claps.
    const horiz = deg(-28) + open * (0.5 - 0.5 * Math.cos(2 * Math.PI * hz * sec));
    for (const side of [LEFT, RIGHT]) pose.arms[side] = blendArm(pose.arms[side], { flex, elbow, horiz, twist: deg(-20), abd: deg(5) }, w);
    return [pose];
  };
}

function raiseArms(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const sideways = rng.next() < 0.5;
  const top = deg(rng.uniform(95, 175)); // from shoulder height to straight up
  const a = rng.uniform(0.15, 0.4);
  const holdTillEnd = rng.next() < 0.4;
  const d = rng.uniform(0.7, 0.9);
  return (u, sec) => {
    const pose = stand(sec);
    const w = holdTillEnd ? ramp(u, 0, a) : bump(u, 0, a, d, 1);
    const target: Partial<ArmAngles> = sideways ? { abd: top, twist: deg(90), elbow: deg(10) } : { flex: top, abd: deg(15), elbow: deg(10) };
    for (const side of [LEFT, RIGHT]) pose.arms[side] = blendArm(pose.arms[side], target, w);
    pose.neckFlex -= deg(10) * w * subject.amplitude;
    return [pose];
  };
}

/** Bent legs with the pelvis low: depth 1 is a full squat, hips back and trunk forward to balance. */
function crouch(pose: Pose, hip: number, knee: number, trunk: number): void {
  for (const side of [LEFT, RIGHT]) pose.legs[side] = { ...pose.legs[side], hip, knee, ankle: 0 };
  pose.trunkFlex += trunk;
}

function squat(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const reps = rng.next() < 0.75 ? 1 : 2;
  const hip = deg(rng.uniform(70, 110)) * subject.amplitude;
  const knee = hip * rng.uniform(1.15, 1.4);
  const trunk = deg(rng.uniform(15, 40));
  const armsForward = rng.next() < 0.6 ? deg(rng.uniform(60, 95)) : 0;
  const a = rng.uniform(0.05, 0.15);
  const d = rng.uniform(0.85, 0.95);
  return (u, sec) => {
    const pose = stand(sec);
    const v = Math.min(1, Math.max(0, (u - a) / (d - a)));
    const depth = Math.sin(Math.PI * reps * v) ** 2;
    crouch(pose, depth * hip, depth * knee, depth * trunk);
    if (armsForward) for (const side of [LEFT, RIGHT]) pose.arms[side] = blendArm(pose.arms[side], { flex: armsForward, abd: deg(8), horiz: 0, twist: 0, elbow: deg(10) }, depth);
    return [pose];
  };
}

function jump(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const reps = rng.next() < 0.6 ? 1 : rng.next() < 0.7 ? 2 : 3;
  const height = rng.uniform(0.08, 0.3) * subject.amplitude;
  const dip = deg(rng.uniform(25, 55));
  const swing = rng.next() < 0.7;
  const a = rng.uniform(0.05, 0.2);
  const d = rng.uniform(0.8, 0.95);
  return (u, sec) => {
    const pose = stand(sec);
    const v = Math.min(1, Math.max(0, (u - a) / (d - a))) * reps;
    const k = v >= reps ? 1 : v % 1; // phase in the current jump
    const active = bump(u, a - 0.05, a + 0.05, d - 0.05, d + 0.05);
    // crouch (0–0.35), push off (0.35–0.45), flight (0.45–0.7), land and absorb (0.7–1)
    const bend = bump(k, 0, 0.3, 0.35, 0.45) + bump(k, 0.68, 0.78, 0.85, 1);
    const flight = k > 0.45 && k < 0.7 ? Math.sin((Math.PI * (k - 0.45)) / 0.25) : 0;
    crouch(pose, bend * dip, bend * dip * 2, bend * dip * 0.6);
    pose.lift += flight * height;
    for (const side of [LEFT, RIGHT]) {
      pose.legs[side].ankle = -deg(25) * flight; // toes point down in the air
      if (swing) pose.arms[side] = blendArm(pose.arms[side], { flex: -deg(40) * bend + deg(70) * flight, abd: deg(8), horiz: 0, twist: 0, elbow: deg(20) }, active);
    }
    return [pose];
  };
}

function kick(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const side = chooseSide(rng, subject);
  const s = side === LEFT ? 1 : -1;
  const hip = deg(rng.uniform(45, 90)) * subject.amplitude;
  const t0 = rng.uniform(0.15, 0.35);
  const t1 = t0 + rng.uniform(0.2, 0.35);
  const t2 = Math.min(0.95, t1 + rng.uniform(0.15, 0.3));
  return (u, sec) => {
    const pose = stand(sec);
    const chamber = bump(u, t0 - 0.12, t0, t1 - 0.05, t2); // thigh up, knee bent
    const extend = bump(u, t0, (t0 + t1) / 2, (t0 + t1) / 2, t1); // snap the shank out and back
    const leg = pose.legs[side];
    leg.hip = chamber * hip;
    leg.knee = chamber * deg(80) * (1 - 0.9 * extend);
    leg.ankle = -deg(20) * extend;
    pose.trunkFlex -= deg(12) * chamber; // lean back to balance
    pose.trunkLean += -s * deg(5) * chamber;
    for (const arm of [LEFT, RIGHT]) pose.arms[arm] = blendArm(pose.arms[arm], { abd: deg(35), elbow: deg(40) }, chamber);
    return [pose];
  };
}

function bow(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const depth = deg(rng.uniform(25, 65)) * subject.amplitude;
  const handsFolded = rng.next() < 0.3;
  const e = envelope(rng);
  return (u, sec) => {
    const pose = stand(sec);
    const w = e(u);
    pose.trunkFlex += w * depth;
    pose.neckFlex += w * deg(15);
    for (const side of [LEFT, RIGHT]) {
      pose.legs[side].hip = w * deg(8);
      // Arms hang with gravity: bending forward by the trunk's angle keeps them vertical.
      pose.arms[side] = handsFolded ? { ...pose.arms[side], flex: deg(25), elbow: deg(70), horiz: -deg(30) } : { ...pose.arms[side], flex: pose.arms[side].flex + 0.9 * w * depth };
    }
    return [pose];
  };
}

function turnAround(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const dir = rng.next() < 0.5 ? 1 : -1;
  const total = dir * deg(rng.uniform(120, 200));
  const a = rng.uniform(0.05, 0.25);
  const d = rng.uniform(0.75, 0.95);
  // Some turn to face away; others spin a full circle back to the camera.
  const turns = rng.next() < 0.35 ? 2 : 1;
  const stepHz = rng.uniform(1.5, 2.2) * subject.tempo;
  return (u, sec) => {
    const pose = stand(sec);
    const moving = bump(u, a, a + 0.05, d - 0.05, d);
    pose.yaw += turns * total * ramp(u, a, d);
    // Stepping on the spot while turning: the feet lift alternately.
    const step = Math.sin(2 * Math.PI * stepHz * sec);
    for (const side of [LEFT, RIGHT]) {
      const lift = moving * Math.max(0, side === LEFT ? step : -step);
      pose.legs[side].hip = deg(25) * lift;
      pose.legs[side].knee = deg(45) * lift;
      pose.arms[side].flex += deg(15) * moving * (side === LEFT ? -step : step);
    }
    return [pose];
  };
}

/** Lowering onto (or rising from) a chair: s = 0 standing, 1 seated. */
function seated(pose: Pose, s: number, hip: number, knee: number, lean: number, recline: number, handsOnThighs: boolean): void {
  // The trunk pitches forward most mid-way, when the weight moves over the feet.
  crouch(pose, s * hip, s * knee, lean * Math.sin(Math.PI * s) + recline * s);
  if (handsOnThighs) for (const side of [LEFT, RIGHT]) pose.arms[side] = blendArm(pose.arms[side], { flex: deg(45), elbow: deg(50) }, s);
}

function sitOrStand(down: boolean) {
  return (rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion => {
    // Seats of different heights; people sit upright, slouch forward or lean back.
    const hip = deg(rng.uniform(70, 100));
    const knee = deg(rng.uniform(65, 110));
    const lean = deg(rng.uniform(20, 45)) * subject.amplitude;
    const recline = deg(rng.uniform(-12, 15));
    const handsOnThighs = rng.next() < 0.6;
    const a = rng.uniform(0.1, 0.3);
    const d = rng.uniform(0.65, 0.9);
    return (u, sec) => {
      const pose = stand(sec);
      const s = ramp(u, a, d);
      seated(pose, down ? s : 1 - s, hip, knee, lean, recline, handsOnThighs);
      return [pose];
    };
  };
}

function punch(rng: Rng, [subject]: Subject[], [stand]: Stand[]): Motion {
  const side = chooseSide(rng, subject);
  const count = 1 + rng.int(3);
  const alternate = rng.next() < 0.4;
  const reach = deg(rng.uniform(75, 95));
  const a = rng.uniform(0.1, 0.3);
  const d = rng.uniform(0.75, 0.95);
  const guard = envelope(rng);
  return (u, sec) => {
    const pose = stand(sec);
    const g = guard(u);
    for (const arm of [LEFT, RIGHT]) pose.arms[arm] = blendArm(pose.arms[arm], { flex: deg(35), elbow: deg(120), horiz: -deg(25) }, g);
    const v = Math.min(1, Math.max(0, (u - a) / (d - a))) * count;
    const i = Math.min(count - 1, Math.floor(v));
    const k = v - i;
    const hit = u > a && u < d ? Math.sin(Math.PI * k) ** 4 : 0; // fast out, fast back
    const arm = alternate && i % 2 === 1 ? 1 - side : side;
    pose.arms[arm] = blendArm(pose.arms[arm], { flex: reach, elbow: deg(5), horiz: -deg(10) }, hit);
    pose.trunkTwist += (arm === RIGHT ? 1 : -1) * deg(15) * hit;
    return [pose];
  };
}

function handshake(rng: Rng, subjects: Subject[], stand: Stand[]): Motion {
  const shakes = subjects.map(() => ({ flex: deg(rng.uniform(35, 55)), elbow: deg(rng.uniform(25, 50)), lag: rng.uniform(-0.05, 0.05) }));
  const hz = rng.uniform(2, 3.2);
  const shake = deg(rng.uniform(4, 9));
  const approach = rng.uniform(0.05, 0.2);
  const e = envelope(rng);
  return (u, sec) =>
    shakes.map((p, i) => {
      const pose = stand[i](sec);
      const w = e(Math.min(1, Math.max(0, u + p.lag)));
      const osc = w * w * shake * Math.sin(2 * Math.PI * hz * sec);
      pose.arms[RIGHT] = blendArm(pose.arms[RIGHT], { flex: p.flex + osc, elbow: p.elbow, horiz: -deg(15), twist: deg(-30) }, w);
      pose.z += approach * ramp(u, 0, 0.3);
      pose.trunkFlex += deg(5) * w;
      return pose;
    });
}

function push(rng: Rng, subjects: Subject[], stand: Stand[]): Motion {
  const contact = rng.uniform(0.3, 0.55);
  const force = rng.uniform(0.5, 1.2) * subjects[0].amplitude;
  const step = rng.uniform(0.15, 0.45) * force;
  const oneHanded = rng.next() < 0.2;
  return (u, sec) => {
    const pusher = stand[0](sec);
    const reach = bump(u, contact - 0.2, contact, contact + 0.1, Math.min(1, contact + 0.35));
    const thrust = ramp(u, contact - 0.06, contact + 0.04) * (1 - ramp(u, contact + 0.1, contact + 0.35));
    for (const side of oneHanded ? [RIGHT] : [LEFT, RIGHT]) {
      pusher.arms[side] = blendArm(pusher.arms[side], { flex: deg(80), elbow: mix(deg(100), deg(10), thrust), horiz: -deg(12), wrist: -deg(50) }, reach);
    }
    pusher.trunkFlex += deg(15) * force * thrust;
    pusher.z += 0.15 * reach;
    const pushed = stand[1](sec);
    const hit = ramp(u, contact, contact + 0.12);
    const recoil = bump(u, contact, contact + 0.08, contact + 0.2, contact + 0.45);
    pushed.z -= step * hit;
    pushed.trunkFlex -= deg(18) * force * recoil;
    for (const side of [LEFT, RIGHT]) {
      pushed.arms[side] = blendArm(pushed.arms[side], { abd: deg(30), flex: deg(25), elbow: deg(45) }, recoil);
      pushed.legs[side].hip = deg(20) * recoil * (side === LEFT ? 1 : 0);
      pushed.legs[side].knee = deg(30) * recoil * (side === LEFT ? 1 : 0);
    }
    return [pusher, pushed];
  };
}

/** The classes in the cache's class order: labels, descriptions and persons are part of the dataset contract. */
export const ACTIONS: readonly ActionClass[] = [
  { label: 'wave one hand', description: 'one arm raised to the side with the forearm up, the hand swinging left and right at the elbow', persons: 1, seconds: [1.5, 4], plan: waveOne },
  { label: 'wave both hands', description: 'both arms raised with forearms up, both hands swinging side to side above the shoulders', persons: 1, seconds: [1.5, 4], plan: waveBoth },
  { label: 'clap', description: 'both arms held in front of the chest, the hands repeatedly brought together and apart', persons: 1, seconds: [1.4, 4], plan: clap },
  { label: 'raise both arms', description: 'both arms lifted from the sides or the front until they point overhead', persons: 1, seconds: [1.5, 4], plan: raiseArms },
  { label: 'squat', description: 'knees and hips bend to lower the body, trunk leaning forward, then the legs straighten', persons: 1, seconds: [1.5, 4.5], plan: squat },
  { label: 'jump', description: 'a quick crouch, both feet push off the ground, the body flies up and lands with bent knees', persons: 1, seconds: [1.4, 3.5], plan: jump },
  { label: 'kick', description: 'standing on one leg, the other thigh lifts and the shank snaps forward, then the foot returns', persons: 1, seconds: [1.4, 3.5], plan: kick },
  { label: 'bow', description: 'the trunk bends forward from the hips with the head lowered, legs straight, then rises', persons: 1, seconds: [1.5, 4], plan: bow },
  { label: 'turn around', description: 'stepping on the spot, the whole body rotates about half a turn to face away', persons: 1, seconds: [2, 5], plan: turnAround },
  { label: 'sit down', description: 'the hips move back and down onto a seat as the knees bend, trunk pitching forward, hands to the thighs', persons: 1, seconds: [2, 5], plan: sitOrStand(true) },
  { label: 'stand up', description: 'from sitting, the trunk pitches forward and the legs push the body up to standing', persons: 1, seconds: [2, 5], plan: sitOrStand(false) },
  { label: 'punch', description: 'fists held up in guard, one arm thrusts straight forward and snaps back, the chest twisting', persons: 1, seconds: [1.4, 3.5], plan: punch },
  { label: 'handshake', description: 'two people facing each other each extend the right hand, grip and shake it up and down', persons: 2, seconds: [2, 5], plan: handshake },
  { label: 'push', description: 'one person thrusts both hands into the chest of the person in front, who leans and steps back', persons: 2, seconds: [1.4, 3.5], plan: push },
];
