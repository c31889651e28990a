/**
 * `cocodiff bench`: the compiled .wasm against peers the caller brings (the CLI brings the trainer's
 * tfjs model on the wasm and cpu backends) on the same weights and input, against a register-blocked SIMD matmul micro-kernel built by the same toolchain (the
 * practical peak of one core), and per layer. Results are rows of a table, so other parts (the
 * runtime's streaming figures) can add rows.
 */
import type { Artifact } from '../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { Rng } from '../common/rng.ts';
import { buildWasm, sectionSizes } from './build.ts';
import { CONV_MR, convKernel } from './codegen/kernels/conv.ts';
import { isaFor, type Isa } from './codegen/kernels/isa.ts';
import type { Step } from './codegen/network.ts';
import { compileModule, type CompileOptions } from './index.ts';
import type { Graph } from './ir.ts';
import { calibrate } from './int8/calibrate.ts';
import { runPasses } from './passes/index.ts';
import type { TensorRanges } from './passes/quantise.ts';
import { countCost } from '../common/model/count.ts';
import type { CompiledSidecar } from 'cocodiff-runtime/shared/sidecar';
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

/** The spread of the per-round ratios a[r] / b[r]: their first and third quartiles, `q1–q3`. */
export function ratioQuartiles(a: number[], b: number[]): string {
  const s = a.map((x, r) => x / b[r]).sort((p, q) => p - q);
  const at = (p: number): number => s[Math.round(p * (s.length - 1))];
  return `${at(0.25).toFixed(2)}–${at(0.75).toFixed(2)}`;
}

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
 * The reference micro-kernel: the network's own conv micro-kernel (kernels/conv.ts, the same
 * function the compiled network calls for every 1×1 conv) on a matmul that stays in cache:
 * out[64×256] = W[64×256]·X[256×256], i.e. 64 output channels, 256 input channels, 256 columns.
 */
export const microkernel = (isa: Isa): string => {
  const kernel = convKernel({ isa, K: 1, mr: CONV_MR, residual: false, relu: false });
  return `
const COUT: usize = 64; const CIN: usize = 256; const COLS: usize = 256;
const X: usize = memory.data(<i32>(CIN * COLS * 4), 64);
const W: usize = memory.data(<i32>(COUT * CIN * 4), 64);
const BIAS: usize = memory.data(<i32>(COUT * 4), 64);
const O: usize = memory.data(<i32>(COUT * COLS * 4), 64);
const ZERO = f32x4.splat(0);
export function fill(): void {
  for (let i: usize = 0; i < CIN * COLS; i++) store<f32>(X + (i << 2), <f32>(i % 5) * 0.1);
  for (let i: usize = 0; i < COUT * CIN; i++) store<f32>(W + (i << 2), <f32>(i % 7) * 0.1);
}
export function flops(): f64 { return <f64>(2 * COUT * CIN * COLS); }
${kernel.source}
export function matmul(): void {
  ${kernel.name}(X, COLS * 4, W, BIAS, O, COLS * 4, 0, 0, CIN, COUT, COLS);
}
`;
};

