/**
 * Weight-only int8 (`compile --int8`, passes/quantise.ts): the weights of the convs an int8 module still
 * computes in f32 (the CTR-GC conv1/conv2/conv4, the 3-channel first layer's convs; not the classifier)
 * are stored in the data segment as int8 codes with a scale per output channel, and written into the
 * f32 weight area at start-up. A small random CTR-GCN, built three ways: f32, int8 with those weights
 * kept f32 (`f32Weights`), and int8 as it is by default.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sectionSizes } from '../../compiler/build.ts';
import { compileModule, type BuiltModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import type { Graph } from '../../compiler/ir.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

const [C, T, V, M, K] = [3, 16, 25, 2, 8];
const SIZE = C * T * V * M;
const calibration = Array.from({ length: 8 }, (_, i) => randomInput(SIZE, 100 + i));
const inputs = Array.from({ length: 12 }, (_, i) => randomInput(SIZE, 700 + i));
const argmax = (a: ArrayLike<number>): number => Array.from(a).indexOf(Math.max(...Array.from(a)));

let dir: string;
let loaded: Awaited<ReturnType<typeof loadArtifact>>;
let f32: BuiltModule;
let int8F32Weights: BuiltModule;
let int8: BuiltModule;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-int8-codes-'));
  await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 2, T, M, K, seed: 9 });
  loaded = await loadArtifact(join(dir, 'model'));
  f32 = await compileModule(loaded.artifact, loaded.graph);
  int8F32Weights = await compileModule(loaded.artifact, loaded.graph, { int8: { inputs: calibration, method: 'minmax', f32Weights: true } });
  int8 = await compileModule(loaded.artifact, loaded.graph, { int8: { inputs: calibration, method: 'minmax' } });
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Bytes of the f32 weights the module writes from codes, and of their scales. */
function expandedBytes(m: BuiltModule): { weights: number; scales: number; arrays: number } {
  const e = m.network.plan.expandedWeights ?? [];
  return {
    weights: e.reduce((n, x) => n + x.blocks * x.per * x.lanes * 4, 0),
    scales: e.reduce((n, x) => n + x.blocks * x.lanes * 4, 0),
    arrays: e.length,
  };
}

describe('weight-only int8', () => {
  it('stores the topology and first-layer weights as codes, per output channel, and keeps the classifier f32', () => {
    const ops = int8.graph.ops;
    const ctrgcs = ops.filter((op) => op.kind === 'ctrgc');
    expect(ctrgcs.length).toBe(2);
    for (const op of ctrgcs) {
      for (const s of op.subsets) {
        expect(s.weightCodes).toBeDefined();
        // conv3 is an int8 op where it reads ≥ 8 channels; only the 3-channel first layer's is stored as codes.
        expect(Boolean(s.weightCodes!.w3)).toBe(!op.conv3Quant);
        // The weights the graph computes with are the codes times their channel's scale, rounded to f32.
        const { q, wScale } = s.weightCodes!.w4;
        for (let i = 0; i < q.length; i++) expect(s.w4[i]).toBe(Math.fround(q[i] * wScale[Math.floor(i / op.rel)]));
      }
    }
    const linear = (g: Graph) => g.ops.find((op) => op.kind === 'linear')!;
    expect(linear(int8.graph)).toEqual(linear(int8F32Weights.graph));
    for (const op of ops) if (op.kind === 'conv') expect(Boolean(op.quant) !== Boolean(op.weightCodes)).toBe(true);
    expect(int8.sidecar.int8!.f32Ops).toMatch(/stored as int8/);
    expect(int8F32Weights.graph.ops.some((op) => op.kind === 'ctrgc' && op.subsets[0].weightCodes)).toBe(false);
  });

  it('shrinks the data section by 3 bytes of every such weight, less their scales and alignment', () => {
    const { weights, scales, arrays } = expandedBytes(int8);
    expect(arrays).toBeGreaterThan(10);
    expect(int8.network.weightCodes.length).toBeGreaterThanOrEqual(weights / 4);
    const saved = sectionSizes(int8F32Weights.wasm).data - sectionSizes(int8.wasm).data;
    // Per array: its codes 16-byte aligned, its scales too, the f32 run before it a segment of its own
    // (≤ 8 bytes of header), and a 24-byte row in the table the start-up loop reads.
    expect(saved).toBeLessThanOrEqual((3 * weights) / 4 - scales);
    expect(saved).toBeGreaterThan((3 * weights) / 4 - scales - arrays * (16 + 16 + 8 + 24));
    // This small model's adjacencies and biases (f32) are a large share: 0.560 of f32's section before, 0.530 after.
    expect(sectionSizes(int8.wasm).data).toBeLessThan(0.54 * sectionSizes(f32.wasm).data);
  });

  it('writes at start-up exactly the f32 weights the interpreter computes with', async () => {
    const net = await instantiateNetwork(int8.wasm);
    const { weights, weightsBase } = int8.network;
    expect(new Float32Array(net.memory.buffer, weightsBase, weights.length)).toEqual(weights);
    for (const x of inputs.slice(0, 4)) {
      const got = net.logits(x);
      const want = interpret(int8.graph, x);
      for (let k = 0; k < K; k++) expect(Math.abs(got[k] - want[k])).toBeLessThan(1e-4);
    }
  }, 120_000);

  // Bounds against f32: the same argmax on every input, every logit within 1 % of the spread, as for the
  // int8 convs alone; and not equal to that module, or the codes were not used.
  it('stays close to f32 and to the int8 module with f32 weights', async () => {
    const net = await instantiateNetwork(int8.wasm);
    const before = await instantiateNetwork(int8F32Weights.wasm);
    let worst = 0;
    let moved = 0;
    for (const x of inputs) {
      const got = net.logits(x);
      const ref = interpret(loaded.graph as Graph, x);
      const old = before.logits(x);
      expect(argmax(got)).toBe(argmax(ref));
      const spread = Math.max(...ref) - Math.min(...ref);
      for (let k = 0; k < K; k++) {
        worst = Math.max(worst, Math.abs(got[k] - ref[k]) / spread);
        moved = Math.max(moved, Math.abs(got[k] - old[k]) / spread);
      }
    }
    expect(worst).toBeLessThan(0.01);
    expect(moved).toBeGreaterThan(1e-6);
  }, 120_000);

  it('leaves the f32 module alone: one segment holding every f32 weight, nothing written at start-up', () => {
    expect(f32.network.plan.expandedWeights).toBeUndefined();
    expect(f32.network.weightCodes.length).toBe(0);
    expect(f32.network.source).not.toMatch(/expand_weight_codes|WQ/);
    expect(f32.network.storedWeights).toHaveLength(1);
    const bytes = new Uint8Array(f32.network.weights.buffer);
    expect(Buffer.from(f32.wasm).indexOf(Buffer.from(bytes))).toBeGreaterThan(0);
  });
});
