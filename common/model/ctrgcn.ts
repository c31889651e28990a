/**
 * The CTR-GCN structure, free of tfjs: the one description the trainer's model, the importer,
 * the analytic counts and the compiler's loader derive their shapes from.
 */

/** Relation channels of CTR-GC: 8 for raw-coordinate input (3 or 9 channels), else in / reduction (at least 1). */
export function relChannels(inChannels: number, reduction: number): number {
  return inChannels === 3 || inChannels === 9 ? 8 : Math.max(1, Math.floor(inChannels / reduction));
}
