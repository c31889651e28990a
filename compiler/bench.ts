/**
 * `cocodiff bench`: the compiled .wasm against peers the caller brings (the CLI brings the trainer's
 * tfjs model on the wasm and cpu backends) on the same weights and input, against a register-blocked SIMD matmul micro-kernel built by the same toolchain (the
 * practical peak of one core), and per layer. Results are rows of a table, so other parts (the
 * runtime's streaming figures) can add rows.
 */
import type { Artifact } from '../common/artifact.ts';
import { Rng } from '../common/rng.ts';
import { buildWasm } from './build.ts';
import { fmaFor, type Fma } from './codegen/kernels.ts';
import type { Step } from './codegen/network.ts';
import { compileModule } from './index.ts';
import type { Graph } from './ir.ts';
import { countCost } from '../common/model/count.ts';
import type { CompiledSidecar } from '../common/sidecar.ts';
import { instantiateNetwork } from './verify.ts';

export interface BenchRow {
  name: string;
  value: string;
  note?: string;
}

export function formatTable(rows: BenchRow[]): string {
  const w0 = Math.max(...rows.map((r) => r.name.length));
  const w1 = Math.max(...rows.map((r) => r.value.length));
  return rows.map((r) => `${r.name.padEnd(w0)}  ${r.value.padStart(w1)}${r.note ? `  ${r.note}` : ''}`).join('\n');
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Milliseconds of each function, called in turns (one call of each per round) after `warmup`
 * rounds. These machines are shared and change speed mid-run (the same kernel measured 52 and
 * 33 GFLOP/s minutes apart); in turns, a slow spell slows every peer of a round alike, so per-round
 * ratios stay meaningful when the absolute times do not.
 */
export function timeRounds(fns: Array<() => void>, rounds: number, warmup = 3): number[][] {
  for (let i = 0; i < warmup; i++) for (const fn of fns) fn();
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const s = performance.now();
      fn();
      samples[i].push(performance.now() - s);
    });
  }
  return samples;
}

/** timeRounds for functions that may return a promise (an asynchronous peer): each call is awaited. */
export async function timeRoundsAsync(fns: Array<() => unknown>, rounds: number, warmup = 3): Promise<number[][]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      const s = performance.now();
      await fn();
      samples[i].push(performance.now() - s);
    }
  }
  return samples;
}

/** Multiply-adds a step does per inference: once per person up to the pooling, else once. */
const inferenceMacs = (s: Step, persons: number): number => s.macs * (s.perPerson ? persons : 1);

/** Median of the per-round ratios a[r] / b[r]. */
export const medianRatio = (a: number[], b: number[]): number => median(a.map((x, r) => x / b[r]));

/** Relaxed SIMD is opt-in in Node 20: set the V8 flag, then ask the engine whether it validates f32x4.relaxed_madd. */
export async function relaxedSimdAvailable(): Promise<boolean> {
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  // (func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd)
  const body = [0x00, 0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x0c, ...new Array(16).fill(0), 0xfd, 0x85, 0x02, 0x0b];
  const module = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
    0x03, 0x02, 0x01, 0x00, // func 0: type 0
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
  return WebAssembly.validate(module);
}

/**
 * The reference micro-kernel: C[64×256] = A[64×K]·B[K×256] with K = 256, all in cache, 4 rows × 2
 * vectors of C per register block, A broadcast, B streamed: the inner loop of a good SIMD GEMM.
 * 4 × 2 and not 4 × 3: twelve accumulators plus the B vectors and the broadcast overflow x86-64's
 * sixteen vector registers, and the spills cost three quarters of the speed (measured: 12 vs 51 GFLOP/s).
 */
