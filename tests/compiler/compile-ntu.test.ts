import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ABI_EXPORTS, ABI_VERSION } from 'cocodiff-runtime/shared/abi';
import { compileArtifact } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork, verifyModule } from '../../compiler/verify.ts';
import { tfjsReference } from '../../trainer/model/reference.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

// Width 0.25, NTU-25, 2 persons, 32 frames: compiled once, checked against the interpreter and tfjs.
describe('compile: CTR-GCN width 0.25, ntu25, M = 2', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-compile-'));
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, T: 32, M: 2, K: 12, seed: 7 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a .wasm and sidecar whose logits match the interpreter and tfjs within 1e-4', async () => {
    const out = join(dir, 'out', 'rec.wasm');
    const result = await compileArtifact(join(dir, 'model'), { out, emitAs: join(dir, 'as'), plan: join(dir, 'plan.json') });
    expect(result.wasmPath).toBe(out);
    const wasm = readFileSync(out);
    expect(result.wasmBytes).toBe(wasm.length);
    expect(WebAssembly.validate(wasm)).toBe(true);

    const sidecar = JSON.parse(readFileSync(result.sidecarPath, 'utf8'));
    expect(sidecar.classes).toHaveLength(12);
    expect(sidecar.abiVersion).toBe(ABI_VERSION);
    expect(sidecar.input).toEqual({ C: 3, T: 32, V: 25, M: 2 });
    // --emit-as keeps the generated sources
    expect(readFileSync(join(dir, 'as', 'network.ts'), 'utf8')).toContain('export function network_forward');
    // ... and the plan it was generated from
    const plan = JSON.parse(readFileSync(join(dir, 'as', 'plan.json'), 'utf8')) as { ops: Array<{ kind: string; module: string }>; tensors: Record<string, { offset: number }> };
    expect(plan.ops[0]).toMatchObject({ kind: 'input', module: 'data_bn' });
    expect(plan.tensors.x.offset).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(dir, 'plan.json'), 'utf8')).toBe(readFileSync(join(dir, 'as', 'plan.json'), 'utf8')); // --plan
    expect(readFileSync(join(dir, 'as', 'config.ts'), 'utf8')).toContain('export const NUM_CLASSES: i32 = 12;');

    const { artifact, graph } = await loadArtifact(join(dir, 'model'));
    const net = await instantiateNetwork(wasm);
    expect((net.exports[ABI_EXPORTS.numClasses] as () => number)()).toBe(12);
    expect((net.exports[ABI_EXPORTS.modelFrames] as () => number)()).toBe(32);
    // the module imports nothing but env.abort
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm));
    expect(imports.every((i) => i.module === 'env' && i.name === 'abort')).toBe(true);

    for (const seed of [1, 2]) {
      const x = randomInput(3 * 32 * 25 * 2, seed);
      const got = net.logits(x);
      const ref = interpret(graph, x);
      for (let k = 0; k < ref.length; k++) expect(Math.abs(got[k] - ref[k])).toBeLessThan(1e-4);
    }
    // the same module against C's tfjs model (probabilities), through the --verify path
    const lines: string[] = [];
    const tfjs = await tfjsReference(artifact);
    await verifyModule(artifact, wasm, { oracles: [tfjs], randomInputs: 2, log: (l) => lines.push(l) });
    tfjs.dispose();
    expect(lines.join('\n')).toMatch(/verify tfjs .*max \|Δp\|/);
  }, 300_000);
});
