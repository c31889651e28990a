/**
 * `train --out` and `eval --out` write file by file into a folder: a folder of the user's files is
 * refused before any work and left as it was; an earlier run's or evaluation's own files are not
 * in the way (issue 26, "one output rule").
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as evalCommand from '../../cli/commands/eval.ts';
import * as train from '../../cli/commands/train.ts';
import { runCli } from '../helpers/cli.ts';
import { TINY_TRAINING, tinyRun, type TinyRun } from '../helpers/tiny-run.ts';

let root: string;
let tiny: TinyRun;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cocodiff-own-folder-'));
  tiny = await tinyRun();
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

const trainInto = (out: string) => {
  const t = TINY_TRAINING;
  return runCli([train], 'train', '--data', tiny.data, '--out', out, '--preset', t.preset, '--width', String(t.width), '--blocks', String(t.blocks),
    '--frames', String(t.frames), '--batch', String(t.batch), '--epochs', '1', '--seed', '3', '--backend', t.backend, '--quiet');
};

/** A folder holding the user's thesis. */
async function usersFolder(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, 'figures'), { recursive: true });
  await writeFile(join(dir, 'chapter1.tex'), '\\chapter{Mine}\n');
  return dir;
}

it('train --out: a folder of the user\'s files is refused before training, and left as it was', async () => {
  const dir = await usersFolder('thesis-train');
  await expect(trainInto(dir)).rejects.toThrow(`${dir}: holds files cocodiff did not write there (chapter1.tex, figures); nothing was written. Use a new or empty directory, or one that holds only an earlier training run`);
  expect((await readdir(dir)).sort()).toEqual(['chapter1.tex', 'figures']);
  expect(await readFile(join(dir, 'chapter1.tex'), 'utf8')).toBe('\\chapter{Mine}\n');
});

it('eval --out: refused in the user\'s folder; writing again over its own earlier output is fine', async () => {
  const dir = await usersFolder('thesis-eval');
  const evalInto = (out: string) => runCli([evalCommand], 'eval', tiny.artifact, '--data', tiny.data, '--out', out, '--backend', 'wasm');
  await expect(evalInto(dir)).rejects.toThrow(`${dir}: holds files cocodiff did not write there (chapter1.tex, figures); nothing was written. Use a new or empty directory, or one that holds only an earlier evaluation`);
  expect((await readdir(dir)).sort()).toEqual(['chapter1.tex', 'figures']);
  const own = join(root, 'eval-out');
  await evalInto(own);
  await evalInto(own);
  expect((await readdir(own)).sort()).toEqual(['confusion.json', 'confusion.svg', 'predictions.jsonl']);
});

it('train --out into an empty folder trains', async () => {
  const dir = join(root, 'empty');
  await mkdir(dir);
  await trainInto(dir);
  expect(await readdir(dir)).toContain('result.json');
});
