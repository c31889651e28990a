/**
 * The training flags `train` and `cv` share, turned into the library's options once: a run's model,
 * schedule, data handling and backend (the CoCoDiff ones are cli/cocodiff-options.ts's).
 */
import type { TrainOptions } from '../trainer/train/config.ts';
import type { BackendFlags } from './backend-option.ts';
import { referenceSettingsLr, type CoCoDiffFlags } from './cocodiff-options.ts';
import { modelSize, type ModelSizeFlags } from './model-size-options.ts';

export type TrainingFlags = ModelSizeFlags &
  BackendFlags &
  Pick<CoCoDiffFlags, 'referenceSettings'> &
  Pick<TrainOptions, 'modality' | 'epochs' | 'batch' | 'repeat' | 'lr' | 'seed' | 'preset' | 'valFraction'> & {
    /** --no-augment: true unless given. */
    augment: boolean;
  };

/**
 * The options the flags set, in this order (`cv` records them in cv.json and compares the JSON).
 * An absent flag stays absent, so the preset or the recipe decides; augmentation is given only when
 * switched off, so that a run made without the flag continues without a conflict.
 */
export function trainingOptions(f: TrainingFlags): Pick<TrainOptions, keyof ModelSizeFlags | 'modality' | 'preset' | 'epochs' | 'batch' | 'repeat' | 'lr' | 'seed' | 'valFraction' | 'augment' | 'backend' | 'threads'> {
  return {
    ...modelSize(f),
    modality: f.modality,
    preset: f.preset,
    epochs: f.epochs,
    batch: f.batch,
    repeat: f.repeat,
    lr: f.lr ?? referenceSettingsLr(f),
    seed: f.seed,
    valFraction: f.valFraction,
    augment: f.augment ? undefined : false,
    backend: f.backend,
    threads: f.threads,
  };
}
