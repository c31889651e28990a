/**
 * The webgpu backend against wasm, on whatever adapter Dawn finds (in CI: Mesa's software Vulkan,
 * lavapipe, which .ci/run installs). One training step from the same weights and batch gives the
 * same loss and gradients within a stated tolerance, for the full CTR-GCN and for synth-quick with
 * the CoCoDiff branch; a short run on webgpu holds its tensor count flat from epoch to epoch and
 * resumes exactly.
 *
 * Where no adapter can be created (or the optional packages are missing) the suite is skipped with
 * the reason printed; with COCODIFF_REQUIRE_WEBGPU set (as .ci/run sets it) that is a failure instead.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, inject, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { BACKENDS, backendDetail, selectBackend } from '../../trainer/backend.ts';
import { DiffusionBranch } from '../../trainer/cocodiff/branch.ts';
import { DEFAULT_COCODIFF_OPTIONS } from '../../trainer/cocodiff/types.ts';
import { ctrgcnConfig, CtrGcnModel, type ModelSpec } from '../../trainer/model/ctrgcn.ts';
import type { ClassEmbeddings } from '../../trainer/text/embeddings-file.ts';
import { runTraining } from '../../trainer/train/train.ts';
import { stepGradients } from '../../trainer/train/step.ts';
import { describeAdapter, probeWebgpu, WEBGPU_UNAVAILABLE, type AdapterInfo } from '../../trainer/webgpu.ts';
import { tinyDataset } from '../helpers/tiny-run.ts';

const found = await probeWebgpu();
const unavailable = typeof found === 'string' ? WEBGPU_UNAVAILABLE[found] : undefined;
if (unavailable) {
  if (process.env.COCODIFF_REQUIRE_WEBGPU) throw new Error(`COCODIFF_REQUIRE_WEBGPU is set, but webgpu cannot run here: ${unavailable}`);
  console.warn(`tests/model/webgpu.test.ts skipped: ${unavailable}`);
}

/**
 * Tolerances, relative to the largest magnitude of the wasm value (at least 1e-6 absolute): float32
 * sums in another order (GPU reductions and matMul tiles against XNNPACK's) differ by a few ulps per
 * operation, which ten units of batch-norm, with its division by a batch standard deviation, amplify.
 */
const LOSS_TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 5e-3;
/**
 * A gradient that is 0 in exact arithmetic (a conv's bias before batch-norm, which removes the mean)
 * is rounding noise on both backends; its scale is at least this fraction of the step's largest gradient.
 */
const GRADIENT_FLOOR = 1e-3;

interface StepResult {
  terms: Record<string, number>;
  grads: Map<string, Float32Array>;
}

/** Synthetic class text (the encoder is not what is under test): K classes × dim, from a seed. */
function classText(K: number, dim: number, seed: number): ClassEmbeddings {
  const rng = new Rng(seed);
  const rows = () => Float32Array.from({ length: K * dim }, () => rng.normal());
  return { dim, coarse: rows(), fine: rows(), source: 'test' };
}

/** The branch's variables set to seeded random values (scaled by fan-in): its output layers start at 0, which would leave the inner gradients at 0 on both backends. */
function randomise(vars: Array<[string, tf.Variable]>, seed: number): void {
  const rng = new Rng(seed);
  for (const [, v] of vars) {
    const fanIn = v.rank >= 2 ? v.size / v.shape[v.rank - 1] : 1;
    v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => (0.5 * rng.normal()) / Math.sqrt(fanIn)), v.shape));
  }
}

/** One step's loss terms and every gradient, on `backend`, from weights and a batch drawn from fixed seeds. */
async function oneStep(backend: 'wasm' | 'webgpu', spec: ModelSpec, batch: number, cocodiff: boolean): Promise<StepResult> {
  expect(await selectBackend(backend)).toBe(backend);
  const model = CtrGcnModel.create(spec, 3);
  const weights = await model.namedWeights();
  for (const [name, t] of weights) if (name.endsWith('.alpha')) t.data.fill(0.5);
  model.loadNamedWeights(weights);
  const branch = cocodiff ? new DiffusionBranch(DEFAULT_COCODIFF_OPTIONS, model.featureDim, classText(spec.numClasses, 32, 4), 7) : null;
  if (branch) randomise(branch.trainable(), 5);
  const named: Array<[string, tf.Variable]> = [...model.trainableNames().map((n, i): [string, tf.Variable] => [n, model.trainableVariables()[i]]), ...(branch?.trainable() ?? [])];
  const { C, T, V, M } = spec.input;
  const rng = new Rng(6);
  const x = tf.tensor(Float32Array.from({ length: batch * C * T * V * M }, () => rng.normal()), [batch, C, T, V, M]);
  const y = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % spec.numClasses), 'int32');
  const lambdas = { gen: 1, fine: 1, coarse: 0.1 };
  const { value, grads, kept } = stepGradients(model, branch, cocodiff ? lambdas : null, named.map(([, v]) => v), x, y);
  const terms: Record<string, number> = { loss: (await value.data())[0] };
  for (const [k, t] of Object.entries(kept)) if (k !== 'logits' && t) terms[k] = (await t.data())[0];
  const out = new Map<string, Float32Array>();
  for (const [name, v] of named) out.set(name, (await grads[v.name].data()) as Float32Array);
  tf.dispose([x, y, value, ...Object.values(grads), ...Object.values(kept)]);
  branch?.dispose();
  model.dispose();
  return { terms, grads: out };
}

/** Largest |a − b| and the reference's largest magnitude. */
function difference(a: Float32Array, b: Float32Array): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}

