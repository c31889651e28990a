/**
 * Thousands of classes: a 10,000-class run died at the 4 GB heap because each validation report
 * and the final confusion matrix were dense K × K (10^8 cells, 800 MB as numbers, more as JSON and
 * as the SVG's 10^8 rectangles). The report now keeps the non-zero cells (at most one per sample)
 * and the matrix only up to CONFUSION_MATRIX_CLASSES.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFUSION_MATRIX_CLASSES, classificationReport } from '../../trainer/train/metrics.ts';
import { writeConfusion } from '../../trainer/train/plots.ts';
import { CacheWriter } from '../../trainer/data/cache.ts';
import { runTraining } from '../../trainer/train/train.ts';
import { Rng } from '../../common/rng.ts';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { classTextEmbeddings } from '../../trainer/text/class-embeddings.ts';
import { BODY_PARTS } from '../../trainer/text/descriptions.ts';

const dirs: string[] = [];
const tmp = async (): Promise<string> => {
  const d = await mkdtemp(join(tmpdir(), 'cocodiff-many-'));
  dirs.push(d);
  return d;
};
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** N samples over K classes; sample i has label i % K and predicts (i + shift(i)) % K. */
function scoresFor(n: number, k: number, shift: (i: number) => number): { scores: Float32Array; labels: number[] } {
  const scores = new Float32Array(n * k);
  const labels = Array.from({ length: n }, (_, i) => i % k);
  for (let i = 0; i < n; i++) scores[i * k + ((labels[i] + shift(i)) % k)] = 1;
  return { scores, labels };
}

describe('the report with many classes', () => {
  it('keeps the matrix up to the limit and the same cells either way', () => {
    const k = CONFUSION_MATRIX_CLASSES;
    const { scores, labels } = scoresFor(2 * k, k, (i) => (i % 3 === 0 ? 1 : 0));
    const r = classificationReport(scores, labels, k);
    expect(r.confusion).toHaveLength(k);
    const fromCells = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (const c of r.cells) fromCells[c.true][c.predicted] = c.count;
    expect(r.confusion).toEqual(fromCells);
    expect(r.cells.reduce((a, c) => a + c.count, 0)).toBe(2 * k);
  });

  it('10,000 classes: no K × K matrix, the non-zero cells sorted by count, per-class accuracy for every class', () => {
    const k = 10_000;
    const { scores, labels } = scoresFor(300, k, (i) => (i < 100 ? 0 : 7));
    // Ten extra samples of class 0 confused with class 5: the most frequent cell.
    const all = new Float32Array(310 * k);
    all.set(scores);
    for (let i = 300; i < 310; i++) all[i * k + 5] = 1;
    const r = classificationReport(all, [...labels, ...new Array<number>(10).fill(0)], k);
    expect(r.confusion).toBeNull();
    expect(r.cells.length).toBeLessThanOrEqual(310);
    expect(r.cells[0]).toEqual({ true: 0, predicted: 5, count: 10 });
    expect(r.top1).toBeCloseTo(100 / 310);
    expect(r.perClass).toHaveLength(k);
    expect(r.perClass[1]).toBe(1);
    expect(r.perClass[150]).toBe(0);
    expect(r.perClass[9_999]).toBeNaN();
  });

  it('writes confusion.json and confusion.svg of a 10,000-class report in kilobytes, naming the top confusions', async () => {
    const k = 10_000;
    const classes = Array.from({ length: k }, (_, i) => `class ${i}`);
    const { scores, labels } = scoresFor(500, k, (i) => (i % 2 ? 3 : 0));
    const out = await tmp();
    await writeConfusion(out, classificationReport(scores, labels, k), classes, 'test split');
    expect((await stat(join(out, 'confusion.svg'))).size).toBeLessThan(20_000);
    expect((await stat(join(out, 'confusion.json'))).size).toBeLessThan(2_000_000);
    const json = JSON.parse(await readFile(join(out, 'confusion.json'), 'utf8'));
    expect(json.confusion).toBeNull();
    expect(json.cells.reduce((a: number, c: { count: number }) => a + c.count, 0)).toBe(500);
    const svg = await readFile(join(out, 'confusion.svg'), 'utf8');
    expect(svg).toContain('10000 classes: too many for a matrix');
    expect(svg).toContain('class 1 → class 4: 1');
  });
});

