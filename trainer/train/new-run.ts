/** A new run's run.json: its configuration resolved from the options, and what it takes from the dataset cache at the start. */
import { resolve } from 'node:path';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS } from 'cocodiff-runtime/shared/layouts';
import { readCache } from '../data/cache.ts';
import { ctrgcnConfig, type ModelSpec } from '../model/ctrgcn.ts';
import { resolveConfig, type RunFile, type TrainOptions } from './config.ts';

export async function newRun(opts: TrainOptions): Promise<RunFile> {
  const config = resolveConfig(opts);
  const cacheIndex = (await readCache(config.data)).index;
  const layout = LAYOUTS[cacheIndex.layout];
  const model: ModelSpec = {
    backbone: ctrgcnConfig({ width: config.width, blocks: config.blocks, inChannels: cacheIndex.coords }),
    input: { C: cacheIndex.coords, T: config.frames, V: layout.joints.length, M: cacheIndex.persons },
    layout: layout.name,
    numClasses: cacheIndex.classes.length,
  };
  checkFrames(config.frames, model);
  const lengths = cacheIndex.splits.train.samples.map((s) => s.frames).sort((a, b) => a - b);
  return {
    config, model, classes: cacheIndex.classes,
    dataset: { dir: resolve(config.data), source: cacheIndex.source, benchmark: cacheIndex.benchmark },
    recordingFrames: lengths[lengths.length >> 1], backend: '', started: new Date().toISOString(),
  };
}

/** The units' temporal strides halve T; a T they do not divide would only fail in `compile`. */
function checkFrames(frames: number, model: ModelSpec): void {
  const totalStride = model.backbone.strides.reduce((a, s) => a * s, 1);
  if (frames % totalStride === 0) return;
  const near = [Math.floor(frames / totalStride), Math.ceil(frames / totalStride)].map((k) => Math.max(1, k) * totalStride);
  throw new OptionError('frames', `${frames} frames do not divide by the model's total temporal stride ${totalStride} (units with stride 2: ${model.backbone.strides.filter((s) => s === 2).length}); use a multiple of ${totalStride}, e.g. ${[...new Set(near)].join(' or ')}`);
}
