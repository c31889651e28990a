/**
 * Joint layouts: the one registry of joint names, bones, centre joint and dimensionality, imported
 * by the trainer, the compiler and the runtime host. Every lookup (by name, by joint count), every
 * message that lists layouts and every conversion between layouts derives from `REGISTRY` below:
 * adding a layout is one `defineLayout` entry, listed there. Indices are 0-based.
 *
 * A layout's bones (child, parent) are the inward edges of its graph, as in CTR-GCN's graph
 * definitions. `parents[v]` is the joint that bone v points from (bone modality:
 * joint[v] − joint[parents[v]]); the root's parent is itself, so its bone is zero.
 *
 * Joints correspond across layouts by name: two layouts that name a joint alike mean the same body
 * point, so name a new layout's joints from the vocabulary the others use (`left_wrist`, `neck`).
 */
import { UserError } from './errors.ts';

/** What a registry entry gives; `defineLayout` derives the rest. */
interface LayoutEntry<N extends string> {
  name: N;
  joints: readonly string[];
  /** (child, parent) joint pairs, numbered as the published graph numbers joints (see `firstJoint`). */
  bones: ReadonlyArray<readonly [number, number]>;
  /** The number the published graph gives its first joint: 1 for NTU's, 0 for the pose estimators'. */
  firstJoint: 0 | 1;
  /** Name of the joint whose position at the first frame of person 0 becomes the origin. */
  centre: string;
  dims: 2 | 3;
  /**
   * Joints other layouts lack, made from two they share when bodies of those layouts are mapped to
   * this one: the midpoint of the coordinates, and the lower of the two scores.
   */
  midpoints?: Readonly<Record<string, readonly [string, string]>>;
}

/** A skeleton's joint set: its names, graph, centre and coordinates, and how it maps to the others. */
export interface JointLayout<N extends string = LayoutName> {
  /** The layout's name, as files and flags spell it (`ntu25`). */
  readonly name: N;
  /** Joint names, by index. */
  readonly joints: readonly string[];
  /** Bones as (child, parent) joint indices: the graph's inward edges. */
  readonly bones: ReadonlyArray<readonly [number, number]>;
  /** Each joint's parent in the bone tree (the root's is itself). */
  readonly parents: readonly number[];
  /** Joint whose position at the first frame of person 0 becomes the origin. */
  readonly centre: number;
  /**
   * 3: x y z from a depth camera, all three centred and rotated. 2: x y keypoints from a pose
   * estimator, the third value a confidence score that is neither centred nor rotated.
   */
  readonly dims: 2 | 3;
  /** Values stored per joint: x y z, or x y score. */
  readonly coords: 3;
  /** What the three values per joint are called (`x y z`, or `x y score`). */
  readonly coordNames: readonly [string, string, string];
  /** Joints this layout lacks but can make from two of its own (OpenPose's neck: the shoulders' midpoint). */
  readonly midpoints: Readonly<Record<string, readonly [string, string]>>;
}

function defineLayout<N extends string>(e: LayoutEntry<N>): JointLayout<N> {
  const bones = e.bones.map(([c, p]) => [c - e.firstJoint, p - e.firstJoint] as const);
  const parents = e.joints.map((_, v) => v);
  for (const [c, p] of bones) parents[c] = p;
  return {
    name: e.name,
    joints: e.joints,
    bones,
    parents,
    centre: e.joints.indexOf(e.centre),
    dims: e.dims,
    coords: 3,
    coordNames: e.dims === 3 ? ['x', 'y', 'z'] : ['x', 'y', 'score'],
    midpoints: e.midpoints ?? {},
  };
}

