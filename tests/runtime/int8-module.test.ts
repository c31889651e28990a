/**
 * An int8 module (`compile --int8`) goes wherever the f32 one goes: the host API in Node, `run` and
 * `stream`. One seeded random CTR-GCN (two quarter-width units) is compiled both ways through the CLI,
 * the int8 one calibrated on a synthetic cache's train split; every recording of the cache then goes
 * through both modules with `Recognizer`, and `run`/`stream` print for the int8 module what its
 * `Recognizer` computes.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as compile from '../../cli/commands/compile.ts';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import { formatPrediction } from '../../cli/commands/stream.ts';
import { Recognizer, type Sequence } from 'cocodiff-runtime';
import { DEFAULT_CALIBRATION_METHOD } from '../../compiler/int8/calibrate.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { writeRandomArtifact } from '../compiler/artifacts.ts';
import { runCli } from '../helpers/cli.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
import { tinyDataset } from '../helpers/tiny-run.ts';

const cli = (...args: string[]): Promise<string[]> => runCli([compile, run, stream], ...args);
const argmax = (a: ArrayLike<number>): number => Array.from(a).indexOf(Math.max(...Array.from(a)));

let dir: string;
let f32Path: string;
let int8Path: string;
let recordings: Sequence[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-int8-module-'));
  const { data } = await tinyDataset();
  await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 2, T: 16, M: 2, K: 8, seed: 5 });
  f32Path = join(dir, 'f32.wasm');
  int8Path = join(dir, 'int8.wasm');
  await cli('compile', join(dir, 'model'), '-o', f32Path);
  await cli('compile', join(dir, 'model'), '-o', int8Path, '--int8', data, '--calibration-samples', '12');
  // Without --calibration: the default method, which the sidecar records.
  expect(JSON.parse(await readFile(join(dir, 'int8.json'), 'utf8')).int8).toMatchObject({ calibration: DEFAULT_CALIBRATION_METHOD, samples: 12 });
  const cache = await readCache(data);
  recordings = (['train', 'test'] as const).flatMap((split) => Array.from({ length: cache.index.splits[split].samples.length }, (_, i) => cache.sequence(split, i)));
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Bounds, for this seeded model and data (measured: 30 of 30 argmax the same, worst logit error 0.31 % of
// the spread): at least 90 % the same argmax and every logit within 2 % of the f32 logits' spread; and
// not the f32 logits, or the int8 path was not taken.
it('Recognizer: the int8 module agrees with the f32 one on every recording of a cache (top-1, logit error)', async () => {
  const f32 = await Recognizer.load(f32Path);
  const int8 = await Recognizer.load(int8Path);
  expect([f32.info.int8, int8.info.int8]).toEqual([false, true]);
  let same = 0;
  let worst = 0;
  for (const seq of recordings) {
    const want = (f32.classify(seq), f32.lastLogits());
    const got = (int8.classify(seq), int8.lastLogits());
    if (argmax(got) === argmax(want)) same++;
    const spread = Math.max(...want) - Math.min(...want);
    for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k] - want[k]) / spread);
  }
  expect(recordings.length).toBe(30);
  expect(same / recordings.length).toBeGreaterThanOrEqual(0.9);
  expect(worst).toBeLessThan(0.02);
  expect(worst).toBeGreaterThan(1e-5);
}, 120_000);

it('run and stream take the int8 module and print what its Recognizer computes', async () => {
  const seq = recordings[3];
  const npy = join(dir, 'rec.npy');
  await writeFile(npy, npyBytes('<f4', [seq.frames, seq.persons, seq.joints, seq.coords], seq.data));
  const top = (await Recognizer.load(int8Path)).classify({ ...seq, name: 'rec' }).top;
  const printed = await cli('run', int8Path, '--input', npy);
  expect(printed.slice(1)).toEqual(top.map((c, i) => `  ${i + 1}. ${c.label.padEnd(32)} ${(100 * c.score).toFixed(2).padStart(6)} %`));

  // stream's predictions without the parts that vary (the replay clock, the latency).
  const steady = (line: string): string => line.replace(/^\s*\d+\.\d{3}s\s+/, '').replace(/\s+infer \d+\.\d\d ms$/, '');
  const r = await Recognizer.load(int8Path, { stride: 4, alpha: 0.6, topK: 4 });
  const per = seq.persons * seq.joints * seq.coords;
  const want: string[] = [];
  for (let f = 0; f < seq.frames; f++) {
    const p = r.push(seq.data.subarray(f * per, (f + 1) * per));
    if (p) want.push(steady(formatPrediction(p, 0)));
  }
  const lines = await cli('stream', int8Path, '--input', npy, '--stride', '4', '--no-realtime');
  const got = lines.filter((l) => /^\s+\d+\.\d{3}s\s+frame\s+\d+\s/.test(l)).map(steady);
  expect(want.length).toBeGreaterThan(2);
  expect(got).toEqual(want);
}, 120_000);
