/**
 * `--verify` and `--reference`: the compiled module against oracles (the compiler's own interpreter
 * of the unlowered graph; callers may add more, as the CLI adds the trainer's tfjs model) on random
 * inputs and dataset samples, and against logits computed elsewhere. Probabilities are compared, as
 * apps see them; a difference above the tolerance is an error, not a warning.
 */
import { ABI_EXPORTS } from 'cocodiff-runtime/shared/abi';
import type { Artifact } from '../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { Rng } from '../common/rng.ts';
import { interpret } from './interpret.ts';
import type { Graph } from './ir.ts';
import { readInputBytes } from 'cocodiff-runtime/shared/formats/read-input';

export const VERIFY_TOLERANCE = 1e-4;

/** An instantiated recognizer, driven through the ABI: the network alone on a given input. */
export interface WasmNetwork {
  exports: Record<string, unknown>;
  memory: WebAssembly.Memory;
  /** Logits of one [C][T][V][M] input (a copy). */
  logits(input: Float32Array): Float32Array;
}

/** `env` adds imports beyond `abort` (the benchmark's profiling build imports the clock `now`). */
export async function instantiateNetwork(wasm: Uint8Array, env: Record<string, (...a: never[]) => unknown> = {}): Promise<WasmNetwork> {
  const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module, {
    env: { abort: () => { throw new Error('recognizer: abort'); }, ...env },
  });
  const ex = instance.exports as Record<string, unknown>;
  const fn = (name: string) => ex[name] as (...args: number[]) => number;
  const memory = ex[ABI_EXPORTS.memory] as WebAssembly.Memory;
  const K = fn(ABI_EXPORTS.numClasses)();
  const size = fn(ABI_EXPORTS.numCoords)() * fn(ABI_EXPORTS.modelFrames)() * fn(ABI_EXPORTS.numJoints)() * fn(ABI_EXPORTS.numPersons)();
  return {
    exports: ex,
    memory,
    logits(input: Float32Array): Float32Array {
      if (input.length !== size) throw new Error(`recognizer: input has ${input.length} values, the module takes ${size}`);
      new Float32Array(memory.buffer, fn(ABI_EXPORTS.inputPtr)(), size).set(input);
      const status = fn(ABI_EXPORTS.inferInput)();
      if (status !== 0) throw new Error(`recognizer: infer_input returned status ${status}`);
      return new Float32Array(memory.buffer, fn(ABI_EXPORTS.logitsPtr)(), K).slice();
    },
  };
}

export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export interface Difference {
  maxAbs: number;
  maxRel: number;
}

export function compare(a: ArrayLike<number>, b: ArrayLike<number>): Difference {
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(b[i]), 1e-6));
  }
  return { maxAbs, maxRel };
}

/** A dataset sample as the network sees it, named for the report. */
export interface DatasetSample {
  /** Where it came from, e.g. `data/synth test 17`. */
  name: string;
  /** The class name of its label, as the cache lists it. */
  className: string;
  /** Preprocessed input [C][T][V][M]. */
  x: Float32Array;
}

/** A reference the module's logits are checked against, on one [C][T][V][M] input at a time. */
export interface Oracle {
  /** How the report names it, e.g. `interpreter` or `tfjs wasm`. */
  name: string;
  logits(input: Float32Array): ArrayLike<number>;
}

/** The compiler's own reference: its interpreter of the graph as loaded, before any pass (or of the quantised graph, for int8). */
export function interpreterOracle(graph: Graph, name = 'interpreter'): Oracle {
  return { name, logits: (x) => interpret(graph, x) };
}

export interface VerifyOptions {
  /** What random inputs and `data` are checked against (none: only `reference` is checked). */
  oracles: Oracle[];
  reference?: { input: string; logits: string };
  /** Dataset samples, preprocessed, checked against every oracle too. */
  data?: DatasetSample[];
  randomInputs?: number;
  log?: (line: string) => void;
}

/** One comparison the report printed. */
export interface VerifyCheck extends Difference {
  label: string;
}

async function readF32(path: string, what: string): Promise<Float32Array> {
  const b = await readInputBytes(path, `the ${what}`);
  if (b.length % 4 !== 0) throw new UserError(`${path}: ${b.length} bytes is not a whole number of float32 ${what}`);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/**
 * Throws a UserError naming the worst case when the module and a reference disagree beyond the
 * tolerance; otherwise returns every comparison it printed.
 */
export async function verifyModule(artifact: Artifact, wasm: Uint8Array, opts: VerifyOptions): Promise<VerifyCheck[]> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const samples = opts.data ?? [];
  const net = await checkedNetwork(wasm);
  try {
    return await runChecks(artifact, net, opts, log, samples);
  } finally {
    net.dispose();
  }
}

