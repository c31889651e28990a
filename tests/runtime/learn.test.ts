/**
 * Gestures taught on the device: `learn` adds a class over the module's pooled feature (the ABI's
 * feature_ptr), classify / push / predict / top-K include it, `forget` removes it, the learned file
 * round-trips into a freshly loaded recognizer, and bad names, recordings and files are refused in
 * one line naming what is wrong. The fixture module's feature is the per-channel mean of the input.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEARNED_FORMAT, Recognizer, type LearnedFile, type Sequence } from 'cocodiff-runtime';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { buildFixtureWasm, type FixtureConfig } from './fixture-wasm.ts';
import { recording } from './synthetic-frames.ts';

const CFG: FixtureConfig = { layout: 'ntu25', classes: 4, T: 16, M: 2, windowFrames: 20, sequenceCapacity: 64, modality: 'joint', centre: false, testCropRatio: 1 };
let dir: string;
let wasmPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-learn-'));
  ({ wasmPath } = await buildFixtureWasm(join(dir, 'ntu'), CFG));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A "gesture" the module was never built for: every joint of every person held high (y + `lift`), one person. */
function gesture(seed: number, lift = 4): Sequence {
  const seq = recording({ layout: 'ntu25', frames: 40, persons: 1, seed, enter: [0, 0] });
  const data = seq.data.map((v, i) => (v !== 0 && i % 3 === 1 ? v + lift : v));
  return { ...seq, data, name: `lift-${seed}` };
}
const ordinary = (seed: number): Sequence => recording({ layout: 'ntu25', frames: 40, persons: 1, seed, enter: [0, 0] });
const pushAll = (r: Recognizer, seq: Sequence): void => {
  for (let f = 0; f < seq.frames; f++) r.push(seq.data.subarray(f * 75, (f + 1) * 75));
};

describe('the pooled feature', () => {
  it("is the feature the module's logits come from (the fixture: the input's per-channel mean)", async () => {
    const r = await Recognizer.load(wasmPath);
    expect(r.info.features).toBe(3);
    r.classify(ordinary(3));
    const input = r.lastInput();
    const per = input.length / 3;
    const means = [0, 1, 2].map((c) => input.subarray(c * per, (c + 1) * per).reduce((a, b) => a + b, 0) / per);
    const feature = r.lastFeature();
    means.forEach((m, c) => expect(feature[c]).toBeCloseTo(m, 5));
    // A different recording gives a different feature: the buffer is rewritten by every inference.
    r.classify(gesture(3));
    expect(r.lastFeature()[1]).toBeGreaterThan(feature[1] + 1);
  });

  it('a module of ABI 1 (before the feature was exported) is refused with "recompile", not a missing export', async () => {
    // The smallest such module: one export, abi_version() returning 1.
    const name = [...new TextEncoder().encode('abi_version')];
    const abi1 = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
      0x03, 0x02, 0x01, 0x00, // one function of that type
      0x07, 0x0f, 0x01, name.length, ...name, 0x00, 0x00, // export it as abi_version
      0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x01, 0x0b, // body: i32.const 1
    ]);
    await expect(Recognizer.load(abi1)).rejects.toThrow(/: recognizer ABI version 1, this host speaks 2; recompile it with this cocodiff$/);
  });
});

