import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import type { Graph } from '../../compiler/ir.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

// An empty person slot (all zeros) is computed once and its pooled feature reused afterwards.
describe('compile: an empty person slot', () => {
  const C = 3, T = 32, V = 25, M = 2;
  let dir: string;
  let graph: Graph;
  let wasm: Uint8Array;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-empty-'));
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 4, T, M, K: 9, seed: 21 });
    const loaded = await loadArtifact(join(dir, 'model'));
    graph = loaded.graph;
    ({ wasm } = await compileModule(loaded.artifact, graph));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A random input whose person `m` is all zeros. */
  const onePerson = (seed: number, emptyPerson: number): Float32Array => {
    const x = randomInput(C * T * V * M, seed);
    for (let i = 0; i < C * T * V; i++) x[i * M + emptyPerson] = 0;
    return x;
  };

  it('gives the same answer reused as computed, bit for bit, and matches the interpreter', async () => {
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

  /** A random input where person `m` holds values only at the (c, t, v) positions `keep` accepts. */
  const partly = (seed: number, m: number, keep: (c: number, t: number, v: number) => boolean): Float32Array => {
    const x = randomInput(C * T * V * M, seed);
    for (let c = 0; c < C; c++) for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) if (!keep(c, t, v)) x[((c * T + t) * V + v) * M + m] = 0;
    return x;
  };

  it('people entering and leaving mid-window: one long-lived instance answers as a fresh one does, every time', async () => {
    const net = await instantiateNetwork(wasm);
    // Each window runs on the instance that has seen all the windows before it (its saved empty
    // slots included) and on a new instance; a window where a person is present in only part of
    // it must never be taken for an empty slot.
    const windows: Array<[string, Float32Array]> = [
      ['person 1 absent (its empty share is saved)', onePerson(4, 1)],
      ['person 1 enters at frame 20', partly(5, 1, (_c, t) => t >= 20)],
      ['person 1 absent again', onePerson(6, 1)],
      ['person 1 leaves after frame 3', partly(7, 1, (_c, t) => t <= 3)],
      ['person 1 is one value in the last frame', partly(8, 1, (c, t, v) => c === C - 1 && t === T - 1 && v === V - 1)],
      ['person 0 absent (its empty share is saved)', onePerson(9, 0)],
      ['person 0 is one value in the first frame', partly(10, 0, (c, t, v) => c === 0 && t === 0 && v === 0)],
      ['person 0 enters at frame 16, person 1 leaves at frame 16', partly(11, 0, (_c, t) => t >= 16).map((x, i) => (i % M === 1 && Math.floor(i / (V * M)) % T >= 16 ? 0 : x))],
      ['nobody', new Float32Array(C * T * V * M)],
      ['person 1 present in one frame mid-window', partly(12, 1, (_c, t) => t === 13)],
      // Slot 0 empty and slot 1 holding only its last coordinate: every value of slot 1 sits in the
      // last third of the [C][T][V][M] input, which only a full scan of the slot reaches.
      ['person 0 absent, person 1 only in its last coordinate', partly(13, 1, (c) => c === C - 1).map((x, i) => (i % M === 0 ? 0 : x))],
      ['person 1 absent once more', onePerson(14, 1)],
    ];
    for (const [what, x] of windows) {
      const got = net.logits(x);
      const fresh = (await instantiateNetwork(wasm)).logits(x);
      expect(Array.from(got), what).toEqual(Array.from(fresh));
      const ref = interpret(graph, x);
      for (let k = 0; k < 9; k++) expect(Math.abs(got[k] - ref[k]), `${what}, logit ${k}`).toBeLessThan(1e-4);
    }
  }, 300_000);
});
