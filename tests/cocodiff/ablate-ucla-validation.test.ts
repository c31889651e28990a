/**
 * An ablation under `--preset ucla` chooses each run's epoch on held-out training subjects. The preset
 * itself keeps no validation split (the authors train on every training clip and keep the last epoch),
 * so without this the ablation's "epoch chosen on the validation subjects" would silently be the last
 * epoch and its validation column empty. Fixture clips are written in the real all_sqe/ JSON format.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAblation } from '../../trainer/cocodiff/ablation.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { subjectOf } from '../../trainer/data/subsets.ts';
import { prepareUcla, uclaSplitList } from '../../trainer/data/ucla.ts';
import { clipValues, uclaJson } from '../helpers/clip-fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'cocodiff-ablate-ucla-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cache = join(root, 'cache');

beforeAll(async () => {
  const clips = join(root, 'all_sqe');
  mkdirSync(clips);
  [...uclaSplitList('train'), ...uclaSplitList('test')].forEach((e, i) => writeFileSync(join(clips, `${e.name}.json`), uclaJson(e.name, e.label + 1, clipValues(6 + (i % 9), 20, i))));
  await prepareUcla(root, cache, { quiet: true });
}, 300_000);

const tiny = { seeds: 1, trainPerClass: 1, epochs: 1, batch: 5, width: 0.125, blocks: 1, frames: 4, backend: 'wasm' as const, preset: 'ucla' as const, variants: ['baseline'] };

describe('ablate --preset ucla', () => {
  it('holds out a fifth of the training subjects (the views 1–2 clips), never the test view, and picks the epoch there', async () => {
    const out = join(root, 'ablate');
    const report = await runAblation({ ...tiny, data: cache, out });
    const result = JSON.parse(await readFile(join(out, 'baseline', 'seed-1', 'result.json'), 'utf8'));
    const train = (await readCache(cache)).index.splits.train.samples;
    const subjects = new Set(train.map((s) => subjectOf(s.name)));
    expect(subjects.size).toBe(10);
    expect(result.valSubjects).toHaveLength(2);
    // Every clip of the two held-out subjects in views 1–2 validates; none of them trains.
    expect(result.valSamples).toBe(train.filter((s) => result.valSubjects.includes(subjectOf(s.name))).length);
    expect(train.every((s) => /_v0[12]$/.test(s.name))).toBe(true);
    expect(result.trainSamples).toBe(10);
    expect(report.runs[0].valTop1).toBe(result.chosen.valTop1);
    expect(report.runs[0].valTop1).toEqual(expect.any(Number));
  }, 300_000);

  it('refuses a validation fraction of 0, naming the option', async () => {
    await expect(runAblation({ ...tiny, data: cache, out: join(root, 'no-val'), valFraction: 0 })).rejects.toThrow(/^valFraction: expected a fraction in \(0, 1\).*found 0$/);
  });
});