/** One timed unit of the micro-kernel (20 matmuls, ~170 MFLOP), for one instruction set: wasmsimd, or wasmrelaxedsimd. */
export async function microkernel20(relaxedSimd = false): Promise<{ run: () => void; flop: number }> {
  const wasm = await buildWasm({
    sources: { 'microkernel.ts': microkernel(isaFor(relaxedSimd)) }, entry: 'microkernel.ts',
    memoryBase: 1024, segments: [], relaxedSimd,
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
  /** An int8 peer's own f32 model, timed in the same rounds: what int8 gains in that runtime. */
  f32?(): void | Promise<void>;
  dispose(): void | Promise<void>;
}

export interface BenchOptions {
  runs?: number;
  peers?: BenchPeer[];
  log?: (line: string) => void;
  /**
   * An earlier build of the same model (any compiler version with the same ABI), timed in turns with
   * this one: its shipped .wasm, and optionally its profiling build for the per-kernel comparison
   * (it must time the same steps in the same order).
   */
  baseline?: { wasm: Uint8Array; profile?: Uint8Array };
  /** Also time the int8 build (`compile --int8`) calibrated on these inputs, in turns with the f32 one and each peer. */
  int8?: CompileOptions['int8'];
  /**
   * With `int8`: peers running the same int8 network, made from the quantised graph of the int8 SIMD
   * build (8-bit codes, c2); each is timed in turns with the faster int8 .wasm and its own f32 model.
   */
  int8Peers?: (lowered: Graph) => BenchPeer[];
}

export interface BenchResult {
  rows: BenchRow[];
  /** Milliseconds per inference by unit (l1 … l10, head), all persons. */
  layers: BenchRow[];
  /** Milliseconds per inference by kernel family, with the GFLOP/s each reaches. */
  kernels: BenchRow[];
  /** The module that was timed (SIMD, the shipped ABI), for streaming figures. */
  module: { wasm: Uint8Array; sidecar: CompiledSidecar };
  /** With `int8`: the faster int8 build (for the streaming figure) and the ranges calibration chose (for the threads table). */
  int8Module?: { wasm: Uint8Array; sidecar: CompiledSidecar; label: string; ranges: TensorRanges };
  /** With a baseline profiling build: per kernel family, this build's and the baseline's share of the micro-kernel. */
  baselineKernels?: BenchRow[];
  /** With `int8`: the per-kernel table of the int8 SIMD build. */
  int8Kernels?: BenchRow[];
}

/** The one [C][T][V][M] input every row of the bench is timed on (seeded). */
export function benchInput(artifact: Artifact): Float32Array {
  const { C, T, V, M } = artifact.model.input;
  const rng = new Rng(42);
  return new Float32Array(C * T * V * M).map(() => rng.normal() * 0.5);
}

export async function benchArtifact(artifact: Artifact, graph: Graph, opts: BenchOptions = {}): Promise<BenchResult> {
  const runs = opts.runs ?? 20;
  const log = opts.log ?? (() => {});
  const { M } = artifact.model.input;
  const x = benchInput(artifact);
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
  const int8 = opts.int8 ? await benchInt8(artifact, graph, opts.int8, x, timed, sectionSizes(built.wasm).data, runs, rows, log) : undefined;
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
      const [theirs, wasm, wasmInt8] = await timeRoundsAsync([loaded.infer, best.infer, ...(int8 ? [int8.infer] : [])], peer.rounds, 1);
      const int8Note = wasmInt8 ? `, .wasm int8 ${int8!.label} ${medianRatio(theirs, wasmInt8).toFixed(2)}× (quartiles ${ratioQuartiles(theirs, wasmInt8)})` : '';
      rows.push({ name: peer.name, value: `${median(theirs).toFixed(1)} ms`, note: `.wasm ${best.label} is ${medianRatio(theirs, wasm).toFixed(2)}× faster${int8Note}${notes.length ? ` (${notes.join('; ')})` : ''}` });
    } finally {
      await loaded.dispose();
    }
  }
  if (int8) {
    for (const peer of opts.int8Peers?.(int8.sameCodes.graph) ?? []) {
      log(`${peer.name} ...`);
      rows.push(await benchInt8Peer(peer, x, int8, best.logits(x)));
    }
  }

  rows.push({ name: 'model', value: `${gflop.toFixed(2)} GFLOP`, note: `as published (${(gflop / 2).toFixed(2)} G multiply-adds); the compiled graph executes ${executedGflop.toFixed(2)} GFLOP` });
  // Like against like: the SIMD build against the SIMD micro-kernel, relaxed against relaxed.
  for (const v of timed) {
    const peak = v.peak.flop / 1e6 / median(v.peakSamples);
    const share = ((gflop * 1e9) / v.peak.flop) * medianRatio(v.peakSamples, v.samples);
    rows.push({ name: `GFLOP/s .wasm ${v.label}`, value: (gflop / (v.ms / 1000)).toFixed(1), note: `${(100 * share).toFixed(0)} % of the ${v.label} micro-kernel (executed: ${(executedGflop / (v.ms / 1000)).toFixed(1)} GFLOP/s)` });
    rows.push({ name: `GFLOP/s micro-kernel ${v.label}`, value: peak.toFixed(1), note: 'the network\'s f32_conv1x1_4x2 kernel on a 64×256×256 matmul in cache' });
  }
  if (opts.baseline) {
    log('timing the baseline .wasm and this one in turns ...');
    const base = await instantiateNetwork(opts.baseline.wasm);
    const ours = net.logits(x);
    const theirs = base.logits(x);
    const differ = ours.filter((v, i) => !Object.is(v, theirs[i])).length;
    const maxDiff = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i])));
    const [baseMs, newMs] = timeRounds([() => void base.logits(x), variants[0].infer], runs, 3);
    const baseSections = sectionSizes(opts.baseline.wasm);
    rows.push({ name: '.wasm SIMD, baseline', value: `${median(baseMs).toFixed(1)} ms`, note: `this build takes ${medianRatio(newMs, baseMs).toFixed(3)}× the baseline's time (median of per-round ratios); code section ${(baseSections.code / 1000).toFixed(1)} kB` });
    rows.push({ name: 'baseline logits', value: differ === 0 ? 'bit-identical' : `${differ} differ`, note: differ ? `max |Δ| ${maxDiff.toExponential(2)}` : `all ${ours.length} logits, same bits` });
  }
  const memory = net.memory.buffer.byteLength;
  const sections = sectionSizes(built.wasm);
  rows.push({ name: '.wasm size', value: `${(built.wasm.length / 1024).toFixed(0)} KiB`, note: `code section ${(sections.code / 1000).toFixed(1)} kB, data section ${(sections.data / 1000).toFixed(1)} kB (the weights)` });
  rows.push({ name: 'linear memory', value: `${(memory / 1048576).toFixed(1)} MiB`, note: `weights ${(built.network.weights.length * 4 / 1048576).toFixed(1)} MiB, arena ${(built.network.arenaBytes / 1048576).toFixed(1)} MiB` });
  rows.push({ name: 'compile time', value: `${compileSeconds.toFixed(1)} s` });

  log('profiling each step ...');
  const { layers, kernels, baselineKernels } = await profileSteps(artifact, graph, x, runs, variants[0].peak, opts.baseline?.profile);
  const int8Kernels = int8 ? (await profileSteps(artifact, graph, x, runs, variants[0].peak, undefined, { ...opts.int8!, ranges: int8.ranges })).kernels : undefined;
  return { rows, layers, kernels, baselineKernels, int8Kernels, module: { wasm: built.wasm, sidecar: built.sidecar }, int8Module: int8 && { ...int8.module, label: int8.label, ranges: int8.ranges } };
}

