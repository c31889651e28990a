/**
 * Statistics for seed-paired comparisons and cross-validation folds: mean ± sample std, and a mean
 * (of paired differences, or of folds) with its 95 % confidence interval from Student's t (two-sided),
 * which is what n = 5 … 20 seeds or folds call for.
 */

export interface Stat {
  mean: number;
  std: number;
}

export interface PairedDifference {
  /** Seeds both arms have. */
  n: number;
  mean: number;
  std: number;
  /** 95 % confidence interval of the mean difference; NaN bounds with fewer than 2 pairs. */
  low: number;
  high: number;
  /** Seeds where the treatment scored higher, lower, the same. */
  better: number;
  worse: number;
  ties: number;
}

/** Mean and sample standard deviation (0 for a single value). */
export function stat(xs: number[]): Stat {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

/** t_{0.975, df} for df = 1 … 30 (standard table values); beyond 30 the normal 1.96 is within 2 %. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`degrees of freedom must be a positive integer, got ${df}`);
  return df <= T975.length ? T975[df - 1] : 1.96;
}

export interface MeanInterval extends Stat {
  /** 95 % confidence interval of the mean (Student t); NaN bounds with fewer than 2 values. */
  low: number;
  high: number;
}

/** Mean, sample std and the mean's 95 % confidence interval. */
export function meanInterval(xs: number[]): MeanInterval {
  const { mean, std } = stat(xs);
  const half = xs.length > 1 ? (tQuantile975(xs.length - 1) * std) / Math.sqrt(xs.length) : NaN;
  return { mean, std, low: mean - half, high: mean + half };
}

/** `treatment[seed] − control[seed]` over the seeds both hold. */
export function pairedDifference(control: Map<number, number>, treatment: Map<number, number>): PairedDifference {
  const d = [...treatment].filter(([seed]) => control.has(seed)).map(([seed, v]) => v - control.get(seed)!);
  if (d.length === 0) return { n: 0, mean: NaN, std: NaN, low: NaN, high: NaN, better: 0, worse: 0, ties: 0 };
  const count = (ok: (x: number) => boolean) => d.filter(ok).length;
  return { n: d.length, ...meanInterval(d), better: count((x) => x > 0), worse: count((x) => x < 0), ties: count((x) => x === 0) };
}
