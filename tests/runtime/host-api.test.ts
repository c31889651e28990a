/**
 * The host API around a recognizer .wasm: loading (bytes, path, file URL, embedded section),
 * refusals, the input adapters, and streaming (stride, smoothing, threshold, rejected frames).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COCO17, NTU25, OPENPOSE18, type JointLayout } from 'cocodiff-runtime/shared/layouts';
import { Rng } from '../../common/rng.ts';
import { preprocess } from '../../trainer/data/preprocess.ts';
import { frameFromBodies, mapBody, parseFrameLine, Recognizer, SIDECAR_SECTION } from 'cocodiff-runtime';
import { withCustomSection } from '../helpers/wasm-sections.ts';
import { buildFixtureWasm, type FixtureConfig } from './fixture-wasm.ts';
import { recording } from './synthetic-frames.ts';

const CFG: FixtureConfig = { layout: 'ntu25', classes: 4, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 };
let dir: string;
let wasmPath: string;
let sidecarPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-host-'));
  ({ wasmPath, sidecarPath } = await buildFixtureWasm(join(dir, 'ntu'), CFG));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loading', () => {
  it('reads the sidecar next to a path or a file URL, and metadata from the exports', async () => {
    for (const source of [wasmPath, pathToFileURL(wasmPath)]) {
      const r = await Recognizer.load(source);
      expect(r.labels).toEqual(['action 0', 'action 1', 'action 2', 'action 3']);
      expect(r.info).toMatchObject({ layout: 'ntu25', joints: 25, persons: 2, coords: 3, modelFrames: 16, windowFrames: 20, sequenceCapacity: 64, modality: 'joint' });
      // memory_bytes() reports all of the module's linear memory, as the engine sees it.
      expect(r.info.memoryBytes).toBe(r.stats().memoryBytes);
    }
  });

  it('every ABI buffer lies inside memory_bytes(), which streaming and classifying never change', async () => {
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { env: { abort() {} } });
    const x = instance.exports as Record<string, () => number> & { memory: WebAssembly.Memory };
    const bytes = x.memory_bytes();
    expect(bytes).toBe(x.memory.buffer.byteLength);
    const [M, V, C, T, K] = [x.num_persons(), x.num_joints(), x.num_coords(), x.model_frames(), x.num_classes()];
    const buffers: Array<[string, number, number]> = [
      ['frame', x.frame_ptr(), M * V * C],
      ['sequence', x.sequence_ptr(), x.sequence_capacity() * M * V * C],
      ['input', x.input_ptr(), C * T * V * M],
      ['logits', x.logits_ptr(), K],
      ['probs', x.probs_ptr(), K],
      ['feature', x.feature_ptr(), x.num_features()],
    ];
    for (const [name, ptr, floats] of buffers) expect(ptr + 4 * floats, name).toBeLessThanOrEqual(bytes);
    const r = await Recognizer.load(wasmPath, { stride: 3 });
    const seq = recording({ layout: 'ntu25', frames: 200, persons: 2, seed: 5 });
    for (let f = 0; f < seq.frames; f++) r.push(seq.data.subarray(f * 150, (f + 1) * 150));
    r.classify({ ...seq, frames: 64, data: seq.data.subarray(0, 64 * 150) });
    expect(r.stats().memoryBytes).toBe(r.info.memoryBytes);
  });

  it('from bytes without a sidecar it names classes by index; an embedded section wins', async () => {
    const bytes = new Uint8Array(await readFile(wasmPath));
    const bare = await Recognizer.load(bytes);
    expect(bare.labels[2]).toBe('class 2');
    expect(bare.info.layout).toBeNull();
    const sidecar = JSON.parse(await readFile(sidecarPath, 'utf8'));
    sidecar.classes = ['wave', 'clap', 'jump', 'sit'];
    const embedded = await Recognizer.load(withCustomSection(bytes, SIDECAR_SECTION, new TextEncoder().encode(JSON.stringify(sidecar))));
    expect(embedded.labels).toEqual(['wave', 'clap', 'jump', 'sit']);
  });

  it('refuses a sidecar of another model and a .wasm that is no recognizer', async () => {
    const other = join(dir, 'other.json');
    const sidecar = JSON.parse(await readFile(sidecarPath, 'utf8'));
    await writeFile(other, JSON.stringify({ ...sidecar, classes: ['a', 'b'] }));
    await expect(Recognizer.load(wasmPath, { sidecar: other })).rejects.toThrow(/lists 2 classes, the .wasm has 4/);
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    await expect(Recognizer.load(empty)).rejects.toThrow(/not a cocodiff recognizer/);
    await expect(Recognizer.load(join(dir, 'missing.wasm'))).rejects.toThrow(/missing.wasm: cannot read the recognizer/);
    // A valid module that is no recognizer is named, when it came from a file (sweep probe P65).
    const emptyPath = join(dir, 'empty-module.wasm');
    await writeFile(emptyPath, empty);
    await expect(Recognizer.load(emptyPath)).rejects.toThrow(`${emptyPath}: not a cocodiff recognizer: the .wasm has no "memory" export`);
  });

  it('refuses a source that is none of a path, a URL or bytes with a UserError, not a TypeError (sweep probe A01)', async () => {
    for (const source of [undefined, null, 42, {}]) {
      const err = await Recognizer.load(source as never).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'UserError', message: expect.stringMatching(/^source: expected the recognizer as a path, a URL, a Uint8Array or an ArrayBuffer, found (undefined|null|number|object)$/) });
    }
  });
});

describe('input adapters', () => {
  const shape = { layout: 'ntu25' as const, persons: 2, joints: 25, coords: 3 };
  const joints = Array.from({ length: 25 }, (_, v) => [v, v + 0.5, -v]);

  it('accepts joints as arrays, objects or one flat list, and pads missing persons', () => {
    const a = frameFromBodies([joints], shape);
    const b = frameFromBodies([joints.map(([x, y, z]) => ({ x, y, z }))], shape);
    const c = frameFromBodies([joints.flat()], shape);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
    expect(a[3 * 7 + 1]).toBe(7.5);
    expect(a.subarray(75).every((x) => x === 0)).toBe(true);
  });

  it('refuses wrong joint counts with the count expected', () => {
    expect(() => frameFromBodies([joints.slice(0, 18)], shape)).toThrow(/body 0 \(ntu25, 25 joints\): 18 joints, expected 25/);
    expect(() => frameFromBodies([[1, 2, 3]], shape)).toThrow(/3 numbers, expected 25 joints × 3 coordinates = 75/);
  });

  it('maps COCO-17 to OpenPose-18 by name, with the neck between the shoulders', () => {
    const coco = Float32Array.from({ length: 17 * 3 }, (_, i) => 1 + i);
    const op = mapBody(coco, COCO17, OPENPOSE18, 3);
    const at = (layout: JointLayout, data: Float32Array, name: string): number[] => Array.from(data.subarray(layout.joints.indexOf(name) * 3, layout.joints.indexOf(name) * 3 + 3));
    for (const name of ['nose', 'left_wrist', 'right_ankle', 'left_ear']) expect(at(OPENPOSE18, op, name)).toEqual(at(COCO17, coco, name));
    const [l, r] = [at(COCO17, coco, 'left_shoulder'), at(COCO17, coco, 'right_shoulder')];
    expect(at(OPENPOSE18, op, 'neck')).toEqual([(l[0] + r[0]) / 2, (l[1] + r[1]) / 2, Math.min(l[2], r[2])]);
    const back = mapBody(op, OPENPOSE18, COCO17, 3);
    expect(Array.from(back)).toEqual(Array.from(coco));
    expect(() => mapBody(coco, COCO17, NTU25, 3)).toThrow(/cannot map coco17 joints to a model trained on ntu25/);
  });

  it('parses NDJSON frames and names the line of a bad one', () => {
    expect(parseFrameLine('  ', 'stdin:1')).toBeNull();
    expect(parseFrameLine('{"t": 33, "layout": "coco17", "bodies": []}', 'stdin:2')).toEqual({ t: 33, layout: 'coco17', bodies: [] });
    expect(parseFrameLine('[[1,2,3]]', 'stdin:3')).toEqual({ bodies: [[1, 2, 3]] });
    expect(() => parseFrameLine('{"bodies": [', 'stdin:4')).toThrow(/^stdin:4: not valid JSON/);
    expect(() => parseFrameLine('{"layout": "ntu18", "bodies": []}', 'stdin:5')).toThrow(/stdin:5: field "layout"/);
  });
});

describe('streaming', () => {
  const seq = recording({ layout: 'ntu25', frames: 60, persons: 2, seed: 21 });
  const per = 2 * 25 * 3;
  const frame = (f: number): Float32Array => seq.data.subarray(f * per, (f + 1) * per);

  it('predicts every `stride` accepted frames; rejected frames do not count', async () => {
    const r = await Recognizer.load(wasmPath, { stride: 5 });
    const at: number[] = [];
    for (let f = 0; f < 30; f++) {
      if (f === 3) expect(r.push(Float32Array.from(frame(f), (x, i) => (i === 10 ? Number.NaN : x)))).toBeNull();
      const p = r.push(frame(f));
      if (p) at.push(p.frame);
    }
    expect(at).toEqual([5, 10, 15, 20, 25, 30]);
    expect(r.stats()).toMatchObject({ pushed: 31, rejected: 1 });
  });

  it('smooths exponentially and reports no action below the threshold', async () => {
    const raw = await Recognizer.load(wasmPath, { stride: 10, alpha: 1 });
    const smooth = await Recognizer.load(wasmPath, { stride: 10, alpha: 0.3 });
    const strict = await Recognizer.load(wasmPath, { stride: 10, threshold: 0.99 });
    const rawP: Float32Array[] = [];
    const smoothP: Float32Array[] = [];
    for (let f = 0; f < 60; f++) {
      const p = raw.push(frame(f));
      const q = smooth.push(frame(f));
      const s = strict.push(frame(f));
      if (p && q && s) {
        rawP.push(p.probs);
        smoothP.push(q.probs);
        expect(s.action).toBeNull();
        expect(p.action).toBe(p.top[0].label);
      }
    }
    expect(rawP.length).toBe(6);
    let expected = Array.from(rawP[0]);
    for (let i = 1; i < rawP.length; i++) {
      expected = expected.map((e, k) => 0.3 * rawP[i][k] + 0.7 * e);
      expect(Array.from(smoothP[i]).map((x, k) => Math.abs(x - expected[k])).every((d) => d < 1e-6)).toBe(true);
    }
    expect(rawP.some((p, i) => i > 0 && Math.abs(p[0] - smoothP[i][0]) > 1e-4)).toBe(true);
  });

  it('takes bodies in another layout only when a mapping exists', async () => {
    const r = await Recognizer.load(wasmPath);
    expect(() => r.push([Array.from({ length: 17 }, () => [1, 2, 0.9])], 'coco17')).toThrow(/cannot map coco17 joints to a model trained on ntu25/);
    expect(() => r.push(new Float32Array(100))).toThrow(/frame of 100 values: expected persons × 25 joints × 3 coordinates/);
    // A whole recording in a layout that cannot be mapped is refused naming it (sweep probe P33).
    const coco = { name: 'clip.npy', layout: 'coco17' as const, frames: 2, persons: 1, joints: 17, coords: 3, data: new Float32Array(2 * 17 * 3).fill(0.5) };
    expect(() => r.classify(coco)).toThrow(/^clip\.npy: cannot map coco17 joints to a model trained on ntu25: /);
  });
});

describe('COCO-17 bodies into an OpenPose-18 model, end to end', () => {
  const OP: FixtureConfig = { layout: 'openpose18', classes: 5, T: 12, M: 2, windowFrames: 16, sequenceCapacity: 64, modality: 'bone', centre: true, testCropRatio: 0.95 };
  let opPath: string;
  beforeAll(async () => {
    ({ wasmPath: opPath } = await buildFixtureWasm(join(dir, 'openpose18'), OP));
  });

  /** COCO-17 bodies [x, y, score] per joint: person 0 throughout, person 1 from frame 8, a shoulder lost at frame 5. */
  function cocoFrames(): number[][][][] {
    const rng = new Rng(31);
    return Array.from({ length: 30 }, (_, f) => {
      const bodies: number[][][] = [];
      for (let m = 0; m < (f >= 8 ? 2 : 1); m++) {
        bodies.push(COCO17.joints.map((name, v) => {
          if (f === 5 && m === 0 && name === 'right_shoulder') return [0, 0, 0]; // not detected
          return [0.3 + 0.4 * m + 0.01 * v + 0.005 * f + 0.01 * rng.normal(), 0.2 + 0.03 * v + 0.01 * rng.normal(), 0.5 + 0.4 * rng.next()];
        }));
      }
      return bodies;
    });
  }

  /** The same frame as OpenPose-18 by docs/runtime.md's rule, written out joint by joint by name. */
  function asOpenPose(bodies: number[][][]): Float32Array {
    const frame = new Float32Array(OP.M * 18 * 3);
    bodies.forEach((body, m) => {
      // Joints become float32 when read, before the neck is averaged.
      const joint = (name: string) => body[COCO17.joints.indexOf(name)].map(Math.fround);
      OPENPOSE18.joints.forEach((name, v) => {
        let xyz: number[];
        if (name !== 'neck') xyz = joint(name);
        else {
          const [l, r] = [joint('left_shoulder'), joint('right_shoulder')];
          const seen = (j: number[]) => j.some((x) => x !== 0);
          xyz = seen(l) && seen(r) ? [(l[0] + r[0]) / 2, (l[1] + r[1]) / 2, Math.min(l[2], r[2])] : [0, 0, 0];
        }
        frame.set(xyz, (m * 18 + v) * 3);
      });
    });
    return frame;
  }

  it('push(bodies, \'coco17\') predicts what the same frames mapped by name to OpenPose-18 predict', async () => {
    const frames = cocoFrames();
    const coco = await Recognizer.load(opPath, { stride: 3, alpha: 1 });
    const op = await Recognizer.load(opPath, { stride: 3, alpha: 1 });
    let predictions = 0;
    for (const [f, bodies] of frames.entries()) {
      const p = coco.push(bodies, 'coco17');
      const q = op.push(asOpenPose(bodies));
      expect(p === null, `frame ${f}`).toBe(q === null);
      if (!p || !q) continue;
      predictions++;
      expect(Array.from(coco.lastInput()), `frame ${f}`).toEqual(Array.from(op.lastInput()));
      expect(Array.from(p.probs), `frame ${f}`).toEqual(Array.from(q.probs));
    }
    expect(predictions).toBe(10);
    // And the mapped window is what the trainer's preprocessing makes of the OpenPose-18 recording.
    const last = frames.slice(-OP.windowFrames).map(asOpenPose);
    const data = new Float32Array(last.length * OP.M * 18 * 3);
    last.forEach((fr, i) => data.set(fr, i * fr.length));
    const want = preprocess({ layout: 'openpose18', frames: last.length, persons: OP.M, joints: 18, coords: 3, data, name: 'mapped' },
      { frames: OP.T, persons: OP.M, modality: OP.modality, layout: OPENPOSE18, train: false, cropRatio: OP.testCropRatio, centre: true });
    const got = coco.lastInput();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(1e-5);
  });
});