export const microkernel = (fma: Fma): string => `
const M: usize = 64; const N: usize = 256; const K: usize = 256;
const A: usize = memory.data(<i32>(M * K * 4), 64);
const B: usize = memory.data(<i32>(K * N * 4), 64);
const C: usize = memory.data(<i32>(M * N * 4), 64);
export function fill(): void {
  for (let i: usize = 0; i < M * K; i++) store<f32>(A + (i << 2), <f32>(i % 7) * 0.1);
  for (let i: usize = 0; i < K * N; i++) store<f32>(B + (i << 2), <f32>(i % 5) * 0.1);
}
export function flops(): f64 { return <f64>(2 * M * N * K); }
export function matmul(): void {
  for (let i: usize = 0; i < M; i += 4) {
    for (let j: usize = 0; j < N; j += 8) {
      let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      let a: usize = A + i * K * 4;
      let b: usize = B + (j << 2);
      for (let k: usize = 0; k < K; k++) {
        const b0 = v128.load(b); const b1 = v128.load(b, 16);
        let s = v128.load32_splat(a);
        c00 = ${fma('c00', 's', 'b0')}; c01 = ${fma('c01', 's', 'b1')};
        s = v128.load32_splat(a, K * 4);
        c10 = ${fma('c10', 's', 'b0')}; c11 = ${fma('c11', 's', 'b1')};
        s = v128.load32_splat(a, K * 8);
        c20 = ${fma('c20', 's', 'b0')}; c21 = ${fma('c21', 's', 'b1')};
        s = v128.load32_splat(a, K * 12);
        c30 = ${fma('c30', 's', 'b0')}; c31 = ${fma('c31', 's', 'b1')};
        a += 4; b += N * 4;
      }
      const c: usize = C + (i * N + j) * 4;
      v128.store(c, c00); v128.store(c, c01, 16);
      v128.store(c, c10, N * 4); v128.store(c, c11, N * 4 + 16);
      v128.store(c, c20, N * 8); v128.store(c, c21, N * 8 + 16);
      v128.store(c, c30, N * 12); v128.store(c, c31, N * 12 + 16);
    }
  }
}
`;

/** One timed unit of the micro-kernel (20 matmuls, ~170 MFLOP), built as the network kernels are: plain f32x4 mul + add, or relaxed_madd. */
export async function microkernel20(relaxedSimd = false): Promise<{ run: () => void; flop: number }> {
  const wasm = await buildWasm({
    sources: { 'microkernel.ts': microkernel(fmaFor(relaxedSimd)) }, entry: 'microkernel.ts',
    memoryBase: 1024, segment: { offset: 1024, bytes: new Uint8Array(0) }, relaxedSimd,
  });
  const { exports } = await WebAssembly.instantiate(await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>), { env: { abort() {} } });
  const ex = exports as { fill(): void; flops(): number; matmul(): void };
  ex.fill();
  const reps = 20;
  return { run: () => { for (let r = 0; r < reps; r++) ex.matmul(); }, flop: ex.flops() * reps };
}

/** Another implementation of the same network, timed in turns with the .wasm. */
export interface BenchPeer {
  /** The table row's name, e.g. `tfjs wasm`. */
  name: string;
  /** Timed rounds (a slow peer gets fewer). */
  rounds: number;
  /**
   * Prepares the peer for one [C][T][V][M] input; `infer` runs it once. A peer that cannot run here
   * (an optional package not installed) says why with `skipped`, and its row says so.
   */
  load(input: Float32Array): Promise<LoadedPeer | { skipped: string }>;
}

export interface LoadedPeer {
  /** One inference; a promise for asynchronous runtimes (its time includes the resolution). */
  infer(): void | Promise<void>;
  /** The peer's logits on the input: the row gives their largest difference from the .wasm's. */
  logits?(): Promise<ArrayLike<number>>;
  /** Added to the row's note (version, threads). */
  note?: string;
  dispose(): void | Promise<void>;
}

export interface BenchOptions {
  runs?: number;
  peers?: BenchPeer[];
  log?: (line: string) => void;
}

export interface BenchResult {
  rows: BenchRow[];
  /** Milliseconds per inference by unit (l1 … l10, head), all persons. */
  layers: BenchRow[];
  /** Milliseconds per inference by kernel family, with the GFLOP/s each reaches. */
  kernels: BenchRow[];
  /** The module that was timed (SIMD, the shipped ABI), for streaming figures. */
  module: { wasm: Uint8Array; sidecar: CompiledSidecar };
}

