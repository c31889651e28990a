import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as compileCommand from '../../cli/commands/compile.ts';
import { readArtifact } from '../../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { Rng } from '../../common/rng.ts';
import { buildGraph } from '../../compiler/load.ts';
import { VERIFY_TOLERANCE, interpreterOracle, verifyModule } from '../../compiler/verify.ts';
import { CacheWriter } from '../../trainer/data/cache.ts';
import { readSampleInputs } from '../../trainer/data/sample-inputs.ts';
import { tfjsReference } from '../../trainer/model/reference.ts';
import { writeRandomArtifact } from './artifacts.ts';

const K = 4;
const CLASSES = Array.from({ length: K }, (_, k) => `class ${k}`);

interface CacheSpec {
  layout?: LayoutName;
  joints?: number;
  coords?: number;
  /** Labels of the samples, in split order. */
  train?: number[];
  test?: number[];
}

/** A seeded dataset cache of skeleton-like recordings (person 2 absent in every other sample). */
async function writeCache(dir: string, spec: CacheSpec, seed: number): Promise<string> {
  const layout = spec.layout ?? 'ntu25';
  const joints = spec.joints ?? LAYOUTS[layout].joints.length;
  const coords = spec.coords ?? 3;
  const persons = 2;
  const rng = new Rng(seed);
  const w = await CacheWriter.create(dir, { layout, persons, joints, coords, classes: CLASSES, benchmark: null, source: 'verify-data test' });
  for (const split of ['train', 'test'] as const) {
    for (const [i, label] of (spec[split] ?? []).entries()) {
      const frames = 20 + rng.int(30);
      const data = new Float32Array(frames * persons * joints * coords);
      const present = i % 2 === 0 ? 1 : persons;
      for (let f = 0; f < frames; f++) {
        for (let m = 0; m < present; m++) {
          for (let v = 0; v < joints; v++) {
            for (let c = 0; c < coords; c++) {
              data[((f * persons + m) * joints + v) * coords + c] = (c === 2 ? 3 : m - 0.5) + 0.3 * rng.normal() + 0.2 * Math.sin(f / 5 + label);
            }
          }
        }
      }
      await w.add(split, { layout, frames, persons, joints, coords, data, label, name: `${split}-${i}` });
    }
  }
  await w.commit();
  return dir;
}

/** `cocodiff compile ARGS`, in-process as cli/main.ts runs it; returns what it printed. */
async function compile(...args: string[]): Promise<string[]> {
  const program = new Command('cocodiff').exitOverride();
  compileCommand.register(program);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
  try {
    await program.parseAsync(['node', 'cocodiff', 'compile', ...args]);
  } finally {
    log.mockRestore();
  }
  return printed;
}

