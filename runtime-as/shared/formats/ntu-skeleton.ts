/**
 * NTU RGB+D raw `.skeleton` files (Kinect v2 body frames as text, LF or CRLF):
 *
 *   frameCount
 *   per frame:  bodyCount
 *     per body: bodyID clippedEdges handLeftConfidence handLeftState handRightConfidence
 *               handRightState isRestricted leanX leanY trackingState          (10 values)
 *               jointCount                                                      (25)
 *               25 × "x y z depthX depthY colorX colorY orientW orientX orientY orientZ trackingState"
 *
 * Only the camera-space x y z of each joint is kept. A file is at most a few MB (300 frames of a
 * few bodies), so it is read whole and parsed line by line; the parallelism that matters is across
 * files (see prepare.ts).
 */
import { readInputBytes } from './read-input.ts';
import { atLine } from '../errors.ts';
import type { Sequence } from '../sequence.ts';
import { NTU25 } from '../layouts.ts';
import { parseNtuName } from './ntu-name.ts';

const JOINTS = NTU25.joints.length;
const BODY_INFO_VALUES = 10;
const JOINT_VALUES = 12;
/** Bodies kept per sample, as every NTU benchmark does. */
export const NTU_PERSONS = 2;

/** One tracked body: its frames (indices into the file's frames) and x y z per joint per frame. */
interface Body {
  frames: number[];
  xyz: number[];
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The value of the decimal text b[s..e) when it is [±]digits[.digits][(e|E)[±]digits] with 1 to 15
 * digits and a power of ten within ±22: then mantissa / 10^k (or mantissa · 10^k) is exact in both
 * operands and so exactly Number()'s correctly rounded result. Anything else (more digits, larger
 * powers, malformed text) is undefined: left to Number(). Every value a Kinect export writes
 * ("-0.2059419", "277.419", "2") takes this path (why it exists: see Lines).
 */
export function simpleDecimal(b: Uint8Array, s: number, e: number): number | undefined {
  let i = s;
  let neg = false;
  if (b[i] === 45 || b[i] === 43) neg = b[i++] === 45;
  let mant = 0;
  let digits = 0;
  let frac = 0;
  while (i < e && b[i] >= 48 && b[i] <= 57) { mant = mant * 10 + (b[i++] - 48); digits++; }
  if (i < e && b[i] === 46) {
    i++;
    while (i < e && b[i] >= 48 && b[i] <= 57) { mant = mant * 10 + (b[i++] - 48); digits++; frac++; }
  }
  let exp = 0;
  if (i < e && (b[i] === 101 || b[i] === 69)) {
    i++;
    let eneg = false;
    if (b[i] === 45 || b[i] === 43) eneg = b[i++] === 45;
    const es = i;
    while (i < e && b[i] >= 48 && b[i] <= 57) exp = exp * 10 + (b[i++] - 48);
    if (i === es) return undefined;
    if (eneg) exp = -exp;
  }
  const p = exp - frac;
  if (i !== e || digits === 0 || digits > 15 || p > 22 || p < -22) return undefined;
  const v = p >= 0 ? mant * POW10[p] : mant / POW10[-p];
  return neg ? -v : v;
}

/**
 * Walks the lines of one file, so every error can say where it happened and what it wanted.
 * Works on the raw bytes: a file of 300 frames × 2 bodies is ~16k lines of 12 numbers, and slicing
 * each into strings for Number() made parsing about twice as slow as reading digits in place.
 */
class Lines {
  private pos = 0;
  private line = 0;
  private start = 0;
  private end = 0;

  constructor(private readonly buf: Uint8Array, private readonly file: string) {}

  get lineNo(): number {
    return this.line;
  }

  /** Moves to the next line (without its CR LF or LF); false at the end of the file. */
  private advance(): boolean {
    const b = this.buf;
    if (this.pos >= b.length) return false;
    let e = b.indexOf(10, this.pos);
    if (e < 0) e = b.length;
    this.start = this.pos;
    this.end = e > this.pos && b[e - 1] === 13 ? e - 1 : e;
    this.pos = e + 1;
    this.line++;
    return true;
  }

