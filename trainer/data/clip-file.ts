/**
 * One clip of one person in a file of its own, as most small skeleton datasets ship (MSR Action3D,
 * Florence 3D, KARD, UTKinect): text with one joint per row (`x y z`, or `x y z c` with a confidence
 * c) or one frame per row (V × 3 or V × 4 values), separated by spaces, tabs or commas, LF or CRLF;
 * or a `.npy` of shape (frames, V, 3 | 4) or (frames, V·3 | V·4). A fourth value per joint is a
 * tracking confidence, which a 3-D layout does not carry: it is dropped. Frames whose every joint is
 * (0, 0, 0) are the sensor's "no body": dropped, as `prepare ntu` drops frames without a body.
 */
import { UserError, atField } from 'cocodiff-runtime/shared/errors';
import { readNpy } from 'cocodiff-runtime/shared/formats/npy';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export interface ClipFrames {
  /** Frames kept (the all-zero ones dropped). */
  frames: number;
  /** frames × joints × 3 values (x y z), multiplied by the scale. */
  data: Float32Array;
  /** Frames the file holds, the dropped ones included. */
  framesInFile: number;
}

/** How a clip file's values become coordinates. */
export interface ClipReadOptions {
  joints: number;
  /** Multiplies every coordinate (0.001: millimetres to metres). */
  scale?: number;
}

/**
 * Reads a clip file; null when every frame is all zeros (a clip with no body in it).
 * Throws a UserError naming the file (and line, for text) when its values are not frames of `joints` joints.
 */
export async function readClipFile(path: string, o: ClipReadOptions): Promise<ClipFrames | null> {
  const { values, perJoint, framesInFile } = path.toLowerCase().endsWith('.npy') ? await npyValues(path, o.joints) : textValues(await readInputText(path, 'the clip'), path, o.joints);
  return keepBodyFrames(values, perJoint, framesInFile, o);
}

function keepBodyFrames(values: Float64Array | Float32Array, perJoint: number, framesInFile: number, o: ClipReadOptions): ClipFrames | null {
  const V = o.joints;
  const scale = o.scale ?? 1;
  const kept: number[] = [];
  for (let t = 0; t < framesInFile; t++) {
    let any = false;
    for (let v = 0; v < V && !any; v++) for (let c = 0; c < 3; c++) if (values[(t * V + v) * perJoint + c] !== 0) any = true;
    if (any) kept.push(t);
  }
  if (kept.length === 0) return null;
  const data = new Float32Array(kept.length * V * 3);
  kept.forEach((t, k) => {
    for (let v = 0; v < V; v++) for (let c = 0; c < 3; c++) data[(k * V + v) * 3 + c] = values[(t * V + v) * perJoint + c] * scale;
  });
  return { frames: kept.length, data, framesInFile };
}

/** Text rows: every row of one width, either one joint (3 or 4 values) or one frame (V × 3 or V × 4). */
function textValues(text: string, path: string, V: number): { values: Float64Array; perJoint: number; framesInFile: number } {
  const rows: number[][] = [];
  let width = 0;
  let firstLine = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const tokens = line.split(/[\s,]+/);
    const row = tokens.map((tok, k) => {
      const x = Number(tok);
      if (!Number.isFinite(x)) throw new UserError(`${path}:${i + 1}: value ${k + 1} is ${JSON.stringify(tok)}, expected a finite number`);
      return x;
    });
    if (rows.length === 0) {
      width = row.length;
      firstLine = i + 1;
      if (![3, 4, 3 * V, 4 * V].includes(width)) {
        throw new UserError(`${path}:${i + 1}: ${width} values; expected one joint per row (3 values x y z, or 4 with a confidence) or one frame of ${V} joints per row (${3 * V} or ${4 * V} values)`);
      }
    } else if (row.length !== width) {
      throw new UserError(`${path}:${i + 1}: ${row.length} values, while line ${firstLine} has ${width} (every row holds one ${width <= 4 ? 'joint' : 'frame'})`);
    }
    rows.push(row);
  }
  if (rows.length === 0) throw new UserError(`${path}: no values (expected frames of ${V} joints, one joint or one frame per row)`);
  const jointRows = width <= 4;
  if (jointRows && rows.length % V !== 0) {
    throw new UserError(`${path}: ${rows.length} joint rows are not whole frames of ${V} joints (${Math.floor(rows.length / V)} frames and ${rows.length % V} rows over); is it a ${V}-joint layout?`);
  }
  return { values: Float64Array.from(rows.flat()), perJoint: jointRows ? width : width / V, framesInFile: jointRows ? rows.length / V : rows.length };
}

async function npyValues(path: string, V: number): Promise<{ values: Float32Array; perJoint: number; framesInFile: number }> {
  const a = await readNpy(path);
  const s = a.shape;
  if (s.length === 3 && s[1] === V && (s[2] === 3 || s[2] === 4)) return { values: a.data, perJoint: s[2], framesInFile: s[0] };
  if (s.length === 2 && (s[1] === 3 * V || s[1] === 4 * V)) return { values: a.data, perJoint: s[1] / V, framesInFile: s[0] };
  throw atField(path, 'shape', `expected (frames, ${V}, 3 or 4) or (frames, ${3 * V} or ${4 * V}) for ${V} joints, found (${s.join(', ')})`);
}
