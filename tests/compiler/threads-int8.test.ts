/**
 * `compile --int8 --threads N`: the threaded int8 module splits the making of each tensor's activation
 * codes over its threads (then a barrier) and the qs8 convs' output rows in blocks of 4, as f32 does.
 * Its logits must be the single-threaded int8 module's bit for bit, through the host API with real
 * workers; `run` and `stream` print what the single-threaded int8 module prints.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recognizer } from 'cocodiff-runtime';
import { relaxedSimdAvailable } from '../../compiler/bench.ts';
import { benchThreads } from '../../cli/bench-threads.ts';
import { compileModule, type BuiltModule } from '../../compiler/index.ts';
import { calibrate } from '../../compiler/int8/calibrate.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { runPasses } from '../../compiler/passes/index.ts';
import * as compile from '../../cli/commands/compile.ts';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import { runCli } from '../helpers/cli.ts';
import { tinyDataset } from '../helpers/tiny-run.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';
import { expectSameBits, expectSameCliOutput } from './same-bits.ts';

const relaxed = await relaxedSimdAvailable();
const C = 3, T = 32, V = 25, M = 2, K = 7;
const SIZE = C * T * V * M;

let dir: string;
let built: Record<'c2x1' | 'c2x2' | 'c2x3', BuiltModule>;
let loaded: Awaited<ReturnType<typeof loadArtifact>>;
let int8: { inputs: Float32Array[]; method: 'minmax'; ranges: ReturnType<typeof calibrate> };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cocodiff-threads-int8-'));
  // Width 0.3 as in threads.test.ts: 20, 40 and 76 channels and TCN branches of 5, 10 and 19, so that
  // 2 and 3 threads split both the conv rows and the code pairs unevenly, with remainders.
  await writeRandomArtifact(join(dir, 'model'), { width: 0.3, blocks: 4, T, M, K, seed: 5 });
  loaded = await loadArtifact(join(dir, 'model'));
  const inputs = Array.from({ length: 4 }, (_, i) => randomInput(SIZE, 40 + i));
  int8 = { inputs, method: 'minmax', ranges: calibrate(runPasses(loaded.graph), inputs, 'minmax') };
  built = {
    c2x1: await compileModule(loaded.artifact, loaded.graph, { int8 }),
    c2x2: await compileModule(loaded.artifact, loaded.graph, { int8, threads: 2 }),
    c2x3: await compileModule(loaded.artifact, loaded.graph, { int8, threads: 3 }),
  };
  for (const [name, m] of Object.entries(built)) writeFileSync(join(dir, `${name}.wasm`), m.wasm);
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compile --int8 --threads', () => {
  it('splits the codes in whole pairs and the qs8 rows in blocks of 4, with a barrier after the codes', () => {
    const src = built.c2x3.network.source;
    // Thread 2 of 3 makes the codes of channels 26..40 of a 40-channel tensor (pairs from 13 on) and conv rows from a block of 4.
    expect(src).toMatch(/qs8_quantize_pairs_wasmsimd\(AR \+ \d+, \d+, 14, AR \+ \d+/);
    const unit = src.slice(src.indexOf('function unit_l2('), src.indexOf('function unit_l3('));
    const branches = unit.split(/} else if \(tid == \d\) \{/);
    expect(branches).toHaveLength(3);
    for (const b of branches) expect(b).toMatch(/qs8_quantize_pairs_wasmsimd\([^;]*\);\s*barrier\(\);/);
    expect(built.c2x3.sidecar.threads?.count).toBe(3);
    expect(built.c2x3.sidecar.int8?.ops).toBe(built.c2x1.sidecar.int8?.ops);
  });

  it('gives the single-threaded int8 logits bit for bit, with 2 and 3 threads, through the host API and its workers', async () => {
    const [one, two, three] = await Promise.all(['c2x1', 'c2x2', 'c2x3'].map((n) => Recognizer.load(join(dir, `${n}.wasm`))));
    try {
      expect([one.info.threads, two.info.threads, three.info.threads]).toEqual([1, 2, 3]);
      expect(two.info.int8).toEqual(one.info.int8);
      expectSameBits(one, [two, three], SIZE, M);
    } finally {
      for (const r of [one, two, three]) r.dispose();
    }
  }, 120_000);

  it.skipIf(!relaxed)('relaxed SIMD (c4 codes in fours of channels): 2 threads give the single-threaded logits bit for bit', async () => {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    const c4 = await Promise.all([1, 2].map((threads) => compileModule(loaded.artifact, loaded.graph, { int8, threads, relaxedSimd: true })));
    expect(c4[1].network.source).toMatch(/qs8_quantize_quads_wasmrelaxedsimd\([^;]*\);\s*barrier\(\);/);
    const [one, two] = await Promise.all(c4.map((m) => Recognizer.load(m.wasm, { sidecar: m.sidecar })));
    try {
      expectSameBits(one, [two], SIZE, M);
    } finally {
      one.dispose();
      two.dispose();
    }
  }, 300_000);

  it('compiles with --int8 and --threads through the CLI (verified); run and stream print what the single-threaded int8 module prints', async () => {
    const cli = (...args: string[]): Promise<string[]> => runCli([compile, run, stream], ...args);
    const { data } = await tinyDataset();
    for (const threads of ['1', '2']) {
      await cli('compile', join(dir, 'model'), '-o', join(dir, `cli${threads}.wasm`), '--int8', data, '--calibration-samples', '4', '--threads', threads, '--verify');
    }
    const sidecar = JSON.parse(readFileSync(join(dir, 'cli2.json'), 'utf8'));
    expect(sidecar.threads.count).toBe(2);
    expect(sidecar.int8.calibration).toBe('minmax');
    await expectSameCliOutput(dir, join(dir, 'cli1.wasm'), join(dir, 'cli2.wasm'));
  }, 300_000);

  it('bench --threads with --int8: f32 and int8 rows, each on 1 and 2 threads with their logits compared, then each peer', async () => {
    const skipped = { name: 'a peer', rounds: 1, load: async () => ({ skipped: 'not in this test' }) };
    let calls = 0;
    let disposed = false;
    const counted = { name: 'a running peer', rounds: 1, load: async () => ({ infer: () => void calls++, note: 'its note', dispose: () => void (disposed = true) }) };
    const rows = await benchThreads(loaded.artifact, loaded.graph, { threads: 2, runs: 2, peers: [skipped, counted], int8, log: () => {} });
    expect(rows.map((r) => r.name)).toEqual(['.wasm SIMD, 1 thread', '.wasm SIMD, 2 threads', '.wasm int8 SIMD, 1 thread', '.wasm int8 SIMD, 2 threads', 'a peer', 'a running peer']);
    for (const r of [rows[1], rows[3]]) expect(r.note).toMatch(/^\d+\.\d\d× faster than 1 thread \(median of per-round ratios, quartiles .*\); logits bit-identical \(all 7\)$/);
    expect(rows[4].note).toBe('skipped: not in this test');
    // The running peer was timed in the rounds (after the skipped one, its column is the next) and released.
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(rows[5].note).toMatch(/^\.wasm 2 threads is \d+\.\d\d× faster \(quartiles .*\), \.wasm 1 thread \d+\.\d\d× \(its note(; it started \d+ OS thread\(s\) beside this one)?\)$/);
    expect(disposed).toBe(true);
  }, 300_000);

  it('bench --threads takes the one-thread build it is given instead of compiling it again', async () => {
    const log: string[] = [];
    // Given the int8 build as the f32 one-thread module, the f32 threaded build's logits differ from it: it was used.
    const rows = await benchThreads(loaded.artifact, loaded.graph, { threads: 2, runs: 2, peers: [], oneThread: { SIMD: built.c2x1.wasm }, log: (l) => log.push(l) });
    expect(log[0]).toBe('compiling (SIMD, 2 threads) ...');
    expect(rows[1].note).toMatch(/; logits [1-7] of 7 differ$/);
  }, 300_000);
});
