/**
 * The newline-delimited JSON frame format of `cocodiff stream -` (one camera frame per line):
 *
 *   {"t": 1234.5, "layout": "coco17", "bodies": [BODY, BODY, ...]}
 *   [BODY, BODY, ...]                       (the same, bodies only)
 *
 * BODY is one person: [[x, y, z], ...] or [{"x":..,"y":..,"z":..}, ...] per joint, or a flat
 * [x0, y0, z0, x1, ...] (2D layouts: score in place of z). `t` (milliseconds, optional) is the
 * capture time; `layout` (optional) names the source layout when it differs from the model's.
 * An empty `bodies` list is a frame with nobody in view. Blank lines are ignored.
 */
import { UserError } from '../shared/errors.ts';
import { LIMITS } from '../shared/limits.ts';
import { isLayoutName, LAYOUT_LIST, type LayoutName } from '../shared/layouts.ts';
import type { Body } from './adapters.ts';
import { parseJson } from '../shared/json-fields.ts';

/** One line of the NDJSON frame format, parsed. */
export interface NdjsonFrame {
  /** Capture time in milliseconds, when the line gives one. */
  t?: number;
  /** The layout the bodies are in, when the line names one (it may differ from the model's). */
  layout?: LayoutName;
  /** The persons in view; empty when nobody is. */
  bodies: Body[];
}

/** Parses one line; null for a blank line. `where` is e.g. "stdin:12". */
export function parseFrameLine(line: string, where: string): NdjsonFrame | null {
  if (line.length > LIMITS.ndjsonLineChars) throw new UserError(`${where}: a line of more than ${LIMITS.ndjsonLineChars} characters (LIMITS.ndjsonLineChars); expected one frame per line`);
  if (line.trim() === '') return null;
  let v: unknown;
  try {
    v = parseJson(line, where);
  } catch (err) {
    throw new UserError(`${(err as Error).message}; expected one frame per line`);
  }
  if (Array.isArray(v)) return { bodies: v as Body[] };
  const o = v as { t?: unknown; layout?: unknown; bodies?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.bodies)) throw new UserError(`${where}: expected {"bodies": [...]} or a list of bodies`);
  if (o.t !== undefined && typeof o.t !== 'number') throw new UserError(`${where}: field "t": expected milliseconds as a number`);
  if (o.layout !== undefined && !isLayoutName(o.layout)) {
    throw new UserError(`${where}: field "layout": expected one of ${LAYOUT_LIST}, found ${JSON.stringify(o.layout)}`);
  }
  return { t: o.t as number | undefined, layout: o.layout as LayoutName | undefined, bodies: o.bodies as Body[] };
}
