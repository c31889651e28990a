/**
 * Calibration for `compile --int8`: runs the f32 network (the interpreter of the lowered graph) on a
 * calibration set and chooses, for every tensor an int8 op reads, the range its 8-bit codes cover.
 *
 *   minmax      the smallest and largest value seen
 *   percentile  the 0.01 % and 99.99 % quantiles of the values seen: a few outliers no longer
 *               stretch the scale that every other value is rounded to
 *
 * Values are kept as an even spread of each tensor (at most SAMPLES_PER_TENSOR a person and input),
 * enough for the quantiles and bounded in memory for the full CTR-GCN.
 */
import { interpret } from '../interpret.ts';
import type { Graph } from '../ir.ts';
import { int8Inputs, type TensorRanges } from '../passes/quantise.ts';

export const CALIBRATION_METHODS = ['minmax', 'percentile'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];
/** The calibration `compile --int8` uses unless told: the method that won on validation (docs/compiler.md). */
export const DEFAULT_CALIBRATION_METHOD: CalibrationMethod = 'minmax';

/** The tail the percentile method cuts off each end. */
export const PERCENTILE_TAIL = 1e-4;
const SAMPLES_PER_TENSOR = 4096;

/** What calibration saw of each tensor: exact extremes and a spread of its values. */
export interface ActivationStats {
  min: number;
  max: number;
  values: number[];
}

/** Runs the lowered f32 graph on each input and gathers the statistics of every tensor an int8 op reads. */
export function collectStats(lowered: Graph, inputs: Float32Array[]): Map<string, ActivationStats> {
  const names = int8Inputs(lowered);
  const stats = new Map<string, ActivationStats>([...names].map((n) => [n, { min: Infinity, max: -Infinity, values: [] }]));
  for (const x of inputs) {
    interpret(lowered, x, (tensors) => {
      for (const name of names) {
        const t = tensors.get(name)!;
        const s = stats.get(name)!;
        const step = Math.max(1, Math.floor(t.length / SAMPLES_PER_TENSOR));
        for (let i = 0; i < t.length; i++) {
          const v = t[i];
          if (v < s.min) s.min = v;
          if (v > s.max) s.max = v;
          if (i % step === 0) s.values.push(v);
        }
      }
    });
  }
  return stats;
}

/** The range of each tensor by the chosen method. */
export function chooseRanges(stats: ReadonlyMap<string, ActivationStats>, method: CalibrationMethod): TensorRanges {
  const ranges = new Map<string, { lo: number; hi: number }>();
  for (const [name, s] of stats) {
    if (method === 'minmax') {
      ranges.set(name, { lo: s.min, hi: s.max });
      continue;
    }
    const sorted = Float64Array.from(s.values).sort();
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
    ranges.set(name, { lo: at(PERCENTILE_TAIL), hi: at(1 - PERCENTILE_TAIL) });
  }
  return ranges;
}

/** The ranges `method` chooses for the lowered f32 graph on these inputs. */
export const calibrate = (lowered: Graph, inputs: Float32Array[], method: CalibrationMethod): TensorRanges =>
  chooseRanges(collectStats(lowered, inputs), method);