describe('learn and forget', () => {
  it('adds a class that classify, top-K and streaming report, and forget restores the module exactly', async () => {
    const r = await Recognizer.load(wasmPath, { stride: 8, alpha: 1 });
    const probe = gesture(50);
    const plain = ordinary(51);
    const before = r.classify(probe).probs;
    const plainBefore = r.classify(plain).probs;
    expect(before).toHaveLength(4);

    const taught = r.learn('lift', [1, 2, 3, 4, 5].map((s) => gesture(s)));
    expect(taught).toMatchObject({ name: 'lift', index: 4, recordings: 5 });
    expect(r.labels).toEqual(['action 0', 'action 1', 'action 2', 'action 3', 'lift']);
    expect(r.info.labels).toHaveLength(4);

    const seen = r.classify(probe, 2);
    expect(seen.top[0]).toMatchObject({ index: 4, label: 'lift' });
    expect(seen.top).toHaveLength(2);
    expect(seen.probs).toHaveLength(5);
    expect(seen.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // An ordinary recording keeps the module's answer.
    const other = r.classify(plain);
    expect(other.top[0].label).not.toBe('lift');
    expect(other.top[0].index).toBe(Array.from(plainBefore).indexOf(Math.max(...plainBefore)));

    // Streaming: the predictions carry the new class too.
    r.reset();
    pushAll(r, probe);
    const p = r.predict();
    expect(p.probs).toHaveLength(5);
    expect(p.action).toBe('lift');

    r.forget('lift');
    expect(r.labels).toHaveLength(4);
    expect(r.classify(probe).probs).toEqual(before);
  });

  it('keeps several taught classes apart, and one recording is enough to teach', async () => {
    const r = await Recognizer.load(wasmPath);
    r.learn('lift', [gesture(1)]);
    r.learn('crouch', [gesture(2, -4)]);
    expect(r.classify(gesture(60)).top[0].label).toBe('lift');
    expect(r.classify(gesture(61, -4)).top[0].label).toBe('crouch');
    r.forget('lift');
    expect(r.labels.slice(4)).toEqual(['crouch']);
    expect(r.classify(gesture(61, -4)).top[0]).toMatchObject({ label: 'crouch', index: 4 });
  });

  it('fits a logistic head on request and records the method in the learned file', async () => {
    const r = await Recognizer.load(wasmPath);
    r.learn('lift', [1, 2, 3].map((s) => gesture(s)), { method: 'logistic' });
    expect(r.classify(gesture(70)).top[0].label).toBe('lift');
    expect(r.learnedFile().method).toBe('logistic');
  });
});

describe('the learned file', () => {
  it('round-trips through JSON into a freshly loaded recognizer with the same scores', async () => {
    const teacher = await Recognizer.load(wasmPath);
    teacher.learn('lift', [1, 2, 3, 4, 5].map((s) => gesture(s)));
    teacher.learn('crouch', [6, 7, 8].map((s) => gesture(s, -4)));
    const text = JSON.stringify(teacher.learnedFile());
    const file = JSON.parse(text) as LearnedFile;
    expect(file).toMatchObject({ format: LEARNED_FORMAT, version: 1, method: 'ncm', recognizer: { classes: teacher.info.labels, features: 3 } });
    expect(file.recognizer.wasmSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(file.classes.map((c) => [c.name, c.examples.length])).toEqual([['lift', 5], ['crouch', 3]]);

    const again = await Recognizer.load(wasmPath);
    again.useLearned(text, 'learned.json');
    expect(again.labels).toEqual(teacher.labels);
    for (const probe of [gesture(80), gesture(81, -4), ordinary(82)]) expect(again.classify(probe).probs).toEqual(teacher.classify(probe).probs);
    // The parsed object works as well as the text, and an empty file forgets everything.
    again.useLearned({ ...file, classes: [] });
    expect(again.labels).toHaveLength(4);
  });

  it('refuses damaged files and files of another recognizer in one line naming the field, and changes nothing', async () => {
    const teacher = await Recognizer.load(wasmPath);
    teacher.learn('lift', [1, 2].map((s) => gesture(s)));
    const good = teacher.learnedFile();
    const r = await Recognizer.load(wasmPath);
    r.learn('crouch', [gesture(9, -4)]);
    const edit = (change: (f: LearnedFile & Record<string, unknown>) => void): LearnedFile => {
      const copy = structuredClone(good) as LearnedFile & Record<string, unknown>;
      change(copy);
      return copy;
    };
    const cases: Array<[LearnedFile | string, RegExp]> = [
      ['{"format": "cocodiff-learned", "version": 1, "classes": [', /^learned\.json: not valid JSON/],
      [edit((f) => { f.format = 'cocodiff-recognizer' as never; }), /^learned\.json: field "format": expected "cocodiff-learned"/],
      [edit((f) => { f.version = 2 as never; }), /field "version": this cocodiff reads learned-classes file version 1, found 2/],
      [edit((f) => { f.method = 'svm' as never; }), /field "method": expected one of ncm, logistic/],
      [edit((f) => { f.recognizer.classes = ['a', 'b', 'c', 'd']; }), /field "recognizer\.classes": taught over a recognizer with other classes/],
      [edit((f) => { f.recognizer.features = 256; }), /field "recognizer\.features": taught over a backbone with 256 features; this recognizer's has 3/],
      [edit((f) => { f.recognizer.wasmSha256 = 'ab'.repeat(32); }), /field "recognizer\.wasmSha256": taught over another build/],
      [edit((f) => { f.classes[0].examples[1].feature.pop(); }), /field "classes\[0\]\.examples\[1\]\.feature": expected a list of 3 numbers, found 2/],
      [edit((f) => { (f.classes[0].examples[0].logits as unknown[])[2] = 'NaN'; }), /field "classes\[0\]\.examples\[0\]\.logits": value 2: expected a finite float32, found "NaN"/],
      [edit((f) => { f.classes[0].examples = []; }), /field "classes\[0\]\.examples": expected a list of at least one recording/],
      [edit((f) => { f.classes[0].name = 'action 2'; }), /field "classes": classes 2 and 4 are both named "action 2"/],
      [edit((f) => { f.classes.push(structuredClone(f.classes[0])); }), /both named "lift"/],
    ];
    for (const [file, message] of cases) {
      let err: unknown;
      try {
        r.useLearned(file, 'learned.json');
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(UserError);
      expect((err as Error).message, String(message)).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
      expect(r.labels.slice(4)).toEqual(['crouch']);
    }
  });
});

describe('bad arguments', () => {
  it('refuses bad names, too few recordings and recordings the recognizer cannot take, naming the argument', async () => {
    const r = await Recognizer.load(wasmPath);
    r.learn('lift', [gesture(1)]);
    const twentyJoints: Sequence = { layout: 'ntu25', frames: 4, persons: 1, joints: 20, coords: 3, data: new Float32Array(4 * 20 * 3).fill(1), name: 'short.npy' };
    const nobody: Sequence = { ...ordinary(5), data: new Float32Array(40 * 75), name: 'empty-room' };
    const cases: Array<[() => unknown, RegExp]> = [
      [() => r.learn('', [gesture(2)]), /^learn: name: expected a non-empty string, found ""/],
      [() => r.learn('   ', [gesture(2)]), /^learn: name: expected a non-empty string/],
      [() => r.learn(7 as never, [gesture(2)]), /^learn: name: expected a non-empty string, found 7/],
      [() => r.learn('action 1', [gesture(2)]), /^learn\("action 1"\): name: "action 1" is one of the recognizer's own classes/],
      [() => r.learn('lift', [gesture(2)]), /^learn\("lift"\): name: "lift" is a class taught already \(forget it first/],
      [() => r.learn('wave', []), /^learn\("wave"\): recordings: expected at least 1 recording of the gesture \(5 teach it better\), found none/],
      [() => r.learn('wave', gesture(2) as never), /^learn\("wave"\): recordings: expected a list of recordings/],
      [() => r.learn('wave', [gesture(2), twentyJoints]), /^learn\("wave"\): recording 1: short\.npy: 20 joints, the recognizer expects 25 \(ntu25\)/],
      [() => r.learn('wave', [nobody]), /^learn\("wave"\): recording 0: empty-room: no valid frame/],
      [() => r.learn('wave', [gesture(2)], { method: 'svm' as never }), /^learn\("wave"\): method: expected one of ncm, logistic, found "svm"/],
      [() => r.forget('wave'), /^forget: "wave" is not a taught class; taught: "lift"/],
      [() => r.forget('action 0'), /^forget: "action 0" is not a taught class \(it is one of the recognizer's own classes, which cannot be forgotten\)/],
    ];
    for (const [call, message] of cases) {
      expect(call, String(message)).toThrow(UserError);
      expect(call, String(message)).toThrow(message);
    }
    // None of the refusals taught or forgot anything.
    expect(r.labels.slice(4)).toEqual(['lift']);
  });
});
