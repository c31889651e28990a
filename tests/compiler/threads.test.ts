/**
 * `compile --threads N`: the threaded module computes the single-threaded module's logits bit for bit
 * (every output element by the same kernel call, in the same order), through the runtime's host API
 * with real workers; its workers end (the process exits, with or without dispose()); a host that
 * cannot start its threads refuses it in one line; `run` and `stream` use it through the CLI.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Recognizer } from 'cocodiff-runtime';
import { compileModule, type BuiltModule } from '../../compiler/index.ts';
import { generateNetwork } from '../../compiler/codegen/network.ts';
import { threadRows } from '../../compiler/codegen/threads.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { installWorkerStarter, type WorkerMessage } from '../../runtime-as/host/threads.ts';
import { nodeWorker } from '../../runtime-as/host/node-threads.ts';
import * as compile from '../../cli/commands/compile.ts';
import * as run from '../../cli/commands/run.ts';
import * as stream from '../../cli/commands/stream.ts';
import { runCli } from '../helpers/cli.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';
import { expectSameBits, expectSameCliOutput } from './same-bits.ts';

const REPO = join(import.meta.dirname, '..', '..');
const C = 3, T = 32, V = 25, M = 2, K = 7;

let dir: string;
let built: Record<1 | 2 | 3, BuiltModule>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cocodiff-threads-'));
  // Width 0.3: 20, 40 and 76 channels (5, 10 and 19 blocks of 4, which 2 and 3 threads split
  // unevenly) and TCN branches of 5, 10 and 19 channels, whose remainder rows the last thread runs.
  await writeRandomArtifact(join(dir, 'model'), { width: 0.3, blocks: 4, T, M, K, seed: 5 });
  const { artifact, graph } = await loadArtifact(join(dir, 'model'));
  built = {
    1: await compileModule(artifact, graph),
    2: await compileModule(artifact, graph, { threads: 2 }),
    3: await compileModule(artifact, graph, { threads: 3 }),
  };
  for (const n of [1, 2, 3] as const) writeFileSync(join(dir, `t${n}.wasm`), built[n].wasm);
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('compile --threads', () => {
  it('splits rows in blocks of 4, covering every row once, the remainder on the last thread', () => {
    for (const [count, threads] of [[76, 3], [20, 2], [8, 3], [3, 2], [61, 4]]) {
      const ranges = Array.from({ length: threads }, (_, t) => threadRows(count, threads, t));
      expect(ranges[0].begin).toBe(0);
      expect(ranges[threads - 1].end).toBe(count);
      for (let t = 0; t < threads; t++) {
        expect(ranges[t].begin % 4).toBe(0);
        if (t > 0) expect(ranges[t].begin).toBe(ranges[t - 1].end);
      }
    }
    expect(threadRows(76, 3, 2)).toEqual({ begin: 48, end: 76 });
  });

  it('leaves the single-threaded module import-free and without atomics; the threaded one imports a shared memory its sidecar sizes', () => {
    const imports = (wasm: Uint8Array) => WebAssembly.Module.imports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)).map((i) => `${i.module}.${i.name}:${i.kind}`).sort();
    expect(imports(built[1].wasm).filter((i) => i !== 'env.abort:function')).toEqual([]);
    expect(imports(built[2].wasm).filter((i) => i !== 'env.abort:function')).toEqual(['env.memory:memory', 'env.thread_notify:function', 'env.thread_wait:function']);
    expect(built[1].sidecar.threads).toBeUndefined();
    expect(built[2].sidecar.threads).toEqual({ count: 2, memoryPages: expect.any(Number) });
    expect(built[1].network.source).not.toMatch(/atomic|barrier|THREADS/);
    expect(built[2].network.source).toMatch(/function barrier\(\): void/);
    // threads: 1 is the default module, the same source.
    expect(generateNetwork(built[1].graph, { threads: 1 }).source).toBe(generateNetwork(built[1].graph).source);
  });

  it('gives the single-threaded logits bit for bit, with 2 and 3 threads, through the host API and its workers', async () => {
    const [one, two, three] = await Promise.all([1, 2, 3].map((n) => Recognizer.load(join(dir, `t${n}.wasm`))));
    try {
      expect([one.info.threads, two.info.threads, three.info.threads]).toEqual([1, 2, 3]);
      expectSameBits(one, [two, three], C * T * V * M, M);
    } finally {
      for (const r of [one, two, three]) r.dispose();
    }
    expect(() => two.inferInput(randomInput(C * T * V * M, 1))).toThrow(/was disposed; load it again/);
  }, 120_000);

  /** Runs a small program that loads the threaded module in a fresh Node process; resolves with its exit code and output. */
  const child = (program: string): Promise<{ code: number | null; out: string }> => new Promise((resolve) => {
    const path = join(dir, `child-${Math.random().toString(36).slice(2)}.mts`);
    writeFileSync(path, program);
    const proc = spawn(process.execPath, ['--conditions=cocodiff-source', '--import', 'tsx', path], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 90_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });

  it('ends its workers: the process exits after dispose(), and also when the app forgets it', async () => {
    for (const dispose of [true, false]) {
      const { code, out } = await child(`
import { Recognizer } from ${JSON.stringify(join(REPO, 'runtime-as', 'host', 'node.ts'))};
const r = await Recognizer.load(${JSON.stringify(join(dir, 't2.wasm'))});
r.inferInput(new Float32Array(${C * T * V * M}).fill(0.25));
console.log('threads', r.info.threads, 'logit', r.lastLogits()[0]);
${dispose ? 'r.dispose();' : ''}
`);
      expect(out, `dispose: ${dispose}`).toMatch(/threads 2 logit -?\d/);
      expect(code, out).toBe(0); // a worker left running would hold the process until the kill at 90 s
    }
  }, 200_000);

  it('is refused in one line where its threads cannot start: no SharedArrayBuffer, or a sidecar that sizes its memory wrong', async () => {
    const saved = globalThis.SharedArrayBuffer;
    try {
      // As in a browser page that is not cross-origin isolated.
      delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;
      await expect(Recognizer.load(join(dir, 't2.wasm'))).rejects.toThrow(
        /t2\.wasm was compiled with --threads 2, and needs SharedArrayBuffer.*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.*Compile it with --threads 1/,
      );
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
    const sidecar = { ...built[2].sidecar, threads: { count: 2, memoryPages: 1 } };
    await expect(Recognizer.load(built[2].wasm, { sidecar, trustSidecar: true, onWarning: () => {} })).rejects.toThrow(/does not instantiate with the shared memory its sidecar describes/);
    const { threads: _t, ...noThreads } = built[2].sidecar;
    await expect(Recognizer.load(built[2].wasm, { sidecar: noThreads, trustSidecar: true, onWarning: () => {} })).rejects.toThrow(/a threaded recognizer \(it imports its memory\), but its sidecar has no "threads" field/);
  }, 60_000);

  it('is refused, its workers ended, where a worker fails or never starts within 60 s', async () => {
    // Workers the test drives by hand: each is told what the real one would post, or nothing.
    const started: { say: (m: WorkerMessage) => void; ended: boolean }[] = [];
    installWorkerStarter(() => {
      const w = { say: (_m: WorkerMessage) => {}, ended: false };
      started.push(w);
      return { listen: (onMessage) => { w.say = onMessage; }, terminate: () => { w.ended = true; } };
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const failing = Recognizer.load(join(dir, 't3.wasm'));
      await vi.waitFor(() => expect(started).toHaveLength(2));
      started[0].say({ ready: true });
      started[1].say({ error: 'out of memory' });
      await expect(failing).rejects.toThrow(/t3\.wasm was compiled with --threads 3, and its 2 worker thread\(s\) could not start \(out of memory\)/);
      expect(started.map((w) => w.ended)).toEqual([true, true]);

      started.length = 0;
      const silent = Recognizer.load(join(dir, 't3.wasm'));
      const refused = expect(silent).rejects.toThrow(/could not start \(not all of them started within 60 s\)/);
      await vi.waitFor(() => expect(started).toHaveLength(2));
      started[0].say({ ready: true });
      await vi.advanceTimersByTimeAsync(59_000);
      expect(started.map((w) => w.ended)).toEqual([false, false]);
      await vi.advanceTimersByTimeAsync(1_000);
      await refused;
      expect(started.map((w) => w.ended)).toEqual([true, true]);
    } finally {
      vi.useRealTimers();
      installWorkerStarter(nodeWorker);
    }
  }, 60_000);

  it('compiles with --threads through the CLI; run and stream print what the single-threaded module prints', async () => {
    const cli = (...args: string[]): Promise<string[]> => runCli([compile, run, stream], ...args);
    await cli('compile', join(dir, 'model'), '-o', join(dir, 'cli2.wasm'), '--threads', '2', '--verify');
    expect(JSON.parse(readFileSync(join(dir, 'cli2.json'), 'utf8')).threads.count).toBe(2);
    await expect(cli('compile', join(dir, 'model'), '-o', join(dir, 'bad.wasm'), '--threads', '0')).rejects.toThrow(/--threads/);
    await expectSameCliOutput(dir, join(dir, 't1.wasm'), join(dir, 'cli2.wasm'));
  }, 300_000);
});