/**
 * The int8 rows: each int8 build (SIMD, relaxed where the engine has it) timed in turns with the f32
 * build of the same instruction set; its logits against the f32 build's on the bench input; its data
 * section against f32's. Returns the faster int8 build, which the peers are then also timed against,
 * and the ranges calibration chose (the int8 profiling build reuses them).
 */
async function benchInt8(
  artifact: Artifact, graph: Graph, int8: NonNullable<BenchOptions['int8']>, x: Float32Array,
  f32: Array<{ label: string; infer: () => void; logits: (x: Float32Array) => Float32Array }>, f32Data: number, runs: number, rows: BenchRow[], log: (line: string) => void,
): Promise<Int8Bench> {
  log(`calibrating (${int8.method} on ${int8.inputs.length} inputs) ...`);
  const ranges = int8.ranges ?? calibrate(runPasses(graph), int8.inputs, int8.method);
  const builds: Array<Omit<Int8Bench, 'ranges' | 'sameCodes'>> = [];
  let sameCodes: Int8Bench['sameCodes'] | undefined;
  for (const v of f32) {
    log(`compiling int8 (${v.label}) ...`);
    const built = await compileModule(artifact, graph, { int8: { ...int8, ranges }, relaxedSimd: v.label !== 'SIMD' });
    const net = await instantiateNetwork(built.wasm);
    const infer = (): void => void net.logits(x);
    const [ours, theirs] = timeRounds([infer, v.infer], runs, 3);
    const a = net.logits(x);
    const b = v.logits(x);
    const diff = a.reduce((m, value, i) => Math.max(m, Math.abs(value - b[i])), 0);
    const spread = Math.max(...b) - Math.min(...b);
    const same = a.indexOf(Math.max(...a)) === b.indexOf(Math.max(...b));
    rows.push({
      name: `.wasm int8 ${v.label === 'SIMD' ? 'SIMD' : 'relaxed SIMD'}`, value: `${median(ours).toFixed(1)} ms`,
      note: `${medianRatio(theirs, ours).toFixed(2)}× faster than f32 ${v.label} (median of per-round ratios, quartiles ${ratioQuartiles(theirs, ours)}); logits within ${diff.toExponential(1)} of f32's (${(100 * diff / spread).toFixed(2)} % of their spread), argmax ${same ? 'the same' : 'different'}; data section ${(sectionSizes(built.wasm).data / 1000).toFixed(1)} kB vs ${(f32Data / 1000).toFixed(1)} kB`,
    });
    builds.push({ label: v.label, infer, ms: median(ours), module: { wasm: built.wasm, sidecar: built.sidecar } });
    if (v.label === 'SIMD') sameCodes = { graph: built.graph, logits: a };
  }
  return { ...builds.reduce((p, q) => (q.ms < p.ms ? q : p)), ranges, sameCodes: sameCodes! };
}