/** Kinect v2, NTU RGB+D. Bones as in CTR-GCN's `ntu_pairs` (root: joint 21, spine at the shoulders). */
export const NTU25 = defineLayout({
  name: 'ntu25',
  joints: [
    'spine_base', 'spine_mid', 'neck', 'head',
    'left_shoulder', 'left_elbow', 'left_wrist', 'left_hand',
    'right_shoulder', 'right_elbow', 'right_wrist', 'right_hand',
    'left_hip', 'left_knee', 'left_ankle', 'left_foot',
    'right_hip', 'right_knee', 'right_ankle', 'right_foot',
    'spine_shoulder', 'left_hand_tip', 'left_thumb', 'right_hand_tip', 'right_thumb',
  ],
  bones: [
    [1, 2], [2, 21], [3, 21], [4, 3], [5, 21], [6, 5], [7, 6], [8, 7], [9, 21], [10, 9], [11, 10], [12, 11],
    [13, 1], [14, 13], [15, 14], [16, 15], [17, 1], [18, 17], [19, 18], [20, 19], [22, 23], [23, 8], [24, 25], [25, 12],
  ],
  firstJoint: 1,
  centre: 'spine_mid', // joint 2 (1-based)
  dims: 3,
});

/** OpenPose-18 as in the Kinetics-Skeleton release (ST-GCN's `openpose` graph, centre: neck). */
export const OPENPOSE18 = defineLayout({
  name: 'openpose18',
  joints: [
    'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow', 'left_wrist',
    'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle',
    'right_eye', 'left_eye', 'right_ear', 'left_ear',
  ],
  bones: [
    [4, 3], [3, 2], [7, 6], [6, 5], [13, 12], [12, 11], [10, 9], [9, 8], [11, 5], [8, 2], [5, 1], [2, 1],
    [0, 1], [15, 0], [14, 0], [17, 15], [16, 14],
  ],
  firstJoint: 0,
  centre: 'neck',
  dims: 2,
  // COCO-17 estimators emit no neck; OpenPose places it between the shoulders.
  midpoints: { neck: ['left_shoulder', 'right_shoulder'] },
});

/** COCO-17, what YOLO-pose, MoveNet and HRNet emit (centre: nose, as pyskl's `coco` graph). */
export const COCO17 = defineLayout({
  name: 'coco17',
  joints: [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
    'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
  ],
  bones: [
    [15, 13], [13, 11], [16, 14], [14, 12], [11, 5], [12, 6], [9, 7], [7, 5], [10, 8], [8, 6],
    [5, 0], [6, 0], [1, 0], [3, 1], [2, 0], [4, 2],
  ],
  firstJoint: 0,
  centre: 'nose',
  dims: 2,
});

/**
 * Kinect v1 (Kinect for Windows SDK order), as NW-UCLA ships it. Bones as CTR-GCN's `graph/ucla.py`
 * (root: joint 3, the shoulder centre). Centre: joint 2, the spine, which is where the authors' NW-UCLA
 * feeder puts the origin (`value[0, 1, :]`) and the joint ntu25 centres on.
 */
export const KINECT20 = defineLayout({
  name: 'kinect20',
  joints: [
    'spine_base', 'spine_mid', 'spine_shoulder', 'head',
    'left_shoulder', 'left_elbow', 'left_wrist', 'left_hand',
    'right_shoulder', 'right_elbow', 'right_wrist', 'right_hand',
    'left_hip', 'left_knee', 'left_ankle', 'left_foot',
    'right_hip', 'right_knee', 'right_ankle', 'right_foot',
  ],
  bones: [
    [1, 2], [2, 3], [4, 3], [5, 3], [6, 5], [7, 6], [8, 7], [9, 3], [10, 9], [11, 10], [12, 11],
    [13, 1], [14, 13], [15, 14], [16, 15], [17, 1], [18, 17], [19, 18], [20, 19],
  ],
  firstJoint: 1,
  centre: 'spine_mid', // joint 2 (1-based)
  dims: 3,
});

