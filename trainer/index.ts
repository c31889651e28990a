/** The trainer's public API (package export `cocodiff/trainer`): one import for scripts and notebooks. */
// Training loop, evaluation, export (this part's own API).
export { runTraining, type TrainResult } from './train/train.ts';
export { PRESETS, type TrainOptions, type EpochMetrics } from './train/config.ts';
export { exportRun, type ExportEpoch } from './train/export.ts';
export { evaluate, type EvalOptions, type EvalResult } from './train/eval.ts';
export { readPredictions, PREDICTIONS_FILE, type PredictionLine, type Predictions } from './train/predictions-file.ts';
export { comparePredictions, mcnemarExact, type Comparison, type PairedAccuracy } from './train/compare.ts';
export { classificationReport, ensembleScores, softmaxRows, ENSEMBLE_FUSIONS, type EnsembleFusion, type ClassificationReport } from './train/metrics.ts';
// Backbone and backend.
export { CtrGcnModel, ctrgcnConfig, type ModelSpec } from './model/ctrgcn.ts';
export { importCtrGcn } from './model/import-ctrgcn.ts';
export { selectBackend } from './backend.ts';
// Data: caches, loaders, preprocessing, synthetic data.
export { readCache, CacheWriter, type Cache, type CacheIndex } from './data/cache.ts';
export { batches, type Batch, type BatchOptions } from './data/batches.ts';
export { preprocess, type PreprocessOptions } from './data/preprocess.ts';
export { readNpy } from 'cocodiff-runtime/shared/formats/npy';
export { loadSkeletonFile } from 'cocodiff-runtime/shared/formats/ntu-skeleton';
export { loadKineticsJson } from 'cocodiff-runtime/shared/formats/kinetics';
export { writeSyntheticDataset, SYNTH_CLASSES } from './data/synth/index.ts';
// CoCoDiff and text.
export { createCoCoDiffBranch, DEFAULT_COCODIFF_OPTIONS, type CoCoDiffOptions } from './cocodiff/index.ts';
export { loadDescriptions } from './text/descriptions.ts';
