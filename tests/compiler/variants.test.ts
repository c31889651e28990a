import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relaxedSimdAvailable } from '../../compiler/bench.ts';
import { toHalf } from '../../compiler/f16.ts';
import { compileModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import type { Graph } from '../../compiler/ir.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

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

  it('rounds floats to the nearest half', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(2 ** -24)).toBe(0x0001);
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('f16 weights: a smaller module whose logits stay close to the f32 ones', async () => {
    const f32 = await compileModule(loaded.artifact, loaded.graph);
    const f16 = await compileModule(loaded.artifact, loaded.graph, { weights: 'f16' });
    const weightBytes = f32.network.weights.length * 4;
    expect(f32.wasm.length - f16.wasm.length).toBeGreaterThan(weightBytes * 0.45);
    expect(f16.sidecar.weights).toBe('f16');
    const got = (await instantiateNetwork(f16.wasm)).logits(x);
    const spread = Math.max(...ref) - Math.min(...ref);
    let worst = 0;
    for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(got[k] - ref[k]));
    expect(worst).toBeGreaterThan(0); // the halves really are used
    expect(worst).toBeLessThan(0.02 * spread);
  }, 300_000);

  it('relaxed SIMD (where the engine has it) matches the interpreter within 1e-4', async () => {
    if (!(await relaxedSimdAvailable())) return;
    const built = await compileModule(loaded.artifact, loaded.graph, { relaxedSimd: true });
    const got = (await instantiateNetwork(built.wasm)).logits(x);
    for (let k = 0; k < ref.length; k++) expect(Math.abs(got[k] - ref[k])).toBeLessThan(1e-4);
  }, 300_000);
});