/**
 * MSR Action3D's 20 joints: the same Kinect v1 body points as kinect20 in another order (rows of
 * `aXX_sYY_eZZ_skeleton3D.txt`; left and right as the dataset's `body_model.mat` names them:
 * left hip 5, left wrist 10, left ankle 16). Bones as that body model's (root: joint 7, the hip centre).
 */
export const MSR20 = defineLayout({
  name: 'msr20',
  joints: [
    'left_shoulder', 'right_shoulder', 'spine_shoulder', 'spine_mid', 'left_hip', 'right_hip', 'spine_base',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hand', 'right_hand',
    'left_knee', 'right_knee', 'left_ankle', 'right_ankle', 'left_foot', 'right_foot', 'head',
  ],
  bones: [
    [4, 7], [3, 4], [20, 3], [1, 3], [2, 3], [8, 1], [9, 2], [10, 8], [11, 9], [12, 10], [13, 11],
    [5, 7], [6, 7], [14, 5], [15, 6], [16, 14], [17, 15], [18, 16], [19, 17],
  ],
  firstJoint: 1,
  centre: 'spine_mid', // joint 4 (1-based), the body point kinect20 and ntu25 centre on
  dims: 3,
});

/**
 * Florence 3D Actions (OpenNI, 15 joints): head, neck, torso, then left arm, right arm, left leg,
 * right leg (left and right checked on the data: drinking and answering the phone raise the second
 * arm in most clips). OpenNI's neck sits between the shoulders, Kinect's shoulder centre; its torso
 * is the spine's middle; its hand and foot are the wrist and ankle region, named as Kinect's hand
 * and foot. Bones: the natural tree rooted at the torso, which is also the centre.
 */
export const FLORENCE15 = defineLayout({
  name: 'florence15',
  joints: [
    'head', 'spine_shoulder', 'spine_mid',
    'left_shoulder', 'left_elbow', 'left_hand', 'right_shoulder', 'right_elbow', 'right_hand',
    'left_hip', 'left_knee', 'left_foot', 'right_hip', 'right_knee', 'right_foot',
  ],
  bones: [
    [0, 1], [1, 2], [3, 1], [4, 3], [5, 4], [6, 1], [7, 6], [8, 7],
    [9, 2], [10, 9], [11, 10], [12, 2], [13, 12], [14, 13],
  ],
  firstJoint: 0,
  centre: 'spine_mid',
  dims: 3,
});

/** The registry. Messages list layouts in this order. */
const REGISTRY = [NTU25, OPENPOSE18, COCO17, KINECT20, MSR20, FLORENCE15] as const;

/** The name of a registered layout (`'ntu25' | 'openpose18' | …`). */
export type LayoutName = (typeof REGISTRY)[number]['name'];

/**
 * By name. No prototype: layout names come from files, and `"__proto__" in LAYOUTS` or
 * `LAYOUTS["toString"]` must not find anything.
 */
export const LAYOUTS: Readonly<Record<LayoutName, JointLayout>> = Object.freeze(Object.assign(Object.create(null), Object.fromEntries(REGISTRY.map((l) => [l.name, l]))));

/** The registered layouts' names as messages list them: `ntu25, openpose18, coco17, …`. */
export const LAYOUT_LIST: string = Object.keys(LAYOUTS).join(', ');

/** True when `name` (read from a file or a flag) is a layout's name. */
export function isLayoutName(name: unknown): name is LayoutName {
  return typeof name === 'string' && Object.hasOwn(LAYOUTS, name);
}

export function layoutByName(name: string): JointLayout {
  if (!isLayoutName(name)) throw new Error(`unknown joint layout ${JSON.stringify(name)} (expected one of ${LAYOUT_LIST})`);
  return LAYOUTS[name];
}

/** Every layout's joint count for messages: "ntu25: 25, openpose18: 18, …". */
export function jointCounts(): string {
  return REGISTRY.map((l) => `${l.name}: ${l.joints.length}`).join(', ');
}

