/**
 * Broken frames never reach a prediction: the module itself (any host, not only ours) drops a frame
 * with NaN, ±inf or a finite value beyond ±MAX_COORDINATE (3e38 passes a NaN check but overflows in
 * centring), counts it as rejected, and leaves it out of whole-sequence classification.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_COORDINATE, STATUS } from 'cocodiff-runtime/shared/abi';
import { buildFixtureWasm } from './fixture-wasm.ts';

interface Abi {
  memory: WebAssembly.Memory;
  frame_ptr(): number; sequence_ptr(): number; probs_ptr(): number;
  push_frame(): number; infer(): number; classify_sequence(n: number): number;
  frames_pushed(): number; frames_rejected(): number;
}

let dir: string;
let abi: Abi;
const M = 1, V = 17, C = 3, K = 4;
const FRAME = M * V * C;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-badframes-'));
  const { wasmPath } = await buildFixtureWasm(dir, { layout: 'coco17', classes: K, T: 8, M, windowFrames: 12, sequenceCapacity: 20, modality: 'joint', centre: true, testCropRatio: 1 });
  const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { env: { abort: () => { throw new Error('abort'); } } });
  abi = instance.exports as unknown as Abi;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const f32 = (ptr: number, n: number) => new Float32Array(abi.memory.buffer, ptr, n);
const goodFrame = (t: number) => Float32Array.from({ length: FRAME }, (_, i) => 0.5 + 0.1 * Math.sin(i + t));

describe('frames beyond a sane range', () => {
  it.each([
    ['3e38', 3e38], ['-3e38', -3e38], ['1.5 × MAX_COORDINATE', 1.5 * MAX_COORDINATE], ['NaN', NaN], ['Infinity', Infinity],
  ])('push_frame drops a frame holding %s, and the predictions stay finite', (_, value) => {
    const rejectedBefore = abi.frames_rejected();
    for (let t = 0; t < 6; t++) {
      f32(abi.frame_ptr(), FRAME).set(goodFrame(t));
      expect(abi.push_frame()).toBe(STATUS.ok);
    }
    const bad = goodFrame(6);
    bad[7] = value;
    f32(abi.frame_ptr(), FRAME).set(bad);
    expect(abi.push_frame()).toBe(STATUS.nonFinite);
    expect(abi.frames_rejected()).toBe(rejectedBefore + 1);
    expect(abi.infer()).toBe(STATUS.ok);
    expect(Array.from(f32(abi.probs_ptr(), K)).every(Number.isFinite)).toBe(true);
  });

  it('a value at the bound is still a coordinate', () => {
    const edge = goodFrame(0);
    edge[0] = MAX_COORDINATE;
    f32(abi.frame_ptr(), FRAME).set(edge);
    expect(abi.push_frame()).toBe(STATUS.ok);
  });

  it('classify_sequence leaves a 3e38 frame out, as it does a NaN frame', () => {
    const seq = f32(abi.sequence_ptr(), 10 * FRAME);
    for (let t = 0; t < 10; t++) seq.set(goodFrame(t), t * FRAME);
    expect(abi.classify_sequence(10)).toBe(STATUS.ok);
    const clean = Array.from(f32(abi.probs_ptr(), K));
    // The same recording with frame 4 replaced by garbage, then with frame 4 removed.
    seq[4 * FRAME + 5] = 3e38;
    expect(abi.classify_sequence(10)).toBe(STATUS.ok);
    const withBad = Array.from(f32(abi.probs_ptr(), K));
    expect(withBad.every(Number.isFinite)).toBe(true);
    for (let t = 4; t < 9; t++) seq.set(goodFrame(t + 1), t * FRAME);
    expect(abi.classify_sequence(9)).toBe(STATUS.ok);
    expect(withBad).toEqual(Array.from(f32(abi.probs_ptr(), K)));
    expect(withBad).not.toEqual(clean);
  });
});
