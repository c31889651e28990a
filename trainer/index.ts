/** The trainer's public API (package export `cocodiff/trainer`). */
export { runTraining, type TrainResult } from './train/train.ts';
export { type TrainOptions, type EpochMetrics, PRESETS } from './train/config.ts';
export { exportRun } from './train/export.ts';
export { evaluate, type EvalOptions, type EvalResult } from './train/eval.ts';
export { classificationReport, ensembleScores, softmaxRows } from './train/metrics.ts';
