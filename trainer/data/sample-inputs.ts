/**
 * A few preprocessed recordings of a dataset cache as an artifact's network sees them: the inputs
 * `compile --verify --data` runs through the compiled module and its references.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifact } from '../../common/artifact.ts';
import { atField, UserError } from 'cocodiff-runtime/shared/errors';
import { readCache } from './cache.ts';
import { preprocess, testPreprocessOptions } from './preprocess.ts';

/** Samples `--verify --data` checks. */
export const VERIFY_DATA_SAMPLES = 4;

export interface SampleInput {
  /** Where it came from, e.g. `data/synth test 17`. */
  name: string;
  /** The class name of its label, as the cache lists it. */
  className: string;
  /** Preprocessed input [C][T][V][M]. */
  x: Float32Array;
}

/**
 * Preprocessed samples of a dataset cache, spread evenly over its test split so that they cover
 * several classes (the train split when the test split is empty: any recording exercises the
 * module, held out or not). The cache must have the artifact's layout and coordinates.
 */
export async function readSampleInputs(artifact: Artifact, dir: string, count = VERIFY_DATA_SAMPLES): Promise<SampleInput[]> {
  const isDir = await stat(dir).then((st) => st.isDirectory(), () => false);
  if (!isDir) throw new UserError(`${dir}: no such directory (expected a dataset cache made by \`cocodiff synth\` or \`cocodiff prepare\`)`);
  const cache = await readCache(dir);
  const index = cache.index;
  const indexPath = join(dir, 'index.json');
  const m = artifact.model;
  if (index.layout !== m.layout) {
    throw atField(indexPath, 'layout', `expected "${m.layout}" (the layout of ${join(artifact.dir, 'model.json')}), found "${index.layout}"`);
  }
  if (index.coords !== m.input.C) {
    throw atField(indexPath, 'coords', `expected ${m.input.C} (input.C of ${join(artifact.dir, 'model.json')}), found ${index.coords}`);
  }
  const split = index.splits.test.samples.length > 0 ? 'test' : 'train';
  const available = index.splits[split].samples.length;
  if (available === 0) throw atField(indexPath, 'splits', 'expected at least one sample in the test or train split, found none');
  const n = Math.min(count, available);
  return Array.from({ length: n }, (_, i) => {
    const k = Math.floor((i * available) / n);
    const seq = cache.sequence(split, k);
    return {
      name: `${dir} ${split} ${k}`,
      className: index.classes[seq.label!],
      x: preprocess(seq, testPreprocessOptions(m)),
    };
  });
}