describe('compile --verify --data', () => {
  let dir: string;
  const model = (): string => join(dir, 'model');
  /** The module compile --verify --data wrote (test 1 builds it). */
  let wasm: Uint8Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-verify-data-'));
    await writeRandomArtifact(model(), { width: 0.25, blocks: 5, T: 16, M: 2, K, seed: 5 });
    // Class-ordered, as real caches often are: taking the first samples would see one class only.
    await writeCache(join(dir, 'good'), { train: [0, 1, 2, 3], test: [0, 0, 1, 1, 2, 2, 3, 3] }, 1);
    await writeCache(join(dir, 'openpose'), { layout: 'openpose18', train: [0], test: [0] }, 2);
    await writeCache(join(dir, 'joints18'), { layout: 'ntu25', joints: 18, train: [0], test: [0] }, 3);
    await writeCache(join(dir, 'xy'), { coords: 2, train: [0], test: [0] }, 4);
    await writeCache(join(dir, 'train-only'), { train: [3, 1, 2] }, 5);
    await writeCache(join(dir, 'empty'), {}, 6);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks test samples spread over the classes against the interpreter and tfjs, each named with its label, within the tolerance', async () => {
    const cache = join(dir, 'good');
    const out = join(dir, 'out', 'rec.wasm');
    const printed = await compile(model(), '-o', out, '--verify-tfjs', '--data', cache);
    wasm = readFileSync(out);
    const lines = printed.filter((l) => l.startsWith('verify '));
    for (const oracle of ['interpreter', 'tfjs']) {
      const sampleLines = lines.filter((l) => l.startsWith(`verify ${oracle}`) && l.includes(cache));
      expect(sampleLines, oracle).toHaveLength(4);
      [0, 2, 4, 6].forEach((k, i) => expect(sampleLines[i]).toContain(`${cache} test ${k} "class ${i}"`));
      expect(lines.some((l) => l.startsWith(`verify ${oracle}`) && /random inputs/.test(l)), oracle).toBe(true);
    }
    for (const line of lines) {
      const m = /max \|Δp\| (\S+),/.exec(line);
      expect(m, line).not.toBeNull();
      expect(Number(m![1])).toBeLessThan(VERIFY_TOLERANCE);
    }
  });

  it('fails on a dataset sample where the module and tfjs disagree, naming the sample', async () => {
    const artifact = await readArtifact(model());
    // The tfjs side gets other classifier biases than the module was built with.
    const bias = artifact.weights.get('fc.bias')!;
    bias.data = bias.data.map((b, k) => b + 2 * k);
    const samples = await readSampleInputs(artifact, join(dir, 'good'));
    const run = verifyModule(artifact, wasm, { oracles: [await tfjsReference(artifact)], randomInputs: 0, data: samples, log: () => {} });
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(/verify failed: .*good test 0 "class 0": max \|Δp\|/);
  });

  it('fails when the interpreter of other weights disagrees: --verify checks without tfjs', async () => {
    const artifact = await readArtifact(model());
    const bias = artifact.weights.get('fc.bias')!;
    bias.data = bias.data.map((b, k) => b + 2 * k);
    const run = verifyModule(artifact, wasm, { oracles: [interpreterOracle(buildGraph(artifact))], randomInputs: 2, log: () => {} });
    await expect(run).rejects.toThrow(/verify failed: interpreter \(2 random inputs\): max \|Δp\|/);
  });

  it('falls back to the train split of a cache without test samples', async () => {
    const artifact = await readArtifact(model());
    const lines: string[] = [];
    const checks = await verifyModule(artifact, wasm, {
      oracles: [interpreterOracle(buildGraph(artifact))], randomInputs: 0, data: await readSampleInputs(artifact, join(dir, 'train-only')), log: (l) => lines.push(l),
    });
    expect(checks.map((c) => c.label)).toEqual([0, 1, 2].map((k) => expect.stringContaining(`train-only train ${k} "class ${[3, 1, 2][k]}"`)));
    for (const c of checks) expect(c.maxAbs).toBeLessThan(VERIFY_TOLERANCE);
    expect(lines).toHaveLength(3);
  });

  it('refuses caches that do not fit the artifact, naming the file and field', async () => {
    const compileWith = (data: string) => compile(model(), '-o', join(dir, 'bad', 'rec.wasm'), '--verify', '--data', join(dir, data));
    const refusals: Array<[string, RegExp]> = [
      ['openpose', /openpose[/\\]index\.json: field "layout": expected "ntu25" \(the layout of .*model[/\\]model\.json\), found "openpose18"/],
      ['joints18', /joints18[/\\]index\.json: field "joints": layout ntu25 has 25 joints/],
      ['xy', /xy[/\\]index\.json: field "coords": expected 3 \(input\.C of .*model\.json\), found 2/],
      ['empty', /empty[/\\]index\.json: field "splits": expected at least one sample in the test or train split, found none/],
      ['no-such-cache', /--data .*no-such-cache: no such directory \(expected a dataset cache/],
    ];
    for (const [data, message] of refusals) {
      await expect(compileWith(data), data).rejects.toThrow(UserError);
      await expect(compileWith(data), data).rejects.toThrow(message);
    }
  });

  it('refuses --data without --verify', async () => {
    await expect(compile(model(), '-o', join(dir, 'x.wasm'), '--data', join(dir, 'good'))).rejects.toThrow(/--data: only used with --verify/);
  });
});