export async function benchArtifact(artifact: Artifact, graph: Graph, opts: BenchOptions = {}): Promise<BenchResult> {
  const runs = opts.runs ?? 20;
  const log = opts.log ?? (() => {});
  const { C, T, V, M } = artifact.model.input;
  const rng = new Rng(42);
  const x = new Float32Array(C * T * V * M).map(() => rng.normal() * 0.5);
  // The issue's and the papers' figure counts the published network; the compiled one does less
  // (conv1/conv2 project the time mean, not every frame), so both are shown and the published one rates speed.
  const published = countCost(artifact.model.backbone, artifact.model.input, artifact.model.classes.length);
  const gflop = (2 * published.macs) / 1e9;
  const rows: BenchRow[] = [];

  log('compiling (SIMD) ...');
  const compileStart = performance.now();
  const built = await compileModule(artifact, graph);
  const compileSeconds = (performance.now() - compileStart) / 1000;
  const executedGflop = (2 * built.network.steps.reduce((n, s) => n + inferenceMacs(s, M), 0)) / 1e9;
  const net = await instantiateNetwork(built.wasm);
  const variants = [{ label: 'SIMD', logits: net.logits, infer: () => void net.logits(x), peak: await microkernel20(false) }];
  if (await relaxedSimdAvailable()) {
    log('compiling (relaxed SIMD) ...');
    const relaxed = await instantiateNetwork((await compileModule(artifact, graph, { relaxedSimd: true })).wasm);
    variants.push({ label: 'relaxed', logits: relaxed.logits, infer: () => void relaxed.logits(x), peak: await microkernel20(true) });
  }

  log('timing the .wasm and the micro-kernels in turns ...');
  const samples = timeRounds(variants.flatMap((v) => [v.infer, v.peak.run]), runs, 5);
  const timed = variants.map((v, i) => ({ ...v, ms: median(samples[2 * i]), samples: samples[2 * i], peakSamples: samples[2 * i + 1] }));
  for (const v of timed) {
    rows.push({ name: `.wasm ${v.label === 'SIMD' ? 'SIMD' : 'relaxed SIMD'}`, value: `${v.ms.toFixed(1)} ms`, note: `${(gflop / (v.ms / 1000)).toFixed(1)} GFLOP/s` });
  }
  if (timed.length === 1) rows.push({ name: '.wasm relaxed SIMD', value: 'n/a', note: 'engine has no relaxed SIMD' });
  if (M > 1) {
    // One actor, the other slots empty (most NTU actions): the empty slots' features are reused.
    const alone = x.map((v, i) => (i % M === 0 ? v : 0));
    const [one, all] = timeRounds([() => void net.logits(alone), variants[0].infer], runs, 3);
    rows.push({ name: `.wasm SIMD, 1 of ${M} persons`, value: `${median(one).toFixed(1)} ms`, note: `${medianRatio(all, one).toFixed(2)}× faster than with ${M} persons: empty slots reuse their first result` });
  }
  const best = timed.reduce((a, b) => (b.ms < a.ms ? b : a));

  // Each peer and the best .wasm in turns: the "× faster" is the median of per-round ratios.
  for (const peer of opts.peers ?? []) {
    log(`${peer.name} ...`);
    const loaded = await peer.load(x);
    if ('skipped' in loaded) {
      rows.push({ name: peer.name, value: 'n/a', note: `skipped: ${loaded.skipped}` });
      continue;
    }
    try {
      const notes = loaded.note ? [loaded.note] : [];
      if (loaded.logits) {
        const theirs = await loaded.logits();
        const ours = best.logits(x);
        const diff = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs[i])), 0);
        notes.push(`logits within ${diff.toExponential(1)} of the .wasm's, largest ${ours.reduce((m, v) => Math.max(m, Math.abs(v)), 0).toPrecision(3)}`);
      }
      const [theirs, wasm] = await timeRoundsAsync([loaded.infer, best.infer], peer.rounds, 1);
      rows.push({ name: peer.name, value: `${median(theirs).toFixed(1)} ms`, note: `.wasm ${best.label} is ${medianRatio(theirs, wasm).toFixed(2)}× faster${notes.length ? ` (${notes.join('; ')})` : ''}` });
    } finally {
      await loaded.dispose();
    }
  }

  rows.push({ name: 'model', value: `${gflop.toFixed(2)} GFLOP`, note: `as published (${(gflop / 2).toFixed(2)} G multiply-adds); the compiled graph executes ${executedGflop.toFixed(2)} GFLOP` });
  // Like against like: the SIMD build against the SIMD micro-kernel, relaxed against relaxed.
  for (const v of timed) {
    const peak = v.peak.flop / 1e6 / median(v.peakSamples);
    const share = ((gflop * 1e9) / v.peak.flop) * medianRatio(v.peakSamples, v.samples);
    rows.push({ name: `GFLOP/s .wasm ${v.label}`, value: (gflop / (v.ms / 1000)).toFixed(1), note: `${(100 * share).toFixed(0)} % of the ${v.label} micro-kernel (executed: ${(executedGflop / (v.ms / 1000)).toFixed(1)} GFLOP/s)` });
    rows.push({ name: `GFLOP/s micro-kernel ${v.label}`, value: peak.toFixed(1), note: 'register-blocked (4×2 f32x4) matmul 64×256×256, same toolchain' });
  }
  const memory = net.memory.buffer.byteLength;
  rows.push({ name: '.wasm size', value: `${(built.wasm.length / 1024).toFixed(0)} KiB` });
  rows.push({ name: 'linear memory', value: `${(memory / 1048576).toFixed(1)} MiB`, note: `weights ${(built.network.weights.length * 4 / 1048576).toFixed(1)} MiB, arena ${(built.network.arenaBytes / 1048576).toFixed(1)} MiB` });
  rows.push({ name: 'compile time', value: `${compileSeconds.toFixed(1)} s` });

  log('profiling each step ...');
  const { layers, kernels } = await profileSteps(artifact, graph, x, runs, variants[0].peak);
  return { rows, layers, kernels, module: { wasm: built.wasm, sidecar: built.sidecar } };
}