/**
 * One int8 peer's row: timed in turns with the faster int8 .wasm and the peer's own f32 model; its
 * logits against the int8 SIMD .wasm's (the same codes and scales: they should differ by f32 rounding
 * only) and against the f32 .wasm's.
 */
async function benchInt8Peer(peer: BenchPeer, x: Float32Array, int8: Int8Bench, f32Logits: Float32Array): Promise<BenchRow> {
  const loaded = await peer.load(x);
  if ('skipped' in loaded) return { name: peer.name, value: 'n/a', note: `skipped: ${loaded.skipped}` };
  try {
    const notes: string[] = [];
    if (loaded.logits) {
      const theirs = await loaded.logits();
      const within = (ours: Float32Array) => ours.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs[i])), 0).toExponential(1);
      const argmax = (a: ArrayLike<number>) => Array.prototype.indexOf.call(a, Math.max(...Array.from(a)));
      notes.push(`logits within ${within(int8.sameCodes.logits)} of the .wasm int8 SIMD's (same codes and scales), ${within(f32Logits)} of the f32 .wasm's; argmax ${argmax(theirs) === argmax(int8.sameCodes.logits) ? 'the same as' : 'differs from'} the int8 .wasm's`);
    }
    if (loaded.note) notes.push(loaded.note);
    const [theirs, wasmInt8, theirF32] = await timeRoundsAsync([loaded.infer, int8.infer, ...(loaded.f32 ? [loaded.f32] : [])], peer.rounds, 1);
    const own = theirF32 ? `; its f32 model takes ${medianRatio(theirF32, theirs).toFixed(2)}× its int8 time (quartiles ${ratioQuartiles(theirF32, theirs)})` : '';
    return {
      name: peer.name, value: `${median(theirs).toFixed(1)} ms`,
      note: `.wasm int8 ${int8.label} is ${medianRatio(theirs, wasmInt8).toFixed(2)}× faster (median of per-round ratios, quartiles ${ratioQuartiles(theirs, wasmInt8)})${own} (${notes.join('; ')})`,
    };
  } finally {
    await loaded.dispose();
  }
}

/** What benchInt8 hands on: the faster int8 build, the ranges, and the SIMD build's graph and logits (8-bit codes, c2). */
interface Int8Bench {
  label: string;
  infer: () => void;
  ms: number;
  module: { wasm: Uint8Array; sidecar: CompiledSidecar };
  ranges: TensorRanges;
  sameCodes: { graph: Graph; logits: Float32Array };
}

/**
 * Per-step timings from the profiling build, which reads the host clock around every call of
 * network_forward: in place, on real activations, with caches as a full inference leaves them.
 * Each round is one inference and one run of the SIMD micro-kernel, so each kernel family's rate
 * is also given as a median per-round share of the micro-kernel's, which holds when the machine's
 * speed does not.
 */