function expectEquivalent(gpu: StepResult, cpu: StepResult): void {
  expect(Object.keys(gpu.terms)).toEqual(Object.keys(cpu.terms));
  for (const [k, v] of Object.entries(cpu.terms)) expect(Math.abs(gpu.terms[k] - v) / Math.max(1, Math.abs(v)), k).toBeLessThanOrEqual(LOSS_TOLERANCE);
  expect([...gpu.grads.keys()]).toEqual([...cpu.grads.keys()]);
  const diffs = [...cpu.grads].map(([name, g]) => ({ name, ...difference(gpu.grads.get(name)!, g) }));
  const largest = Math.max(...diffs.map((d) => d.scale));
  const rel = diffs.map((d) => ({ ...d, rel: d.diff / Math.max(d.scale, GRADIENT_FLOOR * largest) })).sort((a, b) => b.rel - a.rel);
  console.log(`webgpu vs wasm: ${rel.length} gradients (largest magnitude ${largest.toExponential(2)}); worst: ${rel.slice(0, 4).map((d) => `${d.name} ${d.rel.toExponential(2)} (|g| ≤ ${d.scale.toExponential(2)})`).join(', ')}`);
  for (const d of rel) expect(d.rel, d.name).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
}

describe.skipIf(unavailable !== undefined)(`webgpu against wasm${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('auto takes webgpu exactly when the adapter is hardware; named, any adapter loads, and the log line names it', async () => {
    const adapter = found as AdapterInfo;
    const webgpu = BACKENDS.find((b) => b.name === 'webgpu')!;
    expect(await webgpu.load(true)).toBe(!adapter.software);
    expect((await selectBackend('auto')) === 'webgpu').toBe(!adapter.software);
    expect(await selectBackend('webgpu')).toBe('webgpu');
    expect(await backendDetail()).toBe(`adapter: ${describeAdapter(adapter)}`);
    expect(describeAdapter(adapter)).toContain(adapter.description || adapter.device);
  });

  // Dawn prints warnings from native code while it enumerates a software adapter; `auto`, which passes
  // such an adapter over, asks a child process first, so a run that trains elsewhere shows none of them.
  it.skipIf(!(found as AdapterInfo).software)('auto on a software adapter keeps Dawn out of the process: no Dawn output on stderr', async () => {
    const program = join(await mkdtemp(join(tmpdir(), 'cocodiff-auto-')), 'auto.mts');
    await writeFile(program, `import { selectBackend } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'trainer', 'backend.ts'))};\nconsole.log(await selectBackend('auto'));\n`);
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--conditions=cocodiff-source', '--import', 'tsx', program], { timeout: 120_000 });
    expect(stdout.trim()).not.toBe('webgpu');
    expect(stderr).toBe('');
  }, 150_000);

  // Every unit, channel width and stride of the full model; 16 frames instead of 64, as lavapipe runs
  // one such step in about half a minute on a loaded 2-core machine.
  it('one step of the full CTR-GCN (batch 2, 16 frames): same loss and gradients', { timeout: 900_000 }, async () => {
    const spec: ModelSpec = { backbone: ctrgcnConfig({ width: 1, blocks: 10 }), input: { C: 3, T: 16, V: 25, M: 2 }, layout: 'ntu25', numClasses: 60 };
    const gpu = await oneStep('webgpu', spec, 2, false);
    const cpu = await oneStep('wasm', spec, 2, false);
    expectEquivalent(gpu, cpu);
  });

  it('one step of synth-quick with the CoCoDiff branch (batch 4): same loss terms and gradients', { timeout: 900_000 }, async () => {
    const spec: ModelSpec = { backbone: ctrgcnConfig({ width: 0.25, blocks: 3 }), input: { C: 3, T: 32, V: 25, M: 2 }, layout: 'ntu25', numClasses: 14 };
    const gpu = await oneStep('webgpu', spec, 4, true);
    const cpu = await oneStep('wasm', spec, 4, true);
    expect(Object.keys(cpu.terms)).toEqual(['loss', 'ceReal', 'ceGen', 'fine', 'coarse']);
    expectEquivalent(gpu, cpu);
  });

  it('a run on webgpu keeps its tensor count flat from epoch to epoch, and a resumed run computes what an uninterrupted one does', { timeout: 900_000 }, async () => {
    const { data } = await tinyDataset();
    const root = await mkdtemp(join(inject('sharedFixtures'), 'webgpu-'));
    const options = { data, preset: 'synth-quick', width: 0.125, blocks: 1, frames: 8, batch: 4, seed: 2, backend: 'webgpu', quiet: true, cocodiff: { ...DEFAULT_COCODIFF_OPTIONS, fineText: false, coarseText: false, denoiserWidth: 16, denoiserBlocks: 1 } } as const;
    const memory: Array<{ numTensors: number; numBytes: number }> = [];
    await runTraining({ ...options, out: join(root, 'straight'), epochs: 3, onEpoch: () => memory.push({ numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes }) });
    expect(memory).toHaveLength(3);
    expect(memory[2]).toEqual(memory[1]);
    expect(memory[1]).toEqual(memory[0]);
    // Interrupted after epoch 2 (as by Ctrl-C), then resumed: the schedule is the 3-epoch run's throughout.
    const stop = new AbortController();
    await expect(runTraining({ ...options, out: join(root, 'resumed'), epochs: 3, signal: stop.signal, onEpoch: (m) => m.epoch === 2 && stop.abort() })).rejects.toThrow(/interrupted at epoch 3/);
    await runTraining({ ...options, out: join(root, 'resumed'), epochs: 3, resume: true });
    const tensors = (run: string) => readFile(join(root, run, 'checkpoints', 'last', 'tensors.bin'));
    expect((await tensors('resumed')).equals(await tensors('straight'))).toBe(true);
  });
});