it('trains and scores a 2,000-class cache end to end, writing the cells', async () => {
  const k = 2_000;
  const data = join(await tmp(), 'cache');
  const classes = Array.from({ length: k }, (_, i) => `action ${i}`);
  const w = await CacheWriter.create(data, { layout: 'coco17', persons: 1, joints: 17, coords: 3, classes, benchmark: 'many', source: 'many-classes.test' });
  const rng = new Rng(4);
  for (let c = 0; c < k; c++) {
    for (const split of ['train', 'test'] as const) {
      await w.add(split, { layout: 'coco17', frames: 4, persons: 1, joints: 17, coords: 3, data: Float32Array.from({ length: 4 * 51 }, () => rng.normal()), label: c, name: `S001C001P${String(1 + (c % 20)).padStart(3, '0')}R001A001_${c}_${split}` });
    }
  }
  await w.commit();
  const out = join(await tmp(), 'run');
  const r = await runTraining({ preset: 'synth-quick', width: 0.125, blocks: 1, frames: 4, batch: 256, epochs: 1, seed: 1, backend: 'wasm', quiet: true, data, out });
  expect(r.test.samples).toBe(k);
  const json = JSON.parse(await readFile(join(out, 'confusion.json'), 'utf8'));
  expect(json.confusion).toBeNull();
  expect(json.cells.reduce((a: number, c: { count: number }) => a + c.count, 0)).toBe(k);
}, 120_000);

describe('CoCoDiff text with 10,000 classes (issue 26, item 7)', () => {
  const k = 10_000;
  const classes = Array.from({ length: k }, (_, i) => `action ${i}`);
  const neverLoaded = { name: 'never', load: () => Promise.reject(new Error('the encoder must not load')) };

  it('descriptions for 10,000 classes are refused before the encoder loads, naming the limit', async () => {
    const dir = await tmp();
    const textFile = join(dir, 'text.json');
    const entry = (label: string) => ({ label, coarse: [label, `${label} again`], fine: Object.fromEntries(BODY_PARTS.map((p) => [p, `the ${p} of ${label}`])) });
    await writeFile(textFile, JSON.stringify({ format: 'cocodiff-text', version: 1, dataset: 'many', classes: classes.map(entry) }));
    const err = await classTextEmbeddings({ classes, runDir: dir, textFile }, neverLoaded).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(`text: ${textFile}: ${k} classes give ${8 * k} distinct phrases to embed, more than the ${LIMITS.textPhrases} the built-in text encoder takes in one run (LIMITS.textPhrases); give textEmbeddings instead (precomputed class embeddings: a [classes, dim] .npy, one row per class)`);
    // The CLI names its own flags.
    expect((err as OptionError).spelled((name) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)).toMatch(/^--text: .*; give --text-embeddings instead/);
  });

  it('precomputed [10,000, D] embeddings give one coarse and one fine row per class, and no phrase cache', async () => {
    const dir = await tmp();
    const dim = 16;
    const rows = Float32Array.from({ length: k * dim }, (_, i) => (i % 97) / 97);
    const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${k}, ${dim}), }`.padEnd(117, ' ') + '\n';
    const npy = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from(Uint16Array.of(header.length).buffer), Buffer.from(header, 'latin1'), Buffer.from(rows.buffer)]);
    const embeddingsFile = join(dir, 'emb.npy');
    await writeFile(embeddingsFile, npy);
    const e = await classTextEmbeddings({ classes, runDir: dir, embeddingsFile }, neverLoaded);
    expect(e.dim).toBe(dim);
    expect(e.coarse).toHaveLength(k * dim);
    expect(e.fine).toHaveLength(k * dim);
    expect(Array.from(e.coarse.subarray((k - 1) * dim, k * dim))).toEqual(Array.from(rows.subarray((k - 1) * dim, k * dim)));
  });
});
