import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { GOLDEN_DIR, readF32, writeGoldenArtifact } from './artifacts.ts';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
};

// The official CTR-GCN (full size, NTU-60, T 64, M 2) compiled once: the proof of fidelity. The
// bounds are docs/compiler.md's: the IR interpreter (the reference five compiler test files trust) within
// 1e-5 of the authors' PyTorch logits, the compiled .wasm within 2e-5.
describe('golden CTR-GCN compiled to .wasm', () => {
  let dir: string;
  let loaded: Awaited<ReturnType<typeof loadArtifact>>;
  const input = readF32(join(GOLDEN_DIR, 'input.bin'));
  const golden = readF32(join(GOLDEN_DIR, 'logits.bin'));
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-golden-'));
    await writeGoldenArtifact(join(dir, 'model'));
    loaded = await loadArtifact(join(dir, 'model'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the IR interpreter reproduces the official logits within 1e-5', () => {
    const logits = interpret(loaded.graph, input);
    expect(logits).toHaveLength(60);
    expect(maxAbsDiff(logits, golden)).toBeLessThan(1e-5);
  }, 300_000);

  it('the compiled .wasm reproduces the official logits within 2e-5', async () => {
    const built = await compileModule(loaded.artifact, loaded.graph);
    const net = await instantiateNetwork(built.wasm);
    const logits = net.logits(input);
    expect(logits).toHaveLength(60);
    expect(maxAbsDiff(logits, golden)).toBeLessThan(2e-5);
    expect(built.sidecar.classes[0]).toBe('drink water');
  }, 300_000);
});