  private fail(message: string): never {
    throw atLine(this.file, this.line, message);
  }

  private need(what: string): void {
    if (!this.advance()) throw atLine(this.file, this.line + 1, `file ends early: expected ${what} (truncated file?)`);
  }

  /** Token boundaries of the current line: [s0, e0, s1, e1, ...]. */
  private split(): number[] {
    const b = this.buf;
    const bounds: number[] = [];
    let i = this.start;
    while (i < this.end) {
      while (i < this.end && (b[i] === 32 || b[i] === 9)) i++;
      if (i >= this.end) break;
      const s = i;
      while (i < this.end && b[i] !== 32 && b[i] !== 9) i++;
      bounds.push(s, i);
    }
    return bounds;
  }

  private checkCount(bounds: number[], count: number, what: string): void {
    const found = bounds.length / 2;
    if (found !== count) this.fail(`expected ${what} (${count} value${count > 1 ? 's' : ''}), found ${found} value${found === 1 ? '' : 's'}`);
  }

  private text(s: number, e: number): string {
    return String.fromCharCode(...this.buf.subarray(s, e));
  }

  /** The next line as `count` strings. */
  tokens(count: number, what: string): string[] {
    this.need(what);
    const bounds = this.split();
    this.checkCount(bounds, count, what);
    const out: string[] = [];
    for (let k = 0; k < bounds.length; k += 2) out.push(this.text(bounds[k], bounds[k + 1]));
    return out;
  }

  /** The next line as `count` numbers finite in float32, written to out[0..count). */
  numbers(count: number, what: string, out: Float64Array): void {
    this.need(what);
    const bounds = this.split();
    this.checkCount(bounds, count, what);
    for (let k = 0; k < count; k++) {
      const v = this.number(bounds[2 * k], bounds[2 * k + 1]);
      // Checked as the float32 it becomes: 1e39 is a finite double but Infinity as a float32.
      if (!Number.isFinite(Math.fround(v))) this.fail(`${what}: value ${k + 1} should be a finite float32 number, found "${this.text(bounds[2 * k], bounds[2 * k + 1])}"`);
      out[k] = v;
    }
  }

  /** The number b[s..e): read in place when simpleDecimal can, else by Number() (which gives NaN for "nan", "abc"). */
  private number(s: number, e: number): number {
    return simpleDecimal(this.buf, s, e) ?? Number(this.text(s, e));
  }

  /** Parses a count line: a non-negative integer, optionally required to equal `expected`. */
  count(what: string, expected?: number): number {
    const [tok] = this.tokens(1, what);
    // Decimal digits only: Number() would also read "0x2", "1e3" and "2.0" as counts.
    const n = /^\d+$/.test(tok) ? Number(tok) : NaN;
    if (!Number.isSafeInteger(n)) this.fail(`expected ${what} (a non-negative integer), found "${tok}"`);
    if (expected !== undefined && n !== expected) this.fail(`expected ${what} = ${expected}, found ${n}`);
    return n;
  }

  /** Anything left after the last declared frame means the counts do not describe the file. */
  finish(frames: number): void {
    while (this.advance()) {
      if (this.split().length > 0) this.fail(`expected end of file after the ${frames} frames the first line declares, found more lines (a body or frame count that does not match?)`);
    }
  }
}

