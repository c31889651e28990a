/**
 * Kinect v2 (NTU, ntu25) and MSR Action3D (msr20) bodies into a recognizer trained on Kinect v1
 * (kinect20, NW-UCLA): pushed with their layout named, they give what the same bodies re-ordered by
 * joint name give; a Kinect v1 body into an NTU model is refused, naming the joints v1 lacks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINECT20, MSR20, NTU25, type JointLayout } from 'cocodiff-runtime/shared/layouts';
import { Recognizer } from 'cocodiff-runtime';
import { Rng } from '../../common/rng.ts';
import { buildFixtureWasm, type FixtureConfig } from './fixture-wasm.ts';

const V1: FixtureConfig = { layout: 'kinect20', classes: 3, T: 8, M: 1, windowFrames: 10, sequenceCapacity: 32, modality: 'joint', centre: true, testCropRatio: 1 };
let dir: string;
let v1Path: string;
let ntuPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-kinect-v1-'));
  ({ wasmPath: v1Path } = await buildFixtureWasm(join(dir, 'v1'), V1));
  ({ wasmPath: ntuPath } = await buildFixtureWasm(join(dir, 'ntu'), { ...V1, layout: 'ntu25' }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Seeded bodies in `layout`: one person, a value per joint name so that a re-ordering shows. */
function bodies(layout: JointLayout, frames: number, seed: number): number[][][][] {
  const rng = new Rng(seed);
  const byName = Array.from({ length: frames }, () => new Map(NTU25.joints.map((n) => [n, [rng.normal(), rng.normal(), 2.5 + rng.normal() * 0.1]])));
  return byName.map((joints) => [layout.joints.map((n) => joints.get(n)!)]);
}

describe('Kinect v1 recognizer (kinect20)', () => {
  it.each([NTU25, MSR20])('takes $name bodies, as the same joints re-ordered to kinect20', async (from) => {
    const mapped = await Recognizer.load(v1Path, { stride: 2, alpha: 1 });
    const own = await Recognizer.load(v1Path, { stride: 2, alpha: 1 });
    const source = bodies(from, 14, 7);
    const reordered = bodies(KINECT20, 14, 7);
    let predictions = 0;
    for (let f = 0; f < source.length; f++) {
      const p = mapped.push(source[f], from.name);
      const q = own.push(reordered[f]);
      expect(p === null).toBe(q === null);
      if (!p || !q) continue;
      predictions++;
      expect(Array.from(mapped.lastInput())).toEqual(Array.from(own.lastInput()));
      expect(Array.from(p.probs)).toEqual(Array.from(q.probs));
    }
    expect(predictions).toBeGreaterThan(0);
  });

  it('a Kinect v1 body into an NTU model is refused by the joints v1 lacks', async () => {
    const ntu = await Recognizer.load(ntuPath);
    expect(() => ntu.push(bodies(KINECT20, 1, 1)[0], 'kinect20')).toThrow(
      'cannot map kinect20 joints to a model trained on ntu25: kinect20 has no neck, left_hand_tip, left_thumb, right_hand_tip, right_thumb; use a model trained on kinect20');
  });
});