/**
 * Per-step timings from the profiling build, which reads the host clock around every call of
 * network_forward: in place, on real activations, with caches as a full inference leaves them.
 * Each round is one inference and one run of the SIMD micro-kernel, so each kernel family's rate
 * is also given as a median per-round share of the micro-kernel's, which holds when the machine's
 * speed does not.
 */
async function profileSteps(
  artifact: Artifact, graph: Graph, x: Float32Array, runs: number, peak: { run: () => void; flop: number },
): Promise<{ layers: BenchRow[]; kernels: BenchRow[] }> {
  const built = await compileModule(artifact, graph, { profile: true });
  const net = await instantiateNetwork(built.wasm, { now: () => performance.now() });
  const { steps } = built.network;
  const slots = () => new Float64Array(net.memory.buffer, (net.exports.network_profile_ptr as () => number)(), steps.length).slice();
  let before = slots();
  const stepMs: number[][] = []; // [round][step]
  const [, peakMs] = timeRounds([
    () => {
      net.logits(x);
      const after = slots();
      stepMs.push(Array.from(after, (v, i) => v - before[i]));
      before = after;
    },
    peak.run,
  ], runs, 3);
  const measured = stepMs.slice(-runs); // the warm-up rounds recorded too
  const M = artifact.model.input.M;
  const group = (key: (i: number) => string) => {
    const groups = new Map<string, { steps: number[]; macs: number }>();
    steps.forEach((s, i) => {
      const g = groups.get(key(i)) ?? { steps: [], macs: 0 };
      g.steps.push(i);
      g.macs += inferenceMacs(s, M);
      groups.set(key(i), g);
    });
    return [...groups].map(([name, g]) => {
      const perRound = measured.map((round) => g.steps.reduce((t, i) => t + round[i], 0));
      return { name, macs: g.macs, perRound, ms: median(perRound) };
    });
  };
  const total = median(measured.map((round) => round.reduce((a, b) => a + b, 0)));
  const pct = (v: number) => `${((100 * v) / total).toFixed(0)} %`;
  const layers = group((i) => steps[i].layer).map((g) => ({ name: g.name, value: `${g.ms.toFixed(2)} ms`, note: pct(g.ms) }));
  const kernels = group((i) => steps[i].kernel)
    .sort((a, b) => b.ms - a.ms)
    .map((g) => {
      // share = (2·macs / t_kernel) / (flop_peak / t_peak), per round
      const share = (2 * g.macs / peak.flop) * medianRatio(peakMs, g.perRound);
      return {
        name: g.name, value: `${g.ms.toFixed(2)} ms`,
        note: `${pct(g.ms).padStart(5)}${g.macs ? `  ${((2 * g.macs) / (g.ms * 1e6)).toFixed(1).padStart(5)} GFLOP/s, ${(100 * share).toFixed(0).padStart(3)} % of the micro-kernel, ${(g.macs / 1e6).toFixed(0)} M multiply-adds` : ''}`,
      };
    });
  return { layers, kernels };
}
