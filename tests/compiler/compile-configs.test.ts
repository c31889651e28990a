import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModule } from '../../compiler/index.ts';
import { interpret } from '../../compiler/interpret.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

// OpenPose-18 (V = 18, Vp = 20), 2 persons, 400 classes, 48 frames (T·V not a multiple of 16):
// other tail paths of the kernels than NTU-25 at 64 frames. Five units (`--blocks 5`: two strides) keep the compile short.
describe('compile: openpose18, M = 2, K = 400, T = 48', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-configs-'));
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 5, layout: 'openpose18', T: 48, M: 2, K: 400, seed: 9 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches the interpreter within 1e-4', async () => {
    const { artifact, graph } = await loadArtifact(join(dir, 'model'));
    const built = await compileModule(artifact, graph);
    const net = await instantiateNetwork(built.wasm);
    const x = randomInput(3 * 48 * 18 * 2, 4);
    const ref = interpret(graph, x);
    const got = net.logits(x);
    expect(got).toHaveLength(400);
    let worst = 0;
    for (let k = 0; k < 400; k++) worst = Math.max(worst, Math.abs(got[k] - ref[k]));
    expect(worst).toBeLessThan(1e-4);
    // a second inference on the same instance gives the same answer (no state leaks between runs)
    expect(Array.from(net.logits(x))).toEqual(Array.from(got));
  }, 300_000);
});

// COCO-17 (V = 17: five vectors of joints, an odd one left for the aggregation's 4 × 1 block) at 38
// frames, through two units (`--blocks 2`: one stride, which 38 frames allow): 38 and 19 frames leave 2 and 3 frames after the aggregation's 4-frame blocks, and
// T·V = 646 and 323 end mid-vector in the convs.
describe('compile: coco17, M = 1, T = 38', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-configs-'));
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 2, layout: 'coco17', T: 38, M: 1, K: 7, seed: 11 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches the interpreter within 1e-4', async () => {
    const { artifact, graph } = await loadArtifact(join(dir, 'model'));
    const net = await instantiateNetwork((await compileModule(artifact, graph)).wasm);
    for (const seed of [5, 6]) {
      const x = randomInput(3 * 38 * 17, seed);
      const ref = interpret(graph, x);
      const got = net.logits(x);
      let worst = 0;
      for (let k = 0; k < 7; k++) worst = Math.max(worst, Math.abs(got[k] - ref[k]));
      expect(worst).toBeLessThan(1e-4);
    }
  }, 300_000);
});
