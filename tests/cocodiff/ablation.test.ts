import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jobList, runAblation, selectVariants, summarise, VARIANTS, writeTables, type AblationReport, type RunRecord } from '../../trainer/cocodiff/ablation.ts';
import { pairedDifference, stat, tQuantile975 } from '../../trainer/cocodiff/stats-paired.ts';
import { writeSyntheticDataset } from '../../trainer/data/synth/index.ts';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-ablate-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const run = (variant: string, seed: number, top1: number, val = top1 + 0.1): RunRecord => ({ variant, seed, testTop1: top1, valTop1: val, cleanTrainTop1: Math.min(1, top1 + 0.2), valCurve: [0.1, val - 0.05, val], lastCe: { real: 1 + top1, gen: variant === 'baseline' ? null : top1 }, epoch: 3, wallSeconds: 10 * seed, msPerStep: 100, runDir: '-' });
const SETTINGS = { data: 'synth', trainPerClass: 8, valFraction: null, preset: 'synth-quick', epochs: 2, batch: null, width: 0.125, blocks: null, frames: null, cocodiff: { genT: [20, 200] as [number, number], matchNorm: true } };

describe('ablation', () => {
  it('maps the paper\'s five variants onto the train switches', () => {
    const [base, noText, fine, coarse, both] = VARIANTS;
    expect(base.cocodiff).toBeNull();
    expect([noText.cocodiff!.fineText, noText.cocodiff!.coarseText]).toEqual([false, false]);
    expect([fine.cocodiff!.fineText, fine.cocodiff!.coarseText]).toEqual([true, false]);
    expect([coarse.cocodiff!.fineText, coarse.cocodiff!.coarseText]).toEqual([false, true]);
    expect([both.cocodiff!.fineText, both.cocodiff!.coarseText, both.cocodiff!.genCe]).toEqual([true, true, true]);
    expect(selectVariants(['0', 'fine-text']).map((v) => v.name)).toEqual([base.name, fine.name]);
    expect(() => selectVariants(['nope'])).toThrow(/^variants: unknown variant "nope"/);
  });

  it('orders the runs seed by seed, baseline and CoCoDiff first, the other variants on their own seed count', () => {
    const jobs = jobList({ seeds: 3, otherSeeds: 1 });
    expect(jobs.map((j) => `${VARIANTS.findIndex((v) => v.name === j.variant)}@${j.seed}`)).toEqual(['0@1', '4@1', '1@1', '2@1', '3@1', '0@2', '4@2', '0@3', '4@3']);
  });

  it('paired differences with a Student-t 95 % interval', () => {
    expect(stat([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(tQuantile975(9)).toBe(2.262);
    const control = new Map([[1, 50], [2, 60], [3, 55], [4, 70]]);
    const treatment = new Map([[1, 52], [2, 63], [3, 56], [5, 99]]);
    const d = pairedDifference(control, treatment); // differences 2, 3, 1 (seed 5 has no pair)
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(2, 12);
    expect(d.std).toBeCloseTo(1, 12);
    expect(d.high - d.mean).toBeCloseTo((4.303 * 1) / Math.sqrt(3), 12);
    expect(d.low).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 12);
  });

  it('summarises per variant in the paper\'s order and writes the table, the paired picture and the validation curves', async () => {
    const report: AblationReport = {
      format: 'cocodiff-ablation', version: 3, settings: SETTINGS,
      runs: [run('+both (CoCoDiff)', 1, 0.5, 0.4), run('baseline', 1, 0.4, 0.5), run('baseline', 2, 0.6, 0.6), run('+both (CoCoDiff)', 2, 0.7, 0.62)],
    };
    const rows = summarise(report);
    expect(rows.map((r) => r.variant)).toEqual(['baseline', '+both (CoCoDiff)']);
    expect(rows[0].top1.mean).toBeCloseTo(50, 9);
    expect(rows[0].top1.std).toBeCloseTo(Math.sqrt(200), 9);
    expect(rows[0].diff).toBeNull();
    expect(rows[1].diff!.mean).toBeCloseTo(10, 9);
    // Validation differences are paired on their own numbers (−10 and +2 points), not on test's.
    expect(rows[0].valDiff).toBeNull();
    expect(rows[1].valDiff!.mean).toBeCloseTo(-4, 9);
    expect(rows[1].valDiff!.std).toBeCloseTo(Math.sqrt(72), 9);
    expect(rows[1].ce).toEqual({ real: 1.6, gen: 0.6 });
    // With --no-gen-ce the generated features are never classified: no CE on them to report.
    expect(summarise({ ...report, settings: { ...SETTINGS, cocodiff: { genCe: false } } })[1].ce.gen).toBeNull();
    const dir = join(root, 'tables');
    await mkdir(dir);
    await writeTables(dir, report);
    const md = await readFile(join(dir, 'ablation.md'), 'utf8');
    expect(md).toContain('8 training recordings per class');
    expect(md).toContain('(width 0.125, blocks preset, frames preset, batch preset)');
    expect(md).toContain('CoCoDiff settings: the defaults, except genT 20:200, matchNorm true.');
    // Clean train top-1 (test + 20 points in these records) sits beside validation; both seeds gained on test.
    expect(rows[1].cleanTrain.mean).toBeCloseTo(80, 9);
    expect([rows[1].diff!.better, rows[1].diff!.worse, rows[1].diff!.ties]).toEqual([2, 0, 0]);
    expect([rows[1].valDiff!.better, rows[1].valDiff!.worse, rows[1].valDiff!.ties]).toEqual([1, 1, 0]);
    expect(md).toContain('| baseline | `(none)` | 2 | 50.0 ± 14.1 | — | — | 55.0 ± 7.1 | — | 70.0 ± 14.1 | 3.0 | 1.50 / — |');
    expect(md).toContain('| +both (CoCoDiff) | `--cocodiff` | 2 | 60.0 ± 14.1 | +10.0 [+10.0, +10.0] (n = 2) | 2 / 0 / 0 | 51.0 ± 15.6 | −4.0 [−80.2, +72.2] (n = 2) | 80.0 ± 14.1 | 3.0 | 1.60 / 0.60 |');
    const svg = await readFile(join(dir, 'ablation.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect((svg.match(/<circle /g) ?? []).length).toBe(4); // two seeds, each in both columns
    expect((svg.match(/stroke-opacity="0.6"/g) ?? []).length).toBe(2); // one line per seed
    const curves = await readFile(join(dir, 'ablation-curves.svg'), 'utf8');
    // One mean curve per variant, one curve per baseline seed, each through its three epochs.
    const lines = [...curves.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1].split(' ').length);
    expect(lines).toEqual([3, 3, 3, 3]);
    // The baseline's mean curve is 10, 50, 55 % (seeds at 10, 45, 50 and 10, 55, 60): y = 300 − 2.72·v in a 272-px plot.
    const meanYs = /<polyline points="([^"]+)"/.exec(curves)![1].split(' ').map((p) => Number(p.split(',')[1]));
    expect(meanYs).toEqual([272.8, 164, 150.4]);
    expect(curves).toContain('baseline (2)');
    expect(curves).toContain('+both (CoCoDiff) (2)');
    expect(curves).toContain('2 seeds');
  });

  it('runs seed-paired trainings on K recordings per class, resumes without re-running, refuses other settings', async () => {
    const data = join(root, 'synth');
    await writeSyntheticDataset(data, { perClass: 9, classes: 3, seed: 3 });
    const out = join(root, 'ablate');
    const o = {
      data, out, seeds: 1, trainPerClass: 2, epochs: 1, batch: 3, width: 0.125, blocks: 1, frames: 8, backend: 'wasm' as const,
      variants: ['baseline', '+diffusion (no text)'], cocodiff: { denoiserWidth: 16, denoiserBlocks: 1 },
    };
    const first = await runAblation(o);
    expect(first.runs.map((r) => [r.variant, r.seed])).toEqual([['baseline', 1], ['+diffusion (no text)', 1]]);
    const trained = JSON.parse(await readFile(join(out, 'baseline', 'seed-1', 'result.json'), 'utf8'));
    const other = JSON.parse(await readFile(join(out, 'diffusion-no-text', 'seed-1', 'result.json'), 'utf8'));
    expect(trained.trainSamples).toBe(6);
    // Clean train top-1: the chosen weights on the run's 6 training recordings, recorded by the ablation.
    expect(trained.cleanTrain.samples).toBe(6);
    expect(Number.isInteger(trained.cleanTrain.top1 * 6)).toBe(true);
    expect(first.runs[0].cleanTrainTop1).toBe(trained.cleanTrain.top1);
    expect(other.valSubjects).toEqual(trained.valSubjects);
    const log: string[] = [];
    const again = await runAblation({ ...o, log: (l) => log.push(l) });
    expect(log).toEqual(['ablate: 2 of 2 runs already finished']);
    expect(again.runs).toEqual(first.runs);
    await expect(runAblation({ ...o, trainPerClass: 3 })).rejects.toThrow(/ablation.json: this ablation was made with other settings/);

    // A switch measured against the same baselines: only the CoCoDiff run trains, the baseline record is the first ablation's.
    const switchOut = join(root, 'ablate-switch');
    const viaSource = { ...o, out: switchOut, baselineFrom: out, cocodiff: { ...o.cocodiff, genT: [10, 50] as [number, number] } };
    const switched = await runAblation(viaSource);
    expect(existsSync(join(switchOut, 'baseline'))).toBe(false);
    expect(switched.runs.find((r) => r.variant === 'baseline')).toEqual({ ...first.runs[0], runDir: join('..', 'ablate', 'baseline', 'seed-1') });
    expect(switched.runs.find((r) => r.variant !== 'baseline')!.testTop1).toEqual(expect.any(Number));
    await expect(runAblation({ ...viaSource, out: join(root, 'ablate-k3'), trainPerClass: 3 })).rejects.toThrow(/^baselineFrom: .*ablation.json was made with other data, model or training settings/);
    await expect(runAblation({ ...viaSource, out: join(root, 'ablate-seeds'), seeds: 2 })).rejects.toThrow(/^baselineFrom: .* has no finished baseline run for seed 2; extend that ablation first/);
  }, 240_000);
});
