/**
 * Joint layouts: the one source of truth for joint names, bones and the centre joint,
 * imported by the trainer, the compiler and the runtime host. Indices are 0-based.
 *
 * `parents[v]` is the joint that bone v points from (bone modality: joint[v] − joint[parents[v]]);
 * the root's parent is itself, so its bone is zero. The inward edges of the graph are
 * (v, parents[v]) for every v except the root, as in CTR-GCN's graph definitions.
 */
export type LayoutName = 'ntu25' | 'openpose18' | 'coco17';

export interface JointLayout {
  readonly name: LayoutName;
  readonly joints: readonly string[];
  readonly parents: readonly number[];
  /** Joint whose position at the first frame of person 0 becomes the origin. */
  readonly centre: number;
  /** Coordinates stored per joint: 3 = x y z (depth cameras), 3 = x y score (2D pose). */
  readonly coords: 3;
  readonly coordNames: readonly [string, string, string];
}

/** Builds parents from 1-based (child, parent) pairs as the published graphs write them. */
function parentsFrom(count: number, pairs: ReadonlyArray<readonly [number, number]>, oneBased: boolean): number[] {
  const off = oneBased ? 1 : 0;
  const parents = Array.from({ length: count }, (_, v) => v);
  for (const [c, p] of pairs) parents[c - off] = p - off;
  return parents;
}

/** Kinect v2, NTU RGB+D. Bones as in CTR-GCN's `ntu_pairs` (root: joint 21, spine at the shoulders). */
export const NTU25: JointLayout = {
  name: 'ntu25',
  joints: [
    'spine_base', 'spine_mid', 'neck', 'head',
    'left_shoulder', 'left_elbow', 'left_wrist', 'left_hand',
    'right_shoulder', 'right_elbow', 'right_wrist', 'right_hand',
    'left_hip', 'left_knee', 'left_ankle', 'left_foot',
    'right_hip', 'right_knee', 'right_ankle', 'right_foot',
    'spine_shoulder', 'left_hand_tip', 'left_thumb', 'right_hand_tip', 'right_thumb',
  ],
  parents: parentsFrom(25, [
    [1, 2], [2, 21], [3, 21], [4, 3], [5, 21], [6, 5], [7, 6], [8, 7], [9, 21], [10, 9], [11, 10], [12, 11],
    [13, 1], [14, 13], [15, 14], [16, 15], [17, 1], [18, 17], [19, 18], [20, 19], [22, 23], [23, 8], [24, 25], [25, 12],
  ], true),
  centre: 1, // joint 2 (1-based), middle of the spine
  coords: 3,
  coordNames: ['x', 'y', 'z'],
};

/** OpenPose-18 as in the Kinetics-Skeleton release (ST-GCN's `openpose` graph, centre: neck). */
export const OPENPOSE18: JointLayout = {
  name: 'openpose18',
  joints: [
    'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow', 'left_wrist',
    'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle',
    'right_eye', 'left_eye', 'right_ear', 'left_ear',
  ],
  parents: parentsFrom(18, [
    [4, 3], [3, 2], [7, 6], [6, 5], [13, 12], [12, 11], [10, 9], [9, 8], [11, 5], [8, 2], [5, 1], [2, 1],
    [0, 1], [15, 0], [14, 0], [17, 15], [16, 14],
  ], false),
  centre: 1,
  coords: 3,
  coordNames: ['x', 'y', 'score'],
};

/** COCO-17, what YOLO-pose, MoveNet and HRNet emit (centre: nose, as pyskl's `coco` graph). */
export const COCO17: JointLayout = {
  name: 'coco17',
  joints: [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
    'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
  ],
  parents: parentsFrom(17, [
    [15, 13], [13, 11], [16, 14], [14, 12], [11, 5], [12, 6], [9, 7], [7, 5], [10, 8], [8, 6],
    [5, 0], [6, 0], [1, 0], [3, 1], [2, 0], [4, 2],
  ], false),
  centre: 0,
  coords: 3,
  coordNames: ['x', 'y', 'score'],
};

/**
 * By name. No prototype: layout names come from files, and `"__proto__" in LAYOUTS` or
 * `LAYOUTS["toString"]` must not find anything.
 */
export const LAYOUTS: Readonly<Record<LayoutName, JointLayout>> = Object.freeze(Object.assign(Object.create(null), { ntu25: NTU25, openpose18: OPENPOSE18, coco17: COCO17 }));

/** True when `name` (read from a file or a flag) is a layout's name. */
export function isLayoutName(name: unknown): name is LayoutName {
  return typeof name === 'string' && Object.hasOwn(LAYOUTS, name);
}

export function layoutByName(name: string): JointLayout {
  if (!isLayoutName(name)) throw new Error(`unknown joint layout ${JSON.stringify(name)} (expected one of ${Object.keys(LAYOUTS).join(', ')})`);
  return LAYOUTS[name];
}

/** Inward edges (child → parent), the root's self-loop left out. */
export function inwardEdges(layout: JointLayout): Array<[number, number]> {
  return layout.parents.flatMap((p, v) => (p === v ? [] : [[v, p] as [number, number]]));
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
  for (const [i, j] of inwardEdges(layout)) {
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

/** 3D layouts (x y z) centre and rotate all three coords; 2D layouts (x y score) only x and y. */
export function centreCoords(layout: JointLayout): 2 | 3 {
  return layout.coordNames[2] === 'z' ? 3 : 2;
}
