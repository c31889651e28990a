/**
 * Subsets of a cache's training split that training selects with: a validation split carved out by
 * subject (no performer is in both halves, as the test split holds subjects out), and K recordings per
 * class for low-data runs. Both are lists of sample indices into the train split, drawn from a seed,
 * so every run of an ablation that shares the seed trains and validates on the same recordings.
 */
import { OptionError } from 'cocodiff-runtime/shared/errors';
import { Rng } from '../../common/rng.ts';
import type { SampleEntry } from './cache.ts';

/** NTU (`S001C002P003R002A013`) and synthetic (`P003A001R0002`) names carry the performer as P###. */
const PERFORMER = /P(\d{3})/;
/**
 * Per-clip datasets: NW-UCLA `a01_s03_e02_v01`, MSR Action3D `a01_s03_e02`, Florence `a01_s3_id7`, and
 * `prepare clips`' `s3_<file>` (clips.ts): the subject is the `s` number after the action, or first.
 */
const CLIP_SUBJECT = /^(?:a\d+_)?s(\d+)(?=_|$)/;

/** The subject a recording's name says its performer is (`P003`, `s3`), or undefined when it says none. */
export function namedSubject(name: string): string | undefined {
  const m = PERFORMER.exec(name);
  if (m) return `P${m[1]}`;
  const clip = CLIP_SUBJECT.exec(name);
  return clip ? `s${Number(clip[1])}` : undefined;
}

/** The subject a recording's performer is, or the recording's own name when the name carries none. */
export function subjectOf(name: string): string {
  return namedSubject(name) ?? name;
}

export interface TrainSubsets {
  /** Indices (into the train split) the model trains on. */
  train: number[];
  /** Indices (into the train split) of the held-out subjects: epoch and setting selection. */
  val: number[];
  /** The validation subjects, sorted. */
  valSubjects: string[];
}

export interface SubsetOptions {
  /** Fraction of the training subjects held out for validation (0 = no validation split). */
  valFraction: number;
  /** Keep at most this many training recordings per class (after the validation split); 0 = all. */
  perClass: number;
  seed: number;
}

/**
 * Holds out round(valFraction × subjects) training subjects (at least one when the fraction is
 * positive and at least two subjects exist), then keeps `perClass` recordings of each class from the rest.
 */
export function trainSubsets(samples: readonly SampleEntry[], o: SubsetOptions): TrainSubsets {
  if (!(o.valFraction >= 0 && o.valFraction < 1)) throw new OptionError('valFraction', `expected a number in [0, 1), found ${o.valFraction}`);
  if (!Number.isInteger(o.perClass) || o.perClass < 0) throw new OptionError('trainPerClass', `expected a non-negative integer, found ${o.perClass}`);
  const rng = new Rng((o.seed ^ 0x5eed5ab) >>> 0);
  const subjects = [...new Set(samples.map((s) => subjectOf(s.name)))].sort();
  const held = o.valFraction > 0 && subjects.length > 1 ? Math.max(1, Math.round(o.valFraction * subjects.length)) : 0;
  const valSubjects = new Set(rng.shuffle([...subjects]).slice(0, held));
  const val: number[] = [];
  const rest: number[] = [];
  samples.forEach((s, i) => (valSubjects.has(subjectOf(s.name)) ? val : rest).push(i));
  let train = rest;
  if (o.perClass > 0) {
    const byClass = new Map<number, number[]>();
    for (const i of rest) byClass.set(samples[i].label, [...(byClass.get(samples[i].label) ?? []), i]);
    const short = [...byClass].filter(([, idx]) => idx.length < o.perClass).map(([c]) => c);
    if (short.length > 0) throw new OptionError('trainPerClass', `${o.perClass}: class${short.length > 1 ? 'es' : ''} ${short.join(', ')} ha${short.length > 1 ? 've' : 's'} fewer training recordings outside the validation subjects`);
    train = [...byClass.keys()].sort((a, b) => a - b).flatMap((c) => rng.shuffle(byClass.get(c)!).slice(0, o.perClass)).sort((a, b) => a - b);
  }
  return { train, val, valSubjects: [...valSubjects].sort() };
}
