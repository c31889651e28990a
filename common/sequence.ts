import type { LayoutName } from './layouts.ts';

/**
 * One skeleton recording, frame-major: data[((t · persons + m) · joints + v) · coords + c].
 * This is the layout of a camera frame (persons × joints × coords) stacked over time, shared by the
 * loaders, the dataset cache, the preprocessing and the runtime's `push_frame`.
 * A person absent from a frame has all-zero coordinates there.
 */
export interface Sequence {
  layout: LayoutName;
  frames: number;
  persons: number;
  joints: number;
  coords: number;
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
