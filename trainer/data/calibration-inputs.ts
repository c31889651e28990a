/**
 * The calibration set of `compile --int8 CALIBRATION`: recordings preprocessed as the artifact's
 * network sees them. CALIBRATION is a dataset cache (its train split, spread evenly over it), one
 * recording (.skeleton, Kinetics .json, .npy), or a folder of recordings (read in name order).
 * Calibration only measures activation ranges, so a held-out split is not needed, and the test split
 * is never used: it would tune the module on what it is scored on.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Artifact } from '../../common/artifact.ts';
import { atField, UserError } from 'cocodiff-runtime/shared/errors';
import { loadRecording } from 'cocodiff-runtime/node';
import { readCache } from './cache.ts';
import { preprocess, testPreprocessOptions } from './preprocess.ts';

/** Recordings calibration reads by default. */
export const DEFAULT_CALIBRATION_SAMPLES = 64;

const RECORDING_TYPES = new Set(['.skeleton', '.json', '.npy']);

export async function readCalibrationInputs(artifact: Artifact, path: string, count = DEFAULT_CALIBRATION_SAMPLES): Promise<Float32Array[]> {
  const m = artifact.model;
  const options = testPreprocessOptions(m);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UserError(`${path}: no such file or directory (expected a dataset cache, a recording or a folder of recordings)`);
  const isCache = info.isDirectory() && (await stat(join(path, 'index.json')).catch(() => undefined))?.isFile();
  if (isCache) {
    const cache = await readCache(path);
    const indexPath = join(path, 'index.json');
    if (cache.index.layout !== m.layout) throw atField(indexPath, 'layout', `expected "${m.layout}" (the layout of ${join(artifact.dir, 'model.json')}), found "${cache.index.layout}"`);
    if (cache.index.coords !== m.input.C) throw atField(indexPath, 'coords', `expected ${m.input.C} (input.C of ${join(artifact.dir, 'model.json')}), found ${cache.index.coords}`);
    const available = cache.index.splits.train.samples.length;
    if (available === 0) throw atField(indexPath, 'splits.train', 'expected at least one training recording to calibrate on, found none');
    const n = Math.min(count, available);
    return Array.from({ length: n }, (_, i) => preprocess(cache.sequence('train', Math.floor((i * available) / n)), options));
  }
  const files = info.isDirectory()
    ? (await readdir(path)).filter((f) => RECORDING_TYPES.has(extname(f).toLowerCase())).sort().slice(0, count).map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new UserError(`${path}: holds no recordings (expected .skeleton, Kinetics .json or .npy files, or a dataset cache with index.json)`);
  const inputs: Float32Array[] = [];
  for (const file of files) {
    const seq = await loadRecording(file, m.layout);
    if (seq.layout !== m.layout) throw new UserError(`${file}: a ${seq.layout} recording; the model takes ${m.layout}`);
    if (seq.coords !== m.input.C) throw new UserError(`${file}: ${seq.coords} coordinates a joint; the model takes ${m.input.C}`);
    inputs.push(preprocess(seq, options));
  }
  return inputs;
}
