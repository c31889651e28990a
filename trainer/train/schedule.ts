/**
 * The learning-rate schedule of CTR-GCN's recipe: linear warm-up, then step decay.
 * Like the authors' `adjust_learning_rate`, the rate is set once at the start of each epoch.
 */
export interface LrSchedule {
  /** Rate at epoch 0 after warm-up (CTR-GCN: 0.1 × batch / 64). */
  baseLr: number;
  /** Epochs of linear warm-up: epoch e < warmup trains at baseLr · (e + 1) / warmup. */
  warmupEpochs: number;
  /** Epochs (0-based) at which the rate is multiplied by `decay`. */
  milestones: number[];
  decay: number;
}

/** The published recipe, with the rate scaled linearly from the authors' batch of 64. */
export function ctrgcnSchedule(batch: number, baseLr = 0.1 * (batch / 64)): LrSchedule {
  return { baseLr, warmupEpochs: 5, milestones: [35, 55], decay: 0.1 };
}

/** The rate for 0-based `epoch`. */
export function learningRate(s: LrSchedule, epoch: number): number {
  if (epoch < s.warmupEpochs) return (s.baseLr * (epoch + 1)) / s.warmupEpochs;
  const passed = s.milestones.filter((m) => epoch >= m).length;
  return s.baseLr * s.decay ** passed;
}