function readBodies(bytes: Uint8Array, file: string): { frameCount: number; bodies: Body[] } {
  const lines = new Lines(bytes, file);
  const values = new Float64Array(JOINT_VALUES);
  const frameCount = lines.count('the frame count');
  const byId = new Map<string, Body>();
  for (let f = 0; f < frameCount; f++) {
    const bodyCount = lines.count(`the body count of frame ${f + 1}`);
    for (let b = 0; b < bodyCount; b++) {
      const where = `frame ${f + 1} of ${frameCount}, body ${b + 1} of ${bodyCount}`;
      const info = lines.tokens(BODY_INFO_VALUES, `the body info line of ${where}`);
      lines.count(`the joint count of ${where}`, JOINTS);
      let body = byId.get(info[0]);
      if (!body) byId.set(info[0], (body = { frames: [], xyz: [] }));
      if (body.frames[body.frames.length - 1] === f) throw atLine(file, lines.lineNo, `body ${info[0]} appears twice in frame ${f + 1}`);
      body.frames.push(f);
      for (let v = 0; v < JOINTS; v++) {
        lines.numbers(JOINT_VALUES, `joint ${v + 1} of 25 of ${where}`, values);
        body.xyz.push(values[0], values[1], values[2]);
      }
    }
  }
  lines.finish(frameCount);
  return { frameCount, bodies: [...byId.values()] };
}

/**
 * How much a body moves: motion(b) = Σ_{c ∈ x,y,z} Var_c, where Var_c is the population variance of
 * coordinate c over all (frame, joint) pairs of the frames body b appears in — the measure of
 * CTR-GCN's NTU preprocessing (np.sum(np.var(joints.reshape(-1, 3), axis=0))). Noise bodies that stand
 * still or flicker for a frame score low; performers score high.
 */
export function bodyMotion(xyz: ArrayLike<number>): number {
  const n = xyz.length / 3;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    let sum = 0;
    let sumSq = 0;
    for (let i = c; i < xyz.length; i += 3) sum += xyz[i];
    const mean = sum / n;
    for (let i = c; i < xyz.length; i += 3) sumSq += (xyz[i] - mean) ** 2;
    total += sumSq / n;
  }
  return total;
}

/**
 * Parses the bytes of one `.skeleton` file into a Sequence (ntu25, 2 persons, x y z). Bodies are
 * matched across frames by bodyID; with more than 2, the 2 that move most are kept (slot 0 = most);
 * frames where no kept body appears are dropped.
 */
export function parseSkeleton(bytes: Uint8Array, file: string): Sequence {
  const { frameCount, bodies } = readBodies(bytes, file);
  const kept = bodies
    .map((b, order) => ({ b, order, motion: bodyMotion(b.xyz) }))
    .sort((p, q) => q.motion - p.motion || p.order - q.order)
    .slice(0, NTU_PERSONS)
    .map((p) => p.b);
  // Frame f of the file becomes frame frameIndex[f] of the sequence, or −1 if nobody kept is in it.
  const present = new Uint8Array(frameCount);
  for (const b of kept) for (const f of b.frames) present[f] = 1;
  const frameIndex = new Int32Array(frameCount).fill(-1);
  let frames = 0;
  for (let f = 0; f < frameCount; f++) if (present[f]) frameIndex[f] = frames++;
  if (frames === 0) throw atLine(file, 1, 'no frame holds a body: expected at least one tracked body');
  const frameFloats = NTU_PERSONS * JOINTS * 3;
  const data = new Float32Array(frames * frameFloats);
  kept.forEach((b, m) => {
    b.frames.forEach((f, k) => {
      data.set(b.xyz.slice(k * JOINTS * 3, (k + 1) * JOINTS * 3), frameIndex[f] * frameFloats + m * JOINTS * 3);
    });
  });
  const ntu = parseNtuName(file);
  const name = file.replace(/^.*[\\/]/, '').replace(/\.skeleton$/, '');
  return {
    layout: 'ntu25', frames, persons: NTU_PERSONS, joints: JOINTS, coords: 3, data,
    ...(ntu ? { label: ntu.action - 1 } : {}),
    name, source: file,
  };
}

/** Loads one `.skeleton` file. The label is the file name's action − 1 when the name follows NTU's pattern. */
export async function loadSkeletonFile(path: string): Promise<Sequence> {
  return parseSkeleton(await readInputBytes(path, 'the NTU .skeleton file'), path);
}
