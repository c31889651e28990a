import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relaxedSimdAvailable } from '../../compiler/bench.ts';
import { toHalf } from '../../compiler/f16.ts';
import { cloneGraph } from '../../compiler/ir.ts';
import { halfValue } from '../helpers/half.ts';
import { compileModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import type { Graph } from '../../compiler/ir.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

// Shown as skipped, not passed, on an engine without relaxed SIMD.
const relaxed = await relaxedSimdAvailable();

/** The graph with every weight (every float array of every op) rounded to the nearest half. */
function roundedToHalves(graph: Graph): Graph {
  const g = cloneGraph(graph);
  const visit = (v: unknown): void => {
    if (v instanceof Float32Array) v.forEach((w, i) => (v[i] = halfValue(toHalf(w))));
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  g.ops.forEach(visit);
  return g;
}

describe('compile variants: --weights f16, --relaxed-simd (two small units)', () => {
  let dir: string;
  let loaded: Awaited<ReturnType<typeof loadArtifact>>;
  let x: Float32Array;
  let ref: Float32Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-variants-'));
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 2, T: 16, M: 2, K: 8, seed: 5 });
    loaded = await loadArtifact(join(dir, 'model'));
    x = randomInput(3 * 16 * 25 * 2, 8);
    ref = interpret(loaded.graph as Graph, x);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The oracle for f16 is the interpreter on the same network with every weight rounded to the
  // nearest half: the module must compute exactly that network (within f32 rounding, 1e-5), and
  // that network must stay within 1e-3 of the logit spread of the f32 one.
  it('f16 weights: the module computes the f16-rounded network (1e-5), within 1e-3 of the spread of the f32 logits', async () => {
    const f32 = await compileModule(loaded.artifact, loaded.graph);
    const f16 = await compileModule(loaded.artifact, loaded.graph, { weights: 'f16' });
    const weightBytes = f32.network.weights.length * 4;
    expect(f32.wasm.length - f16.wasm.length).toBeGreaterThan(weightBytes * 0.45);
    expect(f16.sidecar.weights).toBe('f16');
    const got = (await instantiateNetwork(f16.wasm)).logits(x);
    const ref16 = interpret(roundedToHalves(f16.graph), x);
    const spread = Math.max(...ref) - Math.min(...ref);
    let toF16 = 0;
    let toF32 = 0;
    for (let k = 0; k < ref.length; k++) {
      toF16 = Math.max(toF16, Math.abs(got[k] - ref16[k]));
      toF32 = Math.max(toF32, Math.abs(got[k] - ref[k]));
    }
    expect(toF16).toBeLessThan(1e-5);
    expect(toF32).toBeGreaterThan(1e-5); // the halves really are used
    expect(toF32).toBeLessThan(1e-3 * spread);
  }, 300_000);

  it.skipIf(!relaxed)('relaxed SIMD matches the interpreter within 1e-4', async () => {
    const built = await compileModule(loaded.artifact, loaded.graph, { relaxedSimd: true });
    const got = (await instantiateNetwork(built.wasm)).logits(x);
    for (let k = 0; k < ref.length; k++) expect(Math.abs(got[k] - ref[k])).toBeLessThan(1e-4);
  }, 300_000);
});
