/**
 * Input adapters: what cameras and pose estimators hand out → the recognizer's frame [M][V][C].
 *
 * A body is one tracked person, given as any of
 *   - a flat list of V·C numbers (x y z per joint for Kinect; x y score for 2D estimators),
 *   - a list of V joints, each [x, y, z] / [x, y, score],
 *   - a list of V joints, each {x, y, z} or {x, y, score}.
 * A frame is a list of bodies; the first M become the recognizer's persons, missing ones are zeros.
 *
 * Layout mapping (when the source's layout differs from the model's): the joint correspondence of
 * the layout registry (runtime-as/shared/layouts.ts): same-named joints copied, a joint the source lacks made
 * from the midpoint of two it has (OpenPose's neck between COCO's shoulders; absent if either is),
 * 2D ↔ 3D refused.
 */
import { UserError } from '../shared/errors.ts';
import { isLayoutName, jointCorrespondence, LAYOUT_LIST, LAYOUTS, type JointLayout, type LayoutName } from '../shared/layouts.ts';

/** One joint: [x, y, z] or {x, y, z}; 2D layouts give a score in place of z. */
export type JointValue = ArrayLike<number> | {
  /** The joint's x coordinate. */
  x: number;
  /** The joint's y coordinate. */
  y: number;
  /** Depth, for 3D layouts (ntu25). */
  z?: number;
  /** The pose estimator's confidence, in place of z for 2D layouts. */
  score?: number;
};
/** One tracked person: a flat list of joints × coordinates numbers, or a list of {@link JointValue} joints, in layout order. */
export type Body = ArrayLike<number> | ArrayLike<JointValue>;

/** The shape of one recognizer frame [M][V][C] and the layout of its joints. */
export interface FrameShape {
  /** The joint layout the frame is in. */
  layout: LayoutName;
  /** Person slots (M). */
  persons: number;
  /** Joints per person (V). */
  joints: number;
  /** Coordinates per joint (C). */
  coords: number;
}

/** A value for an error message: short and printable. */
const shown = (v: unknown): string => {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    // JSON cannot spell a BigInt, or an object holding one or holding itself.
    text = typeof v === 'bigint' ? `${v}n` : Array.isArray(v) ? `a list of ${v.length}` : typeof v;
  }
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
};

/**
 * Reads one body into V·C floats of the given layout's joint count. Nothing is coerced: a value
 * must be a number ("0.5" and true are refused), and a joint must give all C coordinates (an
 * [x, y] joint for a model of x y z is refused, not padded with z = 0).
 */
function readBody(body: Body, V: number, C: number, what: string): Float32Array {
  const out = new Float32Array(V * C);
  if (!body || typeof body !== 'object' || typeof body.length !== 'number') throw new UserError(`${what}: expected a list of joints or of numbers, found ${shown(body)}`);
  const n = body.length;
  const coord = (v: number, c: number, x: unknown, name: string): void => {
    if (typeof x !== 'number') throw new UserError(`${what}: joint ${v} ${name}: expected a number, found ${shown(x)}`);
    out[v * C + c] = x;
  };
  if (n > 0 && typeof body[0] !== 'object') {
    if (n !== V * C) throw new UserError(`${what}: ${n} numbers, expected ${V} joints × ${C} coordinates = ${V * C}`);
    for (let i = 0; i < n; i++) coord(Math.floor(i / C), i % C, body[i], `coordinate ${i % C}`);
    return out;
  }
  if (n !== V) throw new UserError(`${what}: ${n} joints, expected ${V}`);
  const third = C > 2 ? 'z (or score)' : '';
  for (let v = 0; v < V; v++) {
    const j = body[v] as unknown;
    if (Array.isArray(j) || ArrayBuffer.isView(j)) {
      const a = j as ArrayLike<unknown>;
      if (a.length !== C) throw new UserError(`${what}: joint ${v} has ${a.length} values, expected ${C}${C === 3 ? ' ([x, y, z], or [x, y, score] for 2D layouts)' : ''}`);
      for (let c = 0; c < C; c++) coord(v, c, a[c], `coordinate ${c}`);
    } else if (j && typeof j === 'object') {
      const o = j as Record<string, unknown>;
      coord(v, 0, o.x, 'x');
      if (C > 1) coord(v, 1, o.y, 'y');
      if (C > 2) coord(v, 2, o.z ?? o.score, third);
    } else {
      throw new UserError(`${what}: joint ${v} is ${shown(j)}, expected [x, y, z] or {x, y, z}`);
    }
  }
  return out;
}

/**
 * Maps one body's joints from `from` to `to` (see above). A midpoint averages the first `to.dims`
 * coordinates and keeps the lower score, so a made-up joint is never more certain than its sources.
 */
export function mapBody(body: Float32Array, from: JointLayout, to: JointLayout, C: number): Float32Array {
  if (from.name === to.name) return body;
  const out = new Float32Array(to.joints.length * C);
  const present = (v: number): boolean => body.subarray(v * C, v * C + C).some((x) => x !== 0);
  jointCorrespondence(from, to).forEach((src, v) => {
    if ('copy' in src) {
      out.set(body.subarray(src.copy * C, src.copy * C + C), v * C);
      return;
    }
    const [a, b] = src.midpoint;
    if (!present(a) || !present(b)) return;
    for (let c = 0; c < C; c++) out[v * C + c] = c < to.dims ? (body[a * C + c] + body[b * C + c]) / 2 : Math.min(body[a * C + c], body[b * C + c]);
  });
  return out;
}

/**
 * Builds one recognizer frame [M][V][C] from the bodies of one camera frame, written into `out`.
 * `source` is the layout the bodies are in (default: the model's own).
 */
export function frameFromBodies(bodies: ArrayLike<Body>, shape: FrameShape, source: LayoutName = shape.layout, out: Float32Array = new Float32Array(shape.persons * shape.joints * shape.coords)): Float32Array {
  if (!isLayoutName(source)) throw new UserError(`unknown source layout ${shown(source)} (expected one of ${LAYOUT_LIST})`);
  const from = LAYOUTS[source];
  const to = LAYOUTS[shape.layout];
  out.fill(0);
  const person = shape.joints * shape.coords;
  const kept = Math.min(bodies.length, shape.persons);
  for (let m = 0; m < kept; m++) {
    const body = readBody(bodies[m], from.joints.length, shape.coords, `body ${m} (${from.name}, ${from.joints.length} joints)`);
    out.set(mapBody(body, from, to, shape.coords), m * person);
  }
  return out;
}
