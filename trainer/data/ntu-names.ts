/**
 * NTU RGB+D sample names (SsssCcccPpppRrrrAaaa), the four benchmark splits, the class names and
 * the official missing-skeleton lists. The lists ship in trainer/data/reference/ and are read from
 * there at run time, next to this file, so a fresh clone has everything it needs.
 */
import { readFileSync } from 'node:fs';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import { parseNtuName, type NtuName } from 'cocodiff-runtime/shared/formats/ntu-name';

export type NtuBenchmark = 'xsub' | 'xview' | 'xsub120' | 'xset120';
export const NTU_BENCHMARKS: readonly NtuBenchmark[] = ['xsub', 'xview', 'xsub120', 'xset120'];

// Training performers of the cross-subject benchmarks (Shahroudy et al. 2016; Liu et al. 2019).
const XSUB60_TRAIN = new Set([1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38]);
const XSUB120_TRAIN = new Set([
  ...XSUB60_TRAIN, 45, 46, 47, 49, 50, 52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86,
  89, 91, 92, 93, 94, 95, 97, 98, 100, 103,
]);

/** Number of action classes a benchmark uses: NTU-60 keeps actions 1..60, NTU-120 all 120. */
export function benchmarkClasses(b: NtuBenchmark): 60 | 120 {
  return b === 'xsub' || b === 'xview' ? 60 : 120;
}

/**
 * Which split a sample belongs to under a benchmark, or null when the benchmark does not use it
 * (actions 61..120 under the NTU-60 benchmarks).
 */
export function ntuSplit(n: NtuName, b: NtuBenchmark): 'train' | 'test' | null {
  if (n.action < 1 || n.action > benchmarkClasses(b)) return null;
  switch (b) {
    case 'xsub': return XSUB60_TRAIN.has(n.performer) ? 'train' : 'test';
    case 'xview': return n.camera === 2 || n.camera === 3 ? 'train' : 'test';
    case 'xsub120': return XSUB120_TRAIN.has(n.performer) ? 'train' : 'test';
    case 'xset120': return n.setup % 2 === 0 ? 'train' : 'test';
  }
}

function referenceLines(file: string): string[] {
  return readFileSync(new URL(`./reference/${file}`, import.meta.url), 'utf8').split(/\r?\n/).map((l) => l.trim());
}

/** The 60 or 120 class names, index = action − 1. */
export function ntuClassNames(count: 60 | 120): string[] {
  const names = referenceLines(count === 60 ? 'label_map_ntu60.txt' : 'nturgbd_120.txt').filter((l) => l.length > 0);
  if (names.length !== count) throw new Error(`reference list has ${names.length} NTU class names, expected ${count}`);
  return names;
}

/**
 * The samples the dataset authors list as having missing or incomplete skeletons. The NTU-120 list
 * contains the NTU-60 one, so it serves both 120-class benchmarks; the 60-class ones use the original.
 */
export function ntuMissingSamples(classes: 60 | 120): Set<string> {
  const file = classes === 60 ? 'NTU_RGBD_samples_with_missing_skeletons.txt' : 'NTU_RGBD120_samples_with_missing_skeletons.txt';
  return new Set(referenceLines(file).filter((l) => parseNtuName(l) !== null));
}

export function parseBenchmark(s: string): NtuBenchmark {
  if (!(NTU_BENCHMARKS as readonly string[]).includes(s)) throw new OptionError('benchmark', `expected one of ${NTU_BENCHMARKS.join(', ')}, found "${s}"`);
  return s as NtuBenchmark;
}
