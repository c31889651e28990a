import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModule } from '../../compiler/index.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { GOLDEN_DIR, readF32, writeGoldenArtifact } from './artifacts.ts';

// The official CTR-GCN (full size, NTU-60, T 64, M 2) compiled once: the proof of fidelity.
describe('golden CTR-GCN compiled to .wasm', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-golden-'));
    await writeGoldenArtifact(join(dir, 'model'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reproduces the official logits within 1e-4', async () => {
    const { artifact, graph } = await loadArtifact(join(dir, 'model'));
    const built = await compileModule(artifact, graph);
    const net = await instantiateNetwork(built.wasm);
    const logits = net.logits(readF32(join(GOLDEN_DIR, 'input.bin')));
    const golden = readF32(join(GOLDEN_DIR, 'logits.bin'));
    expect(logits).toHaveLength(60);
    for (let k = 0; k < 60; k++) expect(Math.abs(logits[k] - golden[k]), `logit ${k}`).toBeLessThan(1e-4);
    expect(built.sidecar.classes[0]).toBe('drink water');
  }, 300_000);
});
