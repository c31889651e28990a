/** `cocodiff forward` refuses input the network would turn into NaN scores (issue 26), naming the value. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as forwardCommand from '../../cli/commands/forward.ts';
import { runCli } from '../helpers/cli.ts';
import { writeRandomArtifact } from '../compiler/artifacts.ts';

let dir: string;
const T = 16;
const count = 3 * T * 25 * 1;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-forward-'));
  await writeRandomArtifact(join(dir, 'art'), { width: 0.125, blocks: 1, T, M: 1, K: 3, seed: 4 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it.each([[Number.NaN, 'NaN'], [3e38, '3.0000000054977558e+38'], [-Infinity, '-Infinity']])('refuses %s in the input', async (bad, shown) => {
  const values = new Float32Array(count).fill(0.25);
  values[41] = bad;
  const input = join(dir, 'input.bin');
  await writeFile(input, new Uint8Array(values.buffer));
  await expect(runCli([forwardCommand], 'forward', join(dir, 'art'), '--input', input, '--backend', 'cpu')).rejects.toThrow(`${input}: value 41 is ${shown}; network input must be finite and within ±1000000`);
  values[41] = 0.5;
  await writeFile(input, new Uint8Array(values.buffer));
  const lines = await runCli([forwardCommand], 'forward', join(dir, 'art'), '--input', input, '--backend', 'cpu');
  expect(lines[1]).toMatch(/^sample 0 logits: (-?\d+\.\d{5} ){2}-?\d+\.\d{5}$/);
});
