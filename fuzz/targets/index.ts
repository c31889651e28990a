/** Every fuzz target, one per parser, in the order `npm run fuzz` runs them. */
import type { FuzzTarget } from '../harness.ts';
import { kineticsTarget } from './kinetics.ts';
import { learnedTarget } from './learned.ts';
import { ndjsonTarget } from './ndjson.ts';
import { npyTarget } from './npy.ts';
import { pickleTarget } from './pickle.ts';
import { recognizerTarget } from './recognizer.ts';
import { sidecarTarget } from './sidecar.ts';
import { skeletonTarget } from './skeleton.ts';
import { zipTarget } from './zip.ts';

export const TARGETS: FuzzTarget<never>[] = [
  pickleTarget, zipTarget, npyTarget, skeletonTarget, kineticsTarget, ndjsonTarget, sidecarTarget, learnedTarget, recognizerTarget,
] as FuzzTarget<never>[];