/**
 * The layout of data with V joints per person: `hint` when it has V joints, else the one layout
 * that has. Throws a UserError starting with `where` (the file or tensor the V came from) when no
 * layout, or more than one, has V joints; `nameWith` (a flag) is how the user names one then.
 */
export function layoutForJoints(V: number, hint?: LayoutName | null, where = 'input', nameWith?: string): JointLayout {
  if (hint && LAYOUTS[hint].joints.length === V) return LAYOUTS[hint];
  const hits: JointLayout[] = REGISTRY.filter((l) => l.joints.length === V);
  if (hits.length === 1) return hits[0];
  if (hits.length === 0) throw new UserError(`${where}: no joint layout has ${V} joints per person (${jointCounts()})`);
  throw new UserError(`${where}: ${V} joints per person fit more than one joint layout (${hits.map((l) => l.name).join(', ')}), and none was named${nameWith ? `; name one with ${nameWith}` : ''}`);
}

/** Where one joint of a mapped body comes from: a joint of the source, or the midpoint of two. */
export type JointSource = { copy: number } | { midpoint: readonly [number, number] };

/**
 * How bodies in `from` become bodies in `to`: for each joint of `to`, the same-named joint of
 * `from`, or one of `to`'s midpoints of two joints `from` has. Refused between 2-D and 3-D layouts
 * (depth-camera joints and image keypoints are different signals) and when a joint of `to` has no
 * counterpart in `from`: a model would see a joint that is never there.
 */
export function jointCorrespondence(from: JointLayout, to: JointLayout): JointSource[] {
  const refuse = (why: string): never => {
    throw new UserError(`cannot map ${from.name} joints to a model trained on ${to.name}: ${why}; use a model trained on ${from.name}`);
  };
  const signal = (l: JointLayout): string => (l.dims === 3 ? '3D depth-camera joints' : '2D keypoints');
  if (from.dims !== to.dims) refuse(`${signal(from)} and ${signal(to)} are different signals`);
  const table: JointSource[] = [];
  const missing: string[] = [];
  for (const name of to.joints) {
    const source = sourceOf(name, from, to);
    if (source) table.push(source);
    else missing.push(name);
  }
  if (missing.length > 0) refuse(`${from.name} has no ${missing.join(', ')}`);
  return table;
}

function sourceOf(name: string, from: JointLayout, to: JointLayout): JointSource | null {
  const v = from.joints.indexOf(name);
  if (v >= 0) return { copy: v };
  if (!Object.hasOwn(to.midpoints, name)) return null;
  const [a, b] = to.midpoints[name].map((n) => from.joints.indexOf(n));
  return a >= 0 && b >= 0 ? { midpoint: [a, b] } : null;
}

/**
 * CTR-GCN's spatial adjacency: [identity, normalise(inward), normalise(outward)], each V×V,
 * where A[j][i] = 1 for an edge i → j and normalise(A) = A · diag(1 / column sums).
 * Returned row-major as three Float32Arrays of V·V.
 */
export function spatialAdjacency(layout: JointLayout): [Float32Array, Float32Array, Float32Array] {
  const V = layout.joints.length;
  const identity = new Float32Array(V * V);
  for (let v = 0; v < V; v++) identity[v * V + v] = 1;
  const inward = new Float32Array(V * V);
  const outward = new Float32Array(V * V);
  for (const [i, j] of layout.bones) {
    inward[j * V + i] = 1;
    outward[i * V + j] = 1;
  }
  return [identity, normaliseColumns(inward, V), normaliseColumns(outward, V)];
}

function normaliseColumns(a: Float32Array, V: number): Float32Array {
  const out = new Float32Array(V * V);
  for (let col = 0; col < V; col++) {
    let sum = 0;
    for (let row = 0; row < V; row++) sum += a[row * V + col];
    if (sum === 0) continue;
    for (let row = 0; row < V; row++) out[row * V + col] = a[row * V + col] / sum;
  }
  return out;
}
