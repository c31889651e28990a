/**
 * `cocodiff compare`: McNemar's exact test against the binomial sum in exact integers, the paired
 * difference and its interval by hand, and every refusal of a predictions file or of a pair of them,
 * naming the file and line.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { comparePredictions, mcnemarExact } from '../../trainer/train/compare.ts';
import { readPredictions, type PredictionLine, type Predictions } from '../../trainer/train/predictions-file.ts';
import * as compareCommand from '../../cli/commands/compare.ts';
import { runCli } from '../helpers/cli.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-compare-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** 2 · P(X ≤ min(b, c)), X ~ Binomial(b + c, 1/2), in exact integers, capped at 1. */
function mcnemarByBigInt(b: number, c: number): number {
  const n = BigInt(b + c);
  let term = 1n; // C(n, 0)
  let tail = 0n;
  for (let k = 0n; k <= BigInt(Math.min(b, c)); k++) {
    tail += term;
    term = (term * (n - k)) / (k + 1n);
  }
  // tail / 2^n, scaled down in BigInt first so the division keeps 15 digits at any n.
  const shift = n > 60n ? n - 60n : 0n;
  return Math.min(1, (2 * Number(tail >> shift)) / 2 ** Number(n - shift));
}

describe('mcnemarExact', () => {
  it('is the exact two-sided binomial tail, also where 2^-n underflows (n > 1,074)', () => {
    for (const [b, c] of [[24, 9], [9, 24], [30, 23], [1, 0], [5, 5], [0, 12], [700, 600], [1500, 1400]]) {
      expect(mcnemarExact(b, c)).toBeCloseTo(mcnemarByBigInt(b, c), 12);
    }
    expect(mcnemarExact(700, 600)).toBeGreaterThan(0.005);
    expect(mcnemarExact(0, 0)).toBe(1);
    // By hand: n = 4, b = 4: 2 · (1/16).
    expect(mcnemarExact(4, 0)).toBe(0.125);
  });
});

const row = (sample: string, label: string, ...top5: string[]): PredictionLine => ({ sample, label, top5 });
const at = (file: string, lines: PredictionLine[]): Predictions => ({ file, lines });

describe('comparePredictions', () => {
  // 40 samples of classes x and y. A: right on the first 30. B: right on samples 5..39 (35), top-5 right everywhere.
  const labelOf = (i: number): string => (i % 2 ? 'y' : 'x');
  const other = (l: string): string => (l === 'x' ? 'y' : 'x');
  const a = Array.from({ length: 40 }, (_, i) => row(`s${i}`, labelOf(i), ...(i < 30 ? [labelOf(i), other(labelOf(i))] : [other(labelOf(i)), labelOf(i)])));
  const b = Array.from({ length: 40 }, (_, i) => row(`s${i}`, labelOf(i), ...(i >= 5 ? [labelOf(i), other(labelOf(i))] : [other(labelOf(i)), labelOf(i)])));

  it('pairs sample by sample: the accuracies, the mean difference with its t interval, the discordant counts', () => {
    const c = comparePredictions(at('A.jsonl', a), at('B.jsonl', b));
    expect(c.samples).toBe(40);
    // Differences: −1 on 0..4, +1 on 30..39, 0 elsewhere: mean 5/40, sample variance (15 − 40 · 0.125²) / 39.
    const mean = 5 / 40;
    const sd = Math.sqrt((15 - 40 * mean ** 2) / 39);
    expect(c.top1).toMatchObject({ a: 30 / 40, b: 35 / 40, onlyB: 10, onlyA: 5 });
    expect(c.top1.difference.mean).toBeCloseTo(mean, 12);
    // 39 degrees of freedom: beyond the t table, 1.96.
    expect(c.top1.difference.low).toBeCloseTo(mean - (1.96 * sd) / Math.sqrt(40), 12);
    expect(c.top1.difference.high).toBeCloseTo(mean + (1.96 * sd) / Math.sqrt(40), 12);
    expect(c.top1.p).toBeCloseTo(mcnemarByBigInt(10, 5), 12);
    expect(c.top5).toMatchObject({ a: 1, b: 1, onlyB: 0, onlyA: 0, p: 1 });
    // Per class, in name order: x holds the even samples (A wrong on 30..38 even: 5; B wrong on 0, 2, 4: 3).
    expect(c.perClass).toEqual([
      { label: 'x', samples: 20, a: 15 / 20, b: 17 / 20, onlyB: 5, onlyA: 3, p: expect.closeTo(mcnemarByBigInt(5, 3), 12) },
      { label: 'y', samples: 20, a: 15 / 20, b: 18 / 20, onlyB: 5, onlyA: 2, p: expect.closeTo(mcnemarByBigInt(5, 2), 12) },
    ]);
  });

  it('refuses two evaluations of different samples, naming both files', () => {
    expect(() => comparePredictions(at('A.jsonl', a), at('B.jsonl', b.slice(1)))).toThrow(new UserError('A.jsonl scores 40 samples and B.jsonl 39: compare two evaluations of the same split of the same dataset cache'));
    const swapped = [b[1], b[0], ...b.slice(2)];
    expect(() => comparePredictions(at('A.jsonl', a), at('B.jsonl', swapped))).toThrow(new UserError('sample 1 is "s0" in A.jsonl but "s1" in B.jsonl: compare two evaluations of the same split of the same dataset cache'));
    const relabelled = [row('s0', 'z', 'x'), ...b.slice(1)];
    expect(() => comparePredictions(at('A.jsonl', a), at('B.jsonl', relabelled))).toThrow(new UserError('sample "s0" is labelled "x" in A.jsonl but "z" in B.jsonl: the two datasets name their classes differently'));
  });
});

