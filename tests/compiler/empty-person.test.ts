import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

// An empty person slot (all zeros) is computed once and its pooled feature reused afterwards.
describe('compile: an empty person slot', () => {
  const C = 3, T = 32, V = 25, M = 2;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-empty-'));
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 4, T, M, K: 9, seed: 21 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A random input whose person `m` is all zeros. */
  const onePerson = (seed: number, emptyPerson: number): Float32Array => {
    const x = randomInput(C * T * V * M, seed);
    for (let i = 0; i < C * T * V; i++) x[i * M + emptyPerson] = 0;
    return x;
  };

  it('gives the same answer reused as computed, bit for bit, and matches the interpreter', async () => {
    const { artifact, graph } = await loadArtifact(join(dir, 'model'));
    const { wasm } = await compileModule(artifact, graph);
    const net = await instantiateNetwork(wasm);
    const a = onePerson(1, 1);
    const first = net.logits(a); // computes the empty slot
    const again = net.logits(a); // reuses it
    expect(Array.from(again)).toEqual(Array.from(first));
    const ref = interpret(graph, a);
    for (let k = 0; k < 9; k++) expect(Math.abs(first[k] - ref[k])).toBeLessThan(1e-4);

    // Another recording, the empty slot now first: a fresh instance computes what this one reuses.
    const b = onePerson(2, 0);
    const fresh = await instantiateNetwork(wasm);
    expect(Array.from(net.logits(b))).toEqual(Array.from(fresh.logits(b)));
    // Two people present: both computed, unaffected by the cached slot.
    const both = randomInput(C * T * V * M, 3);
    expect(Array.from(net.logits(both))).toEqual(Array.from(fresh.logits(both)));
    const refBoth = interpret(graph, both);
    for (let k = 0; k < 9; k++) expect(Math.abs(net.logits(both)[k] - refBoth[k])).toBeLessThan(1e-4);
  }, 300_000);
});