/** The network of a module to check: its own instance, or, for a threaded module (it imports its memory), the runtime's Recognizer with its workers. */
async function checkedNetwork(wasm: Uint8Array): Promise<{ logits(input: Float32Array): Float32Array; dispose(): void }> {
  const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  if (!WebAssembly.Module.imports(module).some((i) => i.kind === 'memory')) {
    const net = await instantiateNetwork(wasm);
    return { logits: net.logits, dispose: () => {} };
  }
  const { Recognizer } = await import('cocodiff-runtime');
  const recognizer = await Recognizer.load(wasm);
  return { logits: (x) => (recognizer.inferInput(x), recognizer.lastLogits()), dispose: () => recognizer.dispose() };
}

async function runChecks(
  artifact: Artifact, net: { logits(input: Float32Array): Float32Array }, opts: VerifyOptions, log: (line: string) => void, samples: DatasetSample[],
): Promise<VerifyCheck[]> {
  const { C, T, V, M } = artifact.model.input;
  const size = C * T * V * M;
  const checks: VerifyCheck[] = [];
  const report = (label: string, d: Difference, note = ''): void => {
    log(`verify ${label}: max |Δp| ${d.maxAbs.toExponential(2)}, max rel ${d.maxRel.toExponential(2)}${note}`);
    checks.push({ label, ...d });
  };
  const worse = (a: Difference, b: Difference): Difference => ({ maxAbs: Math.max(a.maxAbs, b.maxAbs), maxRel: Math.max(a.maxRel, b.maxRel) });

  if (opts.reference) {
    const input = await readF32(opts.reference.input, 'inputs');
    const logits = await readF32(opts.reference.logits, 'logits');
    const K = artifact.model.classes.length;
    if (input.length % size !== 0) throw new UserError(`${opts.reference.input}: ${input.length} floats is not a multiple of one input [${C}, ${T}, ${V}, ${M}] (${size})`);
    const n = input.length / size;
    if (logits.length !== n * K) throw new UserError(`${opts.reference.logits}: expected ${n} × ${K} logits, found ${logits.length} floats`);
    let worst: Difference = { maxAbs: 0, maxRel: 0 };
    let worstLogit = 0;
    for (let i = 0; i < n; i++) {
      const got = net.logits(input.subarray(i * size, (i + 1) * size));
      const ref = logits.subarray(i * K, (i + 1) * K);
      worst = worse(worst, compare(softmax(got), softmax(ref)));
      worstLogit = Math.max(worstLogit, compare(got, ref).maxAbs);
    }
    log(`verify reference logits: max |Δlogit| ${worstLogit.toExponential(2)} over ${n} input(s)`);
    report(`reference (${n} input(s))`, worst);
  }

  const classes = artifact.model.classes;
  const argmax = (p: Float64Array): number => p.indexOf(Math.max(...p));
  for (const oracle of opts.oracles) {
    const run = (x: Float32Array): { got: Float64Array; ref: Float64Array } => ({ got: softmax(net.logits(x)), ref: softmax(oracle.logits(x)) });
    const n = opts.randomInputs ?? 3;
    if (n > 0) {
      const rng = new Rng(1234);
      let worst: Difference = { maxAbs: 0, maxRel: 0 };
      for (let i = 0; i < n; i++) {
        const x = new Float32Array(size);
        for (let j = 0; j < size; j++) x[j] = rng.normal() * 0.5;
        const { got, ref } = run(x);
        worst = worse(worst, compare(got, ref));
      }
      report(`${oracle.name} (${n} random inputs)`, worst);
    }
    for (const s of samples) {
      const { got, ref } = run(s.x);
      // Both predictions, so a disagreement near a tie shows up next to the difference that caused it.
      report(`${oracle.name}, ${s.name} "${s.className}"`, compare(got, ref), `; module predicts "${classes[argmax(got)]}", ${oracle.name} "${classes[argmax(ref)]}"`);
    }
  }
  const failures = checks.filter((c) => !(c.maxAbs <= VERIFY_TOLERANCE));
  if (failures.length) {
    throw new UserError(`verify failed: ${failures.map((c) => `${c.label}: max |Δp| ${c.maxAbs.toExponential(2)} > ${VERIFY_TOLERANCE}`).join('; ')}`);
  }
  return checks;
}
