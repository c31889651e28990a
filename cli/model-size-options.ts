/**
 * The backbone's size flags (`train`, `ablate`): --width, --blocks, --frames. Their defaults are the
 * preset's, else the CTR-GCN recipe's (trainer/train/config.ts).
 */
import type { Command } from 'commander';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { PRESETS, RECIPE, type TrainOptions } from '../trainer/train/config.ts';
import { number, positiveInt } from './options.ts';

export type ModelSizeFlags = Pick<TrainOptions, 'width' | 'blocks' | 'frames'>;

const defaults = (key: 'width' | 'blocks' | 'frames'): string =>
  `default ${RECIPE[key]}; ${Object.entries(PRESETS).map(([name, p]) => `${name} ${p[key]}`).join(', ')}`;

export function addModelSizeOptions(command: Command): Command {
  return command
    .option('--width <w>', `channel width multiplier (${defaults('width')})`, number('--width'))
    .option('--blocks <n>', `TCN-GCN units (${defaults('blocks')})`, positiveInt('--blocks'))
    .option('--frames <T>', `frames the network sees, a multiple of the total temporal stride (${defaults('frames')})`, positiveInt('--frames', LIMITS.frames));
}

/** The library options the flags set (absent ones stay absent: the preset or recipe decides). */
export function modelSize(f: ModelSizeFlags): ModelSizeFlags {
  return { width: f.width, blocks: f.blocks, frames: f.frames };
}
