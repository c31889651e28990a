/**
 * `cocodiff compile ART -o rec.wasm --reference INPUT.bin LOGITS.bin`, driven through commander as
 * the CLI does: logits computed elsewhere (here by the IR interpreter) pass and the module is
 * written; a reference the module disagrees with fails with the worst difference, and nothing is written.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as compile from '../../cli/commands/compile.ts';
import { interpret } from '../../compiler/interpret.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';
import { runCli } from '../helpers/cli.ts';

const [C, T, V, M, K] = [3, 16, 25, 2, 5];
let dir: string;
let inputs: Float32Array;
let logits: Float32Array;

const cli = (...args: string[]): Promise<string[]> => runCli([compile], ...args);

const bytes = (x: Float32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-reference-'));
  await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 2, T, M, K, seed: 41 });
  const { graph } = await loadArtifact(join(dir, 'model'));
  const size = C * T * V * M;
  inputs = new Float32Array(2 * size);
  logits = new Float32Array(2 * K);
  for (let i = 0; i < 2; i++) {
    const x = randomInput(size, 50 + i);
    inputs.set(x, i * size);
    logits.set(interpret(graph, x), i * K);
  }
  await writeFile(join(dir, 'input.bin'), bytes(inputs));
  await writeFile(join(dir, 'logits.bin'), bytes(logits));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('passes against logits computed elsewhere and writes the module', async () => {
  const out = join(dir, 'ok', 'rec.wasm');
  const lines = await cli('compile', join(dir, 'model'), '-o', out, '--reference', join(dir, 'input.bin'), join(dir, 'logits.bin'));
  expect(lines.some((l) => /^verify reference logits: max \|Δlogit\| \S+ over 2 input\(s\)$/.test(l))).toBe(true);
  const p = lines.find((l) => l.startsWith('verify reference (2 input(s)): max |Δp| '));
  expect(Number(/\|Δp\| (\S+),/.exec(p!)![1])).toBeLessThan(1e-4);
  expect(lines.at(-1)).toMatch(/^wrote .*rec\.wasm \(\d+ KiB\) and .*rec\.json in \d+\.\d s$/);
  expect(existsSync(out) && existsSync(join(dir, 'ok', 'rec.json'))).toBe(true);
}, 300_000);

it('fails on a reference the module disagrees with, naming the difference, and writes nothing', async () => {
  const wrong = logits.slice();
  [wrong[K + 1], wrong[K + 3]] = [wrong[K + 3] + 1, wrong[K + 1]]; // the second input's classes 1 and 3 swapped and moved
  await writeFile(join(dir, 'wrong.bin'), bytes(wrong));
  const out = join(dir, 'bad', 'rec.wasm');
  await expect(cli('compile', join(dir, 'model'), '-o', out, '--reference', join(dir, 'input.bin'), join(dir, 'wrong.bin')))
    .rejects.toThrow(/^verify failed: reference \(2 input\(s\)\): max \|Δp\| \S+ > 0\.0001$/);
  expect(existsSync(out)).toBe(false);
  await expect(cli('compile', join(dir, 'model'), '-o', out, '--reference', join(dir, 'input.bin')))
    .rejects.toThrow(/--reference: expected two files, INPUT\.bin LOGITS\.bin, found 1/);
}, 300_000);
