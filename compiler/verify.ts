/**
 * `--verify` and `--reference`: the compiled module against the tfjs model (random inputs and
 * dataset samples) and against logits computed elsewhere. Probabilities are compared, as apps see
 * them; a difference above the tolerance is an error, not a warning.
 */
import { readFile } from 'node:fs/promises';
import { ABI_EXPORTS } from '../common/abi.ts';
import type { Artifact } from '../common/artifact.ts';
import { UserError } from '../common/errors.ts';
import { Rng } from '../common/rng.ts';
import type { Graph } from './ir.ts';

export const VERIFY_TOLERANCE = 1e-4;

/** An instantiated recognizer, driven through the ABI: the network alone on a given input. */
export interface WasmNetwork {
  exports: Record<string, unknown>;
  memory: WebAssembly.Memory;
  /** Logits of one [C][T][V][M] input (a copy). */
  logits(input: Float32Array): Float32Array;
}

export async function instantiateNetwork(wasm: Uint8Array): Promise<WasmNetwork> {
  const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module, {
    env: { abort: () => { throw new Error('recognizer: abort'); } },
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

export interface VerifyOptions {
  tfjs: boolean;
  reference?: { input: string; logits: string };
  /** Dataset cache directory: its first test samples are checked too. */
  data?: string;
  randomInputs?: number;
  /** tfjs backend of the reference model (default auto: native if installed, else wasm). */
  backend?: 'auto' | 'wasm' | 'cpu';
  log?: (line: string) => void;
}

async function readF32(path: string, what: string): Promise<Float32Array> {
  let b: Buffer;
  try {
    b = await readFile(path);
  } catch (err) {
    throw new UserError(`${path}: cannot read the ${what} (${(err as Error).message})`);
  }
  if (b.length % 4 !== 0) throw new UserError(`${path}: ${b.length} bytes is not a whole number of float32 ${what}`);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/** Throws a UserError naming the worst case when the module and a reference disagree beyond the tolerance. */
export async function verifyModule(artifact: Artifact, _graph: Graph, wasm: Uint8Array, opts: VerifyOptions): Promise<void> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const net = await instantiateNetwork(wasm);
  const { C, T, V, M } = artifact.model.input;
  const size = C * T * V * M;
  const failures: string[] = [];
  const report = (label: string, d: Difference): void => {
    log(`verify ${label}: max |Δp| ${d.maxAbs.toExponential(2)}, max rel ${d.maxRel.toExponential(2)}`);
    if (!(d.maxAbs <= VERIFY_TOLERANCE)) failures.push(`${label}: max |Δp| ${d.maxAbs.toExponential(2)} > ${VERIFY_TOLERANCE}`);
  };

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
      const d = compare(softmax(got), softmax(ref));
      worst = { maxAbs: Math.max(worst.maxAbs, d.maxAbs), maxRel: Math.max(worst.maxRel, d.maxRel) };
      worstLogit = Math.max(worstLogit, compare(got, ref).maxAbs);
    }
    log(`verify reference logits: max |Δlogit| ${worstLogit.toExponential(2)} over ${n} input(s)`);
    report(`reference (${n} input(s))`, worst);
  }

  if (opts.tfjs) {
    const tf = await import('@tensorflow/tfjs');
    const { selectBackend } = await import('../trainer/backend.ts');
    const { CtrGcnModel } = await import('../trainer/model/ctrgcn.ts');
    await selectBackend(opts.backend ?? 'auto');
    const model = CtrGcnModel.fromArtifact(artifact);
    const inputs: Array<{ label: string; x: Float32Array }> = [];
    const rng = new Rng(1234);
    for (let i = 0; i < (opts.randomInputs ?? 3); i++) {
      const x = new Float32Array(size);
      for (let j = 0; j < size; j++) x[j] = rng.normal() * 0.5;
      inputs.push({ label: `random ${i}`, x });
    }
    if (opts.data) inputs.push(...(await datasetInputs(artifact, opts.data, 4)));
    let worst: Difference = { maxAbs: 0, maxRel: 0 };
    for (const { x } of inputs) {
      const ref = tf.tidy(() => model.classify(model.features(tf.tensor(x, [1, C, T, V, M]), false), false).dataSync());
      const d = compare(softmax(net.logits(x)), softmax(ref));
      worst = { maxAbs: Math.max(worst.maxAbs, d.maxAbs), maxRel: Math.max(worst.maxRel, d.maxRel) };
    }
    model.dispose();
    report(`tfjs ${tf.getBackend()} (${inputs.length} inputs)`, worst);
  }
  if (failures.length) throw new UserError(`verify failed: ${failures.join('; ')}`);
}

/** Preprocessed test samples of a dataset cache, as the network input. */
async function datasetInputs(artifact: Artifact, dir: string, count: number): Promise<Array<{ label: string; x: Float32Array }>> {
  const { readCache } = await import('../trainer/data/cache.ts');
  const { preprocess } = await import('../trainer/data/preprocess.ts');
  const { LAYOUTS } = await import('../common/layouts.ts');
  const cache = await readCache(dir);
  const m = artifact.model;
  const n = Math.min(count, cache.index.splits.test.samples.length);
  return Array.from({ length: n }, (_, i) => ({
    label: `${dir} test ${i}`,
    x: preprocess(cache.sequence('test', i), {
      frames: m.input.T, persons: m.input.M, modality: m.modality, layout: LAYOUTS[m.layout],
      train: false, cropRatio: m.preprocessing.testCropRatio, centre: m.preprocessing.centre,
    }),
  }));
}
