/**
 * The runtime API checks its arguments (issue 26): a recording whose shape does not hold together,
 * an unknown layout, a topK that is not a count, non-finite network input, a module that imports
 * what no recognizer needs, an unreachable URL, and a server that answers the optional .json with
 * a web page. Each is a UserError naming the argument, never a TypeError, a hang or a wrong answer.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { Recognizer, SIDECAR_SECTION } from 'cocodiff-runtime';
import { withCustomSection } from '../helpers/wasm-sections.ts';
import { buildFixtureWasm } from './fixture-wasm.ts';
import { recording } from './synthetic-frames.ts';
import { refusal } from '../helpers/refusal.ts';

let dir: string;
let wasmPath: string;
let sidecarPath: string;
let r: Recognizer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-api-'));
  ({ wasmPath, sidecarPath } = await buildFixtureWasm(dir, { layout: 'ntu25', classes: 4, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 }));
  r = await Recognizer.load(wasmPath);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('classify', () => {
  const seq = (): Sequence => ({ ...recording({ layout: 'ntu25', frames: 30, persons: 2, seed: 1 }), name: 'rec' });

  it.each([
    ['more frames than the data holds', { frames: 31 }, /^rec: field "data" holds 4500 values, but frames × persons × joints × coords = 31 × 2 × 25 × 3 = 4650/],
    ['fewer frames than the data holds', { frames: 29 }, /field "data" holds 4500 values/],
    ['a billion frames', { frames: 1e9 }, /field "data" holds 4500 values/],
    ['no frames', { frames: 0 }, /^rec: field "frames": expected a positive integer, found 0/],
    ['a negative person count', { persons: -2 }, /field "persons": expected a positive integer, found -2/],
    ['a fractional joint count', { joints: 2.5 }, /field "joints": expected a positive integer, found 2\.5/],
    ['an unknown layout', { layout: 'kinect99' }, /^rec: field "layout": expected one of .*ntu25.*, found "kinect99"/],
    ['data that is not a Float32Array', { data: [1, 2, 3] }, /field "data": expected a Float32Array, found a list of 3/],
  ])('refuses %s', async (_, change, message) => {
    expect(await refusal(() => r.classify({ ...seq(), ...change } as Sequence))).toMatch(message);
  });

  it('a recording longer than the capacity with nobody in it is "no valid frame", not an internal status', async () => {
    const empty: Sequence = { layout: 'ntu25', frames: 100, persons: 2, joints: 25, coords: 3, data: new Float32Array(100 * 150), name: 'nobody' };
    expect(await refusal(() => r.classify(empty))).toMatch(/^nobody: no valid frame/);
  });

  it('topK must be a count, in classify, configure and load', async () => {
    expect(await refusal(() => r.classify(seq(), 0))).toMatch(/^topK must be a positive integer, found 0/);
    expect(await refusal(() => r.configure({ topK: Number.NaN }))).toMatch(/topK must be a positive integer, found NaN/);
    expect(await refusal(() => Recognizer.load(wasmPath, { topK: 1.5 }))).toMatch(/found 1\.5/);
    // A refused configure leaves the recognizer working.
    expect(r.classify(seq(), 99).top).toHaveLength(4);
  });
});

describe('inferInput', () => {
  it('refuses non-finite network input instead of computing a score from it', async () => {
    const { coords: C, modelFrames: T, joints: V, persons: M } = r.info;
    const input = new Float32Array(C * T * V * M).fill(0.1);
    expect(Array.from(r.inferInput(input)).every(Number.isFinite)).toBe(true);
    input[7] = Number.NaN;
    expect(await refusal(() => r.inferInput(input))).toMatch(/^input value 7: NaN is not a coordinate/);
    expect(await refusal(() => r.inferInput(new Float32Array(C * T * V * M).fill(Number.NaN)))).toMatch(/input value 0: NaN/);
    input[7] = 3e38; // finite, but centring and the convolutions overflow it
    expect(await refusal(() => r.inferInput(input))).toMatch(/^input value 7: 3\.0\d*e\+38 is not a coordinate/);
    expect(await refusal(() => r.inferInput(Array.from(input) as unknown as Float32Array))).toMatch(/input: expected a Float32Array/);
  });
});

describe('load', () => {
  it('refuses a module that imports anything but env.abort', async () => {
    // (module (import "env" "foo" (func)))
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 11, 1, 3, 0x65, 0x6e, 0x76, 3, 0x66, 0x6f, 0x6f, 0, 0]);
    expect(await refusal(() => Recognizer.load(bytes))).toMatch(/^the \.wasm: imports env\.foo \(function\), which no cocodiff recognizer needs/);
  });

  it('a sidecar object is checked as a file is: class names a list of distinct, non-empty names', async () => {
    const sidecar = JSON.parse(await readFile(sidecarPath, 'utf8'));
    const bytes = await readFile(wasmPath);
    expect(await refusal(() => Recognizer.load(bytes, { sidecar: { ...sidecar, classes: 'abcd' } }))).toMatch(/^the given sidecar: field "classes": expected a list of at least 1 class names/);
    expect(await refusal(() => Recognizer.load(bytes, { sidecar: { ...sidecar, classes: ['sit', 'wave', 'sit', 'jump'] } }))).toMatch(/field "classes": classes 0 and 2 are both named "sit"/);
    expect(await refusal(() => Recognizer.load(bytes, { sidecar: { ...sidecar, classes: ['sit', ' ', 'wave', 'jump'] } }))).toMatch(/field "classes": class 1: expected a non-empty name, found " "/);
    expect((await Recognizer.load(bytes, { sidecar: { ...sidecar, classes: ['sit', 'wave', 'clap', 'jump'] } })).labels).toEqual(['sit', 'wave', 'clap', 'jump']);
  });

  it('an unreachable URL is a message, not a raw fetch error', async () => {
    expect(await refusal(() => Recognizer.load('http://127.0.0.1:9/recognizer.wasm'))).toMatch(/^http:\/\/127\.0\.0\.1:9\/recognizer\.wasm: cannot fetch the recognizer/);
  });

  describe('over http', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      const sidecar = await readFile(sidecarPath);
      const embedded = withCustomSection(await readFile(wasmPath), SIDECAR_SECTION, new Uint8Array(sidecar));
      server = createServer((req, res) => {
        if (req.url === '/model.wasm') res.writeHead(200, { 'content-type': 'application/wasm' }).end(embedded);
        else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>my app</title>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('an index page in place of the optional .json is no sidecar: the embedded one is used', async () => {
      const loaded = await Recognizer.load(`${base}/model.wasm`);
      expect(loaded.labels).toEqual(['action 0', 'action 1', 'action 2', 'action 3']);
      // Asked for by name, the sidecar must be JSON.
      expect(await refusal(() => Recognizer.load(`${base}/model.wasm`, { sidecar: `${base}/model.json` }))).toMatch(/model\.json: not valid JSON/);
    });
  });
});
