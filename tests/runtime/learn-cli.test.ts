/**
 * `cocodiff learn` and `--learned` on `run` and `stream`, in-process through commander: the file
 * `learn` writes makes `run` and `stream` report the taught gesture, classes accumulate with
 * `--learned`, and a user's file or a damaged learned file is refused in one line naming it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as learn from '../../cli/commands/learn.ts';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import type { Sequence } from 'cocodiff-runtime';
import { runCli } from '../helpers/cli.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
import { buildFixtureWasm } from './fixture-wasm.ts';
import { recording } from './synthetic-frames.ts';

let dir: string;
let wasmPath: string;
const cli = (...args: string[]): Promise<string[]> => runCli([learn, run, stream], ...args);

/** A one-person recording with every joint raised by `lift` in y: a gesture the fixture was not built for. */
function lifted(seed: number, lift: number): Sequence {
  const seq = recording({ layout: 'ntu25', frames: 40, persons: 1, seed, enter: [0, 0] });
  return { ...seq, data: seq.data.map((v, i) => (v !== 0 && i % 3 === 1 ? v + lift : v)) };
}
async function saveNpy(name: string, seq: Sequence): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, npyBytes('<f4', [seq.frames, seq.persons, seq.joints, seq.coords], seq.data));
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-learn-cli-'));
  ({ wasmPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 5, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('learn writes the taught class; run and stream with --learned report it, and --learned accumulates classes', async () => {
  const ups = await Promise.all([1, 2, 3].map((s) => saveNpy(`up${s}.npy`, lifted(s, 4))));
  const out = join(dir, 'learned.json');
  const said = await cli('learn', wasmPath, '--name', 'hands up', '--input', ...ups, '-o', out);
  expect(said[0]).toMatch(/^taught "hands up" from 3 recording\(s\) in \d+ ms \(class 5\); taught classes: "hands up" → .*learned\.json$/);
  expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ format: 'cocodiff-learned', classes: [{ name: 'hands up' }] });

  const probe = await saveNpy('probe.npy', lifted(40, 4));
  expect((await cli('run', wasmPath, '--input', probe))[1]).not.toMatch(/hands up/);
  expect((await cli('run', wasmPath, '--input', probe, '--learned', out))[1]).toMatch(/^ {2}1\. hands up +\d+\.\d\d %$/);
  const streamed = await cli('stream', wasmPath, '--input', probe, '--learned', out, '--stride', '20', '--no-realtime', '--alpha', '1');
  expect(streamed.filter((l) => /frame\s+\d+/.test(l)).at(-1)).toMatch(/frame\s+40\s+hands up/);

  const downs = await Promise.all([4, 5].map((s) => saveNpy(`down${s}.npy`, lifted(s, -4))));
  const both = await cli('learn', wasmPath, '--name', 'crouch', '--input', ...downs, '--learned', out, '-o', out);
  expect(both[0]).toMatch(/\(class 6\); taught classes: "hands up", "crouch"/);
  expect((await cli('run', wasmPath, '--input', await saveNpy('low.npy', lifted(41, -4)), '--learned', out))[1]).toMatch(/^ {2}1\. crouch /);
});

it("refuses to write over a user's file, a name the recognizer has, and a damaged --learned file, naming each", async () => {
  const up = await saveNpy('up9.npy', lifted(9, 4));
  const notes = join(dir, 'notes.json');
  await writeFile(notes, '{"mine": true}');
  await expect(cli('learn', wasmPath, '--name', 'hands up', '--input', up, '-o', notes)).rejects.toThrow(/notes\.json: exists and is not a learned-classes file that cocodiff wrote; nothing was replaced/);
  expect(await readFile(notes, 'utf8')).toBe('{"mine": true}');
  await expect(cli('learn', wasmPath, '--name', 'action 3', '--input', up, '-o', join(dir, 'x.json'))).rejects.toThrow(/^learn\("action 3"\): name: "action 3" is one of the recognizer's own classes/);
  const broken = join(dir, 'broken.json');
  await writeFile(broken, '{"format": "cocodiff-learned", "version": 1, "method": "ncm"');
  await expect(cli('run', wasmPath, '--input', up, '--learned', broken)).rejects.toThrow(/broken\.json: not valid JSON/);
  await expect(cli('run', wasmPath, '--input', up, '--learned', join(dir, 'missing.json'))).rejects.toThrow(/missing\.json/);
  await expect(cli('learn', wasmPath, '--name', 'x', '--input', up, '-o', join(dir, 'y.json'), '--method', 'svm')).rejects.toThrow(/--method/);
});
