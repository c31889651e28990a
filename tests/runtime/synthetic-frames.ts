/**
 * Seeded skeleton recordings with what cameras do: frames with nobody, a second person who comes
 * and goes, person 0 missing at the start (or entirely), for the runtime's parity tests.
 */
import { Rng } from '../../common/rng.ts';
import { LAYOUTS, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';

export interface RecordingOptions {
  layout: LayoutName;
  frames: number;
  persons: number;
  seed: number;
  /** Person 0 never appears (the origin falls back to another person). */
  noPerson0?: boolean;
  /** When persons 0 and 1 enter, as fractions of the recording (default 0.1 and 0.3). */
  enter?: [number, number];
}

export function recording(o: RecordingOptions): Sequence {
  const rng = new Rng(o.seed);
  const V = LAYOUTS[o.layout].joints.length;
  const C = 3;
  const data = new Float32Array(o.frames * o.persons * V * C);
  const [enter0, enter1] = o.enter ?? [0.1, 0.3];
  const enter = [o.noPerson0 ? o.frames : Math.floor(o.frames * enter0), Math.floor(o.frames * enter1)];
  const leave = [o.frames, Math.floor(o.frames * 0.8)];
  const base = Array.from({ length: o.persons * V * C }, () => rng.normal());
  for (let f = 0; f < o.frames; f++) {
    if (rng.next() < 0.1) continue; // nobody tracked in this frame
    for (let m = 0; m < o.persons; m++) {
      if (f < (enter[m] ?? 0) || f >= (leave[m] ?? o.frames)) continue;
      for (let i = 0; i < V * C; i++) {
        data[((f * o.persons + m) * V * C) + i] = base[m * V * C + i] + 0.3 * Math.sin(0.1 * f + i) + 0.05 * rng.normal() + (i % 3 === 0 ? 2 : 0);
      }
    }
  }
  return { layout: o.layout, frames: o.frames, persons: o.persons, joints: V, coords: C, data, name: `rec-${o.seed}` };
}

/** Frames [from, to) of a sequence. */
export function sliceFrames(seq: Sequence, from: number, to: number): Sequence {
  const per = seq.persons * seq.joints * seq.coords;
  return { ...seq, frames: to - from, data: seq.data.slice(from * per, to * per) };
}
