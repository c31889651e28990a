/** Which epoch's weights a run keeps: the best on the validation split, and the reason, in words. */
import type { EpochMetrics } from './config.ts';

/** The epoch selection: by validation top-1 (ties: lower validation loss, then the earlier epoch). */
export interface Selection {
  epoch: number;
  reason: string;
  valTop1: number | null;
  valLoss: number | null;
}

/** Whether epoch `m` beats the best so far on the validation split (no split: every later epoch does). */
export function betterOnValidation(m: EpochMetrics, best: EpochMetrics | null): boolean {
  if (!best || m.valTop1 === undefined || best.valTop1 === undefined) return true;
  return m.valTop1 > best.valTop1 || (m.valTop1 === best.valTop1 && m.valLoss! < best.valLoss!);
}

export function describeSelection(best: EpochMetrics, history: EpochMetrics[]): Selection {
  if (best.valTop1 === undefined) {
    return { epoch: best.epoch, reason: `no validation split (--val-fraction 0), so the last epoch (${best.epoch} of ${history.length})`, valTop1: null, valLoss: null };
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  const tied = history.filter((m) => m.valTop1 === best.valTop1 && m.epoch !== best.epoch).map((m) => m.epoch);
  const reason =
    `highest validation top-1 of ${history.length} epochs (${pct(best.valTop1)}` +
    (tied.length > 0 ? `, tied with epoch${tied.length > 1 ? 's' : ''} ${tied.join(', ')}; lowest validation loss ${best.valLoss!.toFixed(4)})` : ')');
  return { epoch: best.epoch, reason, valTop1: best.valTop1, valLoss: best.valLoss! };
}
