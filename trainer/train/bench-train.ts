/**
 * Training throughput per backend (`cocodiff bench-train`): samples/s of whole optimisation steps
 * (forward, backward, SGD update, and the loss read back) of synth-quick and of the full CTR-GCN at
 * given batch sizes, on random input of the model's shape, on every backend that loads here.
 *
 * Backends run one after another in one process (tfjs has one current backend, and a GPU backend's
 * first steps compile its shaders), so each cell starts with warm-up steps that are not timed and
 * reports the median of the timed ones; ratios are between cells of the same run.
 */
import { Rng } from '../../common/rng.ts';
import { BACKENDS, selectBackend } from '../backend.ts';
import { ctrgcnConfig, CtrGcnModel, type ModelSpec } from '../model/ctrgcn.ts';
import { PRESETS, RECIPE, type Preset } from './config.ts';
import { CTRGCN_SGD, Sgd } from './optimizer.ts';
import { trainStep } from './step.ts';

/** The two models the benchmark knows, by the name it prints. */
export const BENCH_MODELS = { 'synth-quick': PRESETS['synth-quick'], 'ctrgcn': RECIPE } as const satisfies Record<string, Preset>;
export type BenchModel = keyof typeof BENCH_MODELS;

/** NTU-60's shape: 25 joints, 2 persons, 3 coordinates, 60 classes. */
export function benchSpec(model: BenchModel): ModelSpec {
  const p = BENCH_MODELS[model];
  return { backbone: ctrgcnConfig({ width: p.width, blocks: p.blocks }), input: { C: 3, T: p.frames, V: 25, M: 2 }, layout: 'ntu25', numClasses: 60 };
}

export interface BenchTrainOptions {
  backends: readonly string[];
  models: readonly BenchModel[];
  batches: readonly number[];
  /** Untimed steps first (shader compilation, allocator growth). */
  warmup: number;
  steps: number;
  seed: number;
  log?: (line: string) => void;
}

export interface BenchCell {
  backend: string;
  model: BenchModel;
  batch: number;
  /** Median samples/s over the timed steps, or why the cell could not run (out of memory). */
  samplesPerSecond?: number;
  /** Every timed step's samples/s, for the spread. */
  samples: number[];
  error?: string;
}

/**
 * The backends to time by default: those `auto` may choose (cpu is for checks only) that load here,
 * a software WebGPU adapter included (named here, it loads), wasm first: it ships everywhere, so
 * the ratios are to it.
 */
export async function loadableBackends(): Promise<string[]> {
  const names: string[] = [];
  for (const b of BACKENDS) if (b.priority !== undefined && (await b.load(false))) names.push(b.name);
  return names.sort((a, b) => Number(b === 'wasm') - Number(a === 'wasm'));
}

export async function benchTrain(o: BenchTrainOptions): Promise<BenchCell[]> {
  const cells: BenchCell[] = [];
  for (const backend of o.backends) {
    await selectBackend(backend);
    for (const model of o.models) {
      for (const batch of o.batches) {
        const cell = await benchCell(backend, model, batch, o);
        o.log?.(`${backend} ${model} batch ${batch}: ${cell.error ?? `${cell.samplesPerSecond!.toFixed(2)} samples/s (${cell.samples.map((s) => s.toFixed(2)).join(', ')})`}`);
        cells.push(cell);
      }
    }
  }
  return cells;
}

async function benchCell(backend: string, model: BenchModel, batch: number, o: BenchTrainOptions): Promise<BenchCell> {
  const spec = benchSpec(model);
  const { C, T, V, M } = spec.input;
  const rng = new Rng(o.seed);
  const x = Float32Array.from({ length: batch * C * T * V * M }, () => rng.normal());
  const labels = Int32Array.from({ length: batch }, () => rng.int(spec.numClasses));
  const net = CtrGcnModel.create(spec, o.seed);
  const sgd = new Sgd(net.trainableVariables(), CTRGCN_SGD, net.trainableNames());
  const samples: number[] = [];
  try {
    for (let i = 0; i < o.warmup + o.steps; i++) {
      const start = performance.now();
      // trainStep reads the loss back, so the step's GPU work has finished when it returns.
      await trainStep(net, null, null, { sgd, branch: null }, { x, labels, size: batch, indices: [] }, 0.01);
      if (i >= o.warmup) samples.push((batch * 1000) / (performance.now() - start));
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { backend, model, batch, samplesPerSecond: median, samples };
  } catch (e) {
    return { backend, model, batch, samples, error: `failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  } finally {
    sgd.dispose();
    net.dispose();
  }
}

/** The table `bench-train` prints: one row per model and batch, a column per backend, and each backend's ratio to the first. */
export function formatBenchTrain(cells: readonly BenchCell[], backends: readonly string[]): string {
  const rows: string[][] = [['model', 'batch', ...backends.map((b) => `${b} samples/s`), ...backends.slice(1).map((b) => `${b} / ${backends[0]}`)]];
  const keys = [...new Set(cells.map((c) => `${c.model}\t${c.batch}`))];
  for (const key of keys) {
    const [model, batch] = key.split('\t');
    const row = backends.map((b) => cells.find((c) => c.backend === b && `${c.model}\t${c.batch}` === key));
    const rate = (c?: BenchCell) => (c?.samplesPerSecond !== undefined ? c.samplesPerSecond : undefined);
    rows.push([
      model,
      batch,
      ...row.map((c) => (rate(c) !== undefined ? `${rate(c)!.toFixed(2)} (${Math.min(...c!.samples).toFixed(2)}–${Math.max(...c!.samples).toFixed(2)})` : (c?.error ?? '–'))),
      ...row.slice(1).map((c) => (rate(c) !== undefined && rate(row[0]) !== undefined ? `${(rate(c)! / rate(row[0])!).toFixed(2)}×` : '–')),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