async function profileSteps(
  artifact: Artifact, graph: Graph, x: Float32Array, runs: number, peak: { run: () => void; flop: number }, baselineProfile?: Uint8Array,
  int8?: CompileOptions['int8'],
): Promise<{ layers: BenchRow[]; kernels: BenchRow[]; baselineKernels?: BenchRow[] }> {
  const built = await compileModule(artifact, graph, { profile: true, int8 });
  const { steps } = built.network;
  /** One inference of a profiling build per call; records each step's milliseconds per round. */
  const profiler = async (wasm: Uint8Array) => {
    const net = await instantiateNetwork(wasm, { now: () => performance.now() });
    const slots = () => new Float64Array(net.memory.buffer, (net.exports.network_profile_ptr as () => number)(), steps.length).slice();
    let before = slots();
    const rounds: number[][] = []; // [round][step]
    const run = (): void => {
      net.logits(x);
      const after = slots();
      rounds.push(Array.from(after, (v, i) => v - before[i]));
      before = after;
    };
    return { run, rounds };
  };
  const ours = await profiler(built.wasm);
  const theirs = baselineProfile ? await profiler(baselineProfile) : undefined;
  if (theirs) {
    // A build with fewer steps leaves slots that never advance.
    theirs.run();
    if (theirs.rounds[0].some((ms) => !(ms > 0))) {
      throw new UserError(`--baseline-profile: it does not time this build's ${steps.length} steps (a profiling build of the same model is needed)`);
    }
  }
  const timings = timeRounds([ours.run, ...(theirs ? [theirs.run] : []), peak.run], runs, 3);
  const peakMs = timings[timings.length - 1];
  const M = artifact.model.input.M;
  const group = (rounds: number[][], key: (i: number) => string) => {
    const measured = rounds.slice(-runs); // the warm-up rounds recorded too
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
  const total = median(ours.rounds.slice(-runs).map((round) => round.reduce((a, b) => a + b, 0)));
  const pct = (v: number) => `${((100 * v) / total).toFixed(0)} %`;
  const layers = group(ours.rounds, (i) => steps[i].layer).map((g) => ({ name: g.name, value: `${g.ms.toFixed(2)} ms`, note: pct(g.ms) }));
  // share = (2·macs / t_kernel) / (flop_peak / t_peak), per round
  const share = (g: { macs: number; perRound: number[] }): number => (2 * g.macs / peak.flop) * medianRatio(peakMs, g.perRound);
  const kernels = group(ours.rounds, (i) => steps[i].kernel)
    .sort((a, b) => b.ms - a.ms)
    .map((g) => {
      return {
        name: g.name, value: `${g.ms.toFixed(2)} ms`,
        note: `${pct(g.ms).padStart(5)}${g.macs ? `  ${((2 * g.macs) / (g.ms * 1e6)).toFixed(1).padStart(5)} GFLOP/s, ${(100 * share(g)).toFixed(0).padStart(3)} % of the micro-kernel, ${(g.macs / 1e6).toFixed(0)} M multiply-adds` : ''}`,
      };
    });
  let baselineKernels: BenchRow[] | undefined;
  if (theirs) {
    // The same kernel families of both builds, timed in the same rounds against the same micro-kernel run.
    const base = new Map(group(theirs.rounds, (i) => steps[i].kernel).map((g) => [g.name, g]));
    baselineKernels = group(ours.rounds, (i) => steps[i].kernel)
      .sort((a, b) => b.ms - a.ms)
      .map((g) => {
        const b = base.get(g.name)!;
        const shares = g.macs ? `${(100 * share(g)).toFixed(0).padStart(3)} % vs ${(100 * share(b)).toFixed(0).padStart(3)} % of the micro-kernel, ` : '';
        return { name: g.name, value: `${g.ms.toFixed(2)} vs ${b.ms.toFixed(2)} ms`, note: `${shares}time ratio ${medianRatio(g.perRound, b.perRound).toFixed(2)}` };
      });
  }
  return { layers, kernels, baselineKernels };
}
