/**
 * Calibration for `compile --int8`: runs the f32 network (the interpreter of the lowered graph) on a
 * calibration set and chooses, for every tensor an int8 op reads, the range its 8-bit codes cover.
 *
 *   minmax           the smallest and largest value seen
 *   percentile[:P]   the (100 − P) % and P % quantiles of the values seen (P = 99.99 unless given): a
 *                    few outliers no longer stretch the scale that every other value is rounded to
 *
 * Values are kept as an even spread of each tensor (at most SAMPLES_PER_TENSOR a person and input),
 * enough for the quantiles and bounded in memory for the full CTR-GCN.
 */
import { UserError } from 'cocodiff-runtime/shared/errors';
import { interpret } from '../interpret.ts';
import type { Graph } from '../ir.ts';
import { int8Inputs, type TensorRanges } from '../passes/quantise.ts';

/**
 * A calibration method as the CLI and the sidecar spell it: `minmax`, or `percentile:P` with the upper
 * quantile P in percent (`parseCalibrationMethod` turns a bare `percentile` into `percentile:99.99`).
 */
export type CalibrationMethod = 'minmax' | `percentile:${number}`;
/** The upper quantile a bare `percentile` means. */
export const DEFAULT_PERCENTILE = 99.99;
/**
 * The calibration `compile --int8` uses unless told, chosen on validation with `npm run int8-calibration`
 * (docs/compiler.md, "Choosing the calibration method"): no method's top-1 differed from min–max's
 * beyond noise, and min–max had the smallest logit error.
 */
export const DEFAULT_CALIBRATION_METHOD: CalibrationMethod = 'minmax';
/** What `--calibration` accepts, for messages and help. */
export const CALIBRATION_SYNTAX = `minmax or percentile[:P] (P in [50, 100), default ${DEFAULT_PERCENTILE})`;

/** The method `text` names, in its canonical spelling; anything else is a UserError naming `where`. */
export function parseCalibrationMethod(text: string, where: string): CalibrationMethod {
  if (text === 'minmax') return 'minmax';
  const m = /^percentile(?::(\d+(?:\.\d+)?))?$/.exec(text);
  const p = m ? (m[1] === undefined ? DEFAULT_PERCENTILE : Number(m[1])) : NaN;
  if (!(p >= 50 && p < 100)) throw new UserError(`${where}: expected ${CALIBRATION_SYNTAX}, found "${text}"`);
  return `percentile:${p}`;
}

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
    const tail = (100 - Number(method.slice('percentile:'.length))) / 100;
    const sorted = Float64Array.from(s.values).sort();
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
    ranges.set(name, { lo: at(tail), hi: at(1 - tail) });
  }
  return ranges;
}

/** The ranges `method` chooses for the lowered f32 graph on these inputs. */
export const calibrate = (lowered: Graph, inputs: Float32Array[], method: CalibrationMethod): TensorRanges =>
  chooseRanges(collectStats(lowered, inputs), method);