describe('predictions.jsonl', () => {
  const file = async (name: string, text: string): Promise<string> => {
    const path = join(root, name);
    await writeFile(path, text);
    return path;
  };

  it('reads CRLF lines and skips blank ones', async () => {
    const path = await file('crlf.jsonl', '{"sample":"a","label":"x","top5":["x","y"]}\r\n\r\n{"sample":"b","label":"y","top5":["x"]}\r\n');
    expect(await readPredictions(path)).toEqual(at(path, [row('a', 'x', 'x', 'y'), row('b', 'y', 'x')]));
  });

  it('refuses a malformed line by its number, and an empty file', async () => {
    const good = '{"sample":"a","label":"x","top5":["x"]}\n';
    const cases: Array<[string, string]> = [
      ['{"sample":"a"', 'not JSON; expected {"sample": …, "label": …, "top5": […]}'],
      ['["a","x"]', 'expected a JSON object {"sample": …, "label": …, "top5": […]}'],
      ['{"sample":"","label":"x","top5":["x"]}', '"sample" must be a non-empty string (the sample\'s name)'],
      ['{"sample":"b","label":3,"top5":["x"]}', '"label" must be a non-empty string (the true class)'],
      ['{"sample":"b","label":"x","top5":[]}', '"top5" must list 1 to 5 class names, best first'],
      ['{"sample":"b","label":"x","top5":["a","b","c","d","e","f"]}', '"top5" must list 1 to 5 class names, best first'],
      ['{"sample":"b","label":"x","top5":["x","x"]}', '"top5" names a class twice'],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const path = await file(`bad-${i}.jsonl`, good + text + '\n');
      await expect(readPredictions(path)).rejects.toThrow(new UserError(`${path}:2: ${message}`));
    }
    const empty = await file('empty.jsonl', '\n\n');
    await expect(readPredictions(empty)).rejects.toThrow(new UserError(`${empty}: no predictions (expected one JSON object a line)`));
  });

  it('names a folder without predictions.jsonl and says how to write one', async () => {
    const dir = join(root, 'old-run');
    await mkdir(dir);
    await expect(readPredictions(dir)).rejects.toThrow(new UserError(`${dir}: holds no predictions.jsonl; runs trained by this version write one, and \`cocodiff eval MODEL --data CACHE --out ${dir}\` writes one for any model or ensemble`));
  });

  it('the command prints the paired difference, the discordant samples and the classes', async () => {
    const one = await file('one.jsonl', ['{"sample":"a","label":"x","top5":["x","y"]}', '{"sample":"b","label":"y","top5":["x","y"]}', '{"sample":"c","label":"y","top5":["y","x"]}'].join('\n'));
    const two = await file('two.jsonl', ['{"sample":"a","label":"x","top5":["x","y"]}', '{"sample":"b","label":"y","top5":["y","x"]}', '{"sample":"c","label":"y","top5":["y","x"]}'].join('\n'));
    const lines = await runCli([compareCommand], 'compare', one, two);
    expect(lines[0]).toBe(`A: ${one}`);
    // Differences 0, +1, 0: mean 1/3, sample sd 1/√3, t(2) = 4.303: ±4.303/3.
    const half = (4.303 / 3) * 100;
    expect(lines[3]).toBe(`  top-1: 66.67 → 100.00 %, B − A +33.33 points [−${(half - 100 / 3).toFixed(2)}, +${(100 / 3 + half).toFixed(2)}]; right in B only 1, in A only 0; McNemar exact p = 1.0`);
    expect(lines.slice(-3)).toEqual([
      'top-1 per class (A → B, samples; right in B only / A only; McNemar p, one test of 2):',
      '  100.00 → 100.00 %  x (1; +0 / −0; p = 1.0)',
      '   50.00 → 100.00 %  y (2; +1 / −0; p = 1.0)',
    ]);
  });
});
