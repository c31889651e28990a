import { MAX_COORDINATE } from './abi.ts';
import type { LayoutName } from './layouts.ts';

/**
 * One skeleton recording, frame-major: data[((t · persons + m) · joints + v) · coords + c].
 * This is the layout of a camera frame (persons × joints × coords) stacked over time, shared by the
 * loaders, the dataset cache, the preprocessing and the runtime's `push_frame`.
 * A person absent from a frame has all-zero coordinates there.
 */
export interface Sequence {
  /** The joint layout of the recording (mapped to the model's when they differ). */
  layout: LayoutName;
  /** Frames F. */
  frames: number;
  /** Person slots M per frame (an empty slot is all zeros). */
  persons: number;
  /** Joints V per person: the layout's. */
  joints: number;
  /** Values C per joint: x y z, or x y score. */
  coords: number;
  /** F × M × V × C values, frame-major (see above). */
  data: Float32Array;
  /** 0-based class index, when known. */
  label?: number;
  /** Sample name, e.g. S001C001P001R001A001. */
  name?: string;
  /** Where it came from: a file path, "synthetic", ... */
  source?: string;
}

export function frameSize(s: Pick<Sequence, 'persons' | 'joints' | 'coords'>): number {
  return s.persons * s.joints * s.coords;
}

/**
 * Where in a sequence flat index i lies, 1-based as users count: "frame 3, person 1, joint 12".
 * Errors about a value name it this way.
 */
export function locate(s: Pick<Sequence, 'persons' | 'joints' | 'coords'>, i: number): string {
  const perPerson = s.joints * s.coords;
  const frame = Math.floor(i / frameSize(s));
  const person = Math.floor((i % frameSize(s)) / perPerson);
  const joint = Math.floor((i % perPerson) / s.coords);
  return `frame ${frame + 1}, person ${person + 1}, joint ${joint + 1}, coordinate ${(i % s.coords) + 1}`;
}

/**
 * Index of the first value that is no coordinate: NaN, ±Infinity or beyond ±MAX_COORDINATE (what
 * the recognizer drops as a broken frame, runtime-as/shared/abi.ts), or -1.
 */
export function firstBadCoordinate(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    if (!(Math.abs(values[i]) <= MAX_COORDINATE)) return i; // NaN compares false too
  }
  return -1;
}

/** What is wrong with a value firstBadCoordinate found. */
export function badCoordinate(v: number): string {
  return Number.isFinite(v) ? `${v} is beyond ±${MAX_COORDINATE}, no real coordinate` : `${v} is not a finite float32`;
}

/** Index of the first NaN or ±Infinity in `values`, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    // x − x is 0 for every finite x and NaN for NaN and ±Infinity; cheaper than Number.isFinite.
    if (values[i] - values[i] !== 0) return i;
  }
  return -1;
}
