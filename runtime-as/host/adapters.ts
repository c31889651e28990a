/**
 * Input adapters: what cameras and pose estimators hand out → the recognizer's frame [M][V][C].
 *
 * A body is one tracked person, given as any of
 *   - a flat list of V·C numbers (x y z per joint for Kinect; x y score for 2D estimators),
 *   - a list of V joints, each [x, y, z] / [x, y, score],
 *   - a list of V joints, each {x, y, z} or {x, y, score}.
 * A frame is a list of bodies; the first M become the recognizer's persons, missing ones are zeros.
 *
 * Layout mapping (when the source's layout differs from the model's, by joint name):
 *   coco17 → openpose18: same-named joints copied; neck = midpoint of the shoulders (x, y) with the
 *                        lower of their two scores, or absent if either shoulder is.
 *   openpose18 → coco17: same-named joints copied; the neck is dropped.
 *   ntu25 ↔ 2D layouts:  refused (3D depth joints and 2D image keypoints are different signals).
 */
import { UserError } from '../../common/errors.ts';
import { LAYOUTS, type JointLayout, type LayoutName } from '../../common/layouts.ts';

export type JointValue = ArrayLike<number> | { x: number; y: number; z?: number; score?: number };
export type Body = ArrayLike<number> | ArrayLike<JointValue>;

export interface FrameShape {
  layout: LayoutName;
  persons: number;
  joints: number;
  coords: number;
}

/** Reads one body into V·C floats of the given layout's joint count. */
function readBody(body: Body, V: number, C: number, what: string): Float32Array {
  const out = new Float32Array(V * C);
  const n = body.length;
  if (n > 0 && typeof body[0] === 'number') {
    if (n !== V * C) throw new UserError(`${what}: ${n} numbers, expected ${V} joints × ${C} coordinates = ${V * C}`);
    for (let i = 0; i < n; i++) out[i] = Number(body[i]);
    return out;
  }
  if (n !== V) throw new UserError(`${what}: ${n} joints, expected ${V}`);
  for (let v = 0; v < V; v++) {
    const j = body[v] as JointValue;
    if (j && typeof j === 'object' && 'x' in j) {
      out[v * C] = j.x;
      out[v * C + 1] = j.y;
      if (C > 2) out[v * C + 2] = j.z ?? j.score ?? 0;
    } else if (j && typeof (j as ArrayLike<number>).length === 'number' && (j as ArrayLike<number>).length >= Math.min(C, 2)) {
      for (let c = 0; c < C; c++) out[v * C + c] = Number((j as ArrayLike<number>)[c] ?? 0);
    } else {
      throw new UserError(`${what}: joint ${v} is ${JSON.stringify(j)}, expected [x, y, z] or {x, y, z}`);
    }
  }
  return out;
}

/** Maps one body's joints from `from` to `to` (see the table above). */
export function mapBody(body: Float32Array, from: JointLayout, to: JointLayout, C: number): Float32Array {
  if (from.name === to.name) return body;
  if (from.name === 'ntu25' || to.name === 'ntu25') {
    throw new UserError(`cannot map ${from.name} joints to a model trained on ${to.name}: 3D depth-camera joints and 2D keypoints are different signals; use a model trained on ${from.name}`);
  }
  const out = new Float32Array(to.joints.length * C);
  const present = (v: number): boolean => body.subarray(v * C, v * C + C).some((x) => x !== 0);
  to.joints.forEach((name, v) => {
    const src = from.joints.indexOf(name);
    if (src >= 0) {
      out.set(body.subarray(src * C, src * C + C), v * C);
    } else if (name === 'neck') {
      const l = from.joints.indexOf('left_shoulder');
      const r = from.joints.indexOf('right_shoulder');
      if (!present(l) || !present(r)) return;
      out[v * C] = (body[l * C] + body[r * C]) / 2;
      out[v * C + 1] = (body[l * C + 1] + body[r * C + 1]) / 2;
      if (C > 2) out[v * C + 2] = Math.min(body[l * C + 2], body[r * C + 2]);
    }
  });
  return out;
}

/**
 * Builds one recognizer frame [M][V][C] from the bodies of one camera frame, written into `out`.
 * `source` is the layout the bodies are in (default: the model's own).
 */
export function frameFromBodies(bodies: ArrayLike<Body>, shape: FrameShape, source: LayoutName = shape.layout, out: Float32Array<ArrayBufferLike> = new Float32Array(shape.persons * shape.joints * shape.coords)): Float32Array<ArrayBufferLike> {
  const from = LAYOUTS[source];
  const to = LAYOUTS[shape.layout];
  if (!from) throw new UserError(`unknown source layout "${source}" (expected one of ${Object.keys(LAYOUTS).join(', ')})`);
  out.fill(0);
  const person = shape.joints * shape.coords;
  const kept = Math.min(bodies.length, shape.persons);
  for (let m = 0; m < kept; m++) {
    const body = readBody(bodies[m], from.joints.length, shape.coords, `body ${m} (${from.name}, ${from.joints.length} joints)`);
    out.set(mapBody(body, from, to, shape.coords), m * person);
  }
  return out;
}
