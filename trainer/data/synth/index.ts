/**
 * The synthetic dataset, the project's embedded default: NTU-25 recordings of 14 actions performed
 * by procedurally built people, split by subject like NTU's cross-subject benchmark (test subjects
 * never appear in training). Everything follows from the seed: the same seed gives the same bytes.
 */
import { Rng } from '../../../common/rng.ts';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { CacheWriter, type CacheIndex, type SplitName } from '../cache.ts';
import { ACTIONS } from './actions.ts';
import { makeSubject, type Subject } from './body.ts';
import { cameraRecording, toCameraSequence } from './camera.ts';
import { record, toSequence } from './scene.ts';

/** Class labels and one-line descriptions, in class-index order. */
export const SYNTH_CLASSES: { label: string; description: string }[] = ACTIONS.map(({ label, description }) => ({ label, description }));

export const SYNTH_BENCHMARK = 'synthetic-xsub';
/** 40 performers as in NTU RGB+D; every third one (14 of them) is held out for testing. */
export const SYNTH_SUBJECTS = 40;
export const isTestSubject = (id: number): boolean => id % 3 === 2;

export interface SynthOptions {
  /** Samples per class (split about 2 : 1 between train and test). */
  perClass: number;
  /** Use the first K classes (default: all 14). */
  classes?: number;
  seed: number;
  /**
   * As a pose estimator sees the scenes through an ordinary camera: COCO-17 keypoints in pixels
   * with scores (camera.ts), instead of the depth sensor's NTU-25 joints in metres. The scenes are
   * the same for a seed either way.
   */
  camera?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Replace an earlier cache at the output path (never anything else; see common/output-dir.ts). */
  force?: boolean;
}

export interface SynthSample {
  split: SplitName;
  /** Subject ids of the performers (one, or two for interactions). */
  subjects: number[];
  sequence: Sequence;
}

function classCount(classes: number | undefined): number {
  const k = classes ?? ACTIONS.length;
  if (!Number.isInteger(k) || k < 1 || k > ACTIONS.length) throw new RangeError(`classes must be 1..${ACTIONS.length}, got ${classes}`);
  return k;
}

/**
 * Every sample, class by class. Sample i of a class goes to the test split when i % 3 = 2, so even
 * a tiny dataset has every class in both splits; its performers come from that split's subjects.
 * Each sample has its own generator forked in a fixed order, so the first K classes are the same
 * whatever K is.
 */
export function* synthesize(opts: Omit<SynthOptions, 'onProgress' | 'force'>): Generator<SynthSample> {
  const K = classCount(opts.classes);
  if (!Number.isInteger(opts.perClass) || opts.perClass < 1) throw new RangeError(`perClass must be a positive integer, got ${opts.perClass}`);
  const rng = new Rng(opts.seed);
  const subjects: Subject[] = Array.from({ length: SYNTH_SUBJECTS }, (_, id) => makeSubject(id, rng.fork()));
  const pools: Record<SplitName, Subject[]> = { train: subjects.filter((s) => !isTestSubject(s.id)), test: subjects.filter((s) => isTestSubject(s.id)) };
  for (let c = 0; c < K; c++) {
    const action = ACTIONS[c];
    for (let i = 0; i < opts.perClass; i++) {
      const sampleRng = rng.fork();
      const split: SplitName = i % 3 === 2 ? 'test' : 'train';
      const pool = pools[split];
      const first = sampleRng.int(pool.length);
      const cast = action.persons === 1 ? [pool[first]] : [pool[first], pool[(first + 1 + sampleRng.int(pool.length - 1)) % pool.length]];
      const name = `P${String(cast[0].id).padStart(3, '0')}A${String(c + 1).padStart(3, '0')}R${String(i).padStart(4, '0')}`;
      const rec = record(action, cast, sampleRng);
      const sequence = opts.camera ? toCameraSequence(cameraRecording(rec, sampleRng), c, name) : toSequence(rec, c, name);
      yield { split, subjects: cast.map((s) => s.id), sequence };
    }
  }
}

/** Generates the dataset and writes it as a cache at outDir (atomically: all of it or nothing). */
export async function writeSyntheticDataset(outDir: string, opts: SynthOptions): Promise<CacheIndex> {
  const K = classCount(opts.classes);
  const writer = await CacheWriter.create(outDir, {
    layout: opts.camera ? 'coco17' : 'ntu25',
    persons: 2,
    joints: opts.camera ? 17 : 25,
    coords: 3,
    classes: SYNTH_CLASSES.slice(0, K).map((c) => c.label),
    benchmark: SYNTH_BENCHMARK,
    source: `synthetic${opts.camera ? ' camera (COCO-17 pixels)' : ''} seed ${opts.seed}`,
  }, { force: opts.force });
  try {
    const total = K * opts.perClass;
    let done = 0;
    for (const sample of synthesize(opts)) {
      await writer.add(sample.split, sample.sequence);
      opts.onProgress?.(++done, total);
    }
    return await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
