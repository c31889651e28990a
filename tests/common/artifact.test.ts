import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readArtifact, writeArtifact, type ArtifactMeta, type Tensor } from '../../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';

const root = await mkdtemp(join(tmpdir(), 'cocodiff-artifact-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const meta: ArtifactMeta = {
  backbone: { type: 'ctrgcn', inChannels: 3, channels: [8], strides: [1], reduction: 8, temporalKernel: 5, dilations: [1, 2] },
  layout: 'ntu25',
  input: { C: 3, T: 16, V: 25, M: 2 },
  modality: 'joint',
  preprocessing: { windowFrames: 16, testCropRatio: 0.95, centre: true },
  classes: ['a', 'b'],
  provenance: { test: true },
  metrics: {},
};

function weights(): Map<string, Tensor> {
  return new Map([
    ['fc.weight', { shape: [2, 8], data: Float32Array.from({ length: 16 }, (_, i) => i / 7 - 1) }],
    ['fc.bias', { shape: [2], data: Float32Array.of(0.5, -0.25) }],
  ]);
}

async function freshArtifact(name: string): Promise<string> {
  const dir = join(root, name);
  await writeArtifact(dir, meta, weights());
  return dir;
}

async function refusal(dir: string): Promise<string> {
  const err = await readArtifact(dir).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return (err as Error).message;
}

describe('model artifact', () => {
  it('round-trips every weight bit for bit, with the metadata', async () => {
    const dir = await freshArtifact('ok');
    const a = await readArtifact(dir);
    expect(a.model.classes).toEqual(['a', 'b']);
    expect([...a.weights.keys()]).toEqual(['fc.weight', 'fc.bias']);
    for (const [name, t] of weights()) {
      expect(a.weights.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(a.weights.get(name)!.data)).toEqual(Array.from(t.data));
    }
  });

  it('names the damaged weight when weights.bin is corrupted', async () => {
    const dir = await freshArtifact('corrupt');
    const bin = await readFile(join(dir, 'weights.bin'));
    bin[16 * 4 + 1] ^= 0xff; // inside fc.bias
    await writeFile(join(dir, 'weights.bin'), bin);
    expect(await refusal(dir)).toMatch(/weight "fc\.bias" does not match its sha256/);
  });

  it('refuses a truncated weights.bin, saying how many bytes were expected', async () => {
    const dir = await freshArtifact('short');
    const bin = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), bin.subarray(0, bin.length - 4));
    expect(await refusal(dir)).toMatch(/68 bytes, but the manifest .* describes 72/);
  });

  it.each([
    ['version', (m: any) => (m.version = 99), /field "version": this cocodiff reads artifact version 1/],
    ['layout', (m: any) => (m.layout = 'kinect'), /field "layout"/],
    ['a mis-sized weight', (m: any) => (m.weights[1].bytes = 12), /field "weights\[1\]\.bytes": weight "fc\.bias"/],
    ['a duplicate weight', (m: any) => (m.weights[1].name = 'fc.weight'), /duplicate weight "fc\.weight"/],
    ['joints vs layout', (m: any) => (m.input.V = 18), /field "input\.V": layout ntu25 has 25 joints/],
    ['streaming window', (m: any) => (m.preprocessing.windowFrames = 0), /field "preprocessing\.windowFrames": expected an integer in 1\.\.10000, found 0/],
    ['layout "__proto__"', (m: any) => (m.layout = '__proto__'), /field "layout": expected one of ntu25, openpose18, coco17, kinect20, msr20, florence15, found "__proto__"/],
    ['layout "toString"', (m: any) => (m.layout = 'toString'), /field "layout": .*found "toString"/],
    ['input null', (m: any) => (m.input = null), /field "input": expected \{ C, T, V, M \}/],
    ['preprocessing null', (m: any) => (m.preprocessing = null), /field "preprocessing": expected \{ windowFrames/],
    ['backbone null', (m: any) => (m.backbone = null), /field "backbone\.type": expected "ctrgcn"/],
    ['weight entry null', (m: any) => (m.weights[0] = null), /field "weights\[0\]": expected \{ name, shape, dtype, offset, sha256 \}/],
    ['weight name not a string', (m: any) => (m.weights[0].name = 7), /field "weights\[0\]\.name": expected a string/],
    ['int32 weight', (m: any) => (m.weights[0].dtype = 'int32'), /field "weights\[0\]\.dtype": weight "fc\.weight": expected "float32", found "int32"/],
    ['T = 1e8', (m: any) => (m.input.T = 1e8), /field "input\.T": expected an integer in 1\.\.1024, found 100000000/],
    ['window of 1e9 frames', (m: any) => (m.preprocessing.windowFrames = 1e9), /field "preprocessing\.windowFrames": expected an integer in 1\.\.10000/],
    ['1e6 channels', (m: any) => (m.backbone.channels = [1e6]), /field "backbone\.channels"/],
    ['preprocessing protocol', (m: any) => (m.preprocessing.protocol = 'kinetics'), /field "preprocessing\.protocol": expected one of ntu, ucla, found "kinetics"/],
  ])('refuses a model.json with a bad %s, naming the field', async (_what, mutate, expected) => {
    const dir = await freshArtifact(`bad-${String(_what).replace(/\W/g, '')}`);
    const model = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    mutate(model);
    await writeFile(join(dir, 'model.json'), JSON.stringify(model));
    expect(await refusal(dir)).toMatch(expected);
  });

  it('refuses a folder without an artifact and a model.json that is not JSON', async () => {
    expect(await refusal(join(root, 'nothing-here'))).toMatch(/model\.json/);
    const dir = await freshArtifact('notjson');
    await writeFile(join(dir, 'model.json'), '{"format": ');
    expect(await refusal(dir)).toMatch(/not valid JSON/);
  });

  it('replaces an existing artifact whole', async () => {
    const dir = await freshArtifact('replace');
    await expect(writeArtifact(dir, { ...meta, classes: ['x', 'y'] }, weights())).rejects.toThrow(/already holds a model artifact written earlier; replace it with --force/);
    await writeArtifact(dir, { ...meta, classes: ['x', 'y'] }, weights(), { force: true });
    expect((await readArtifact(dir)).model.classes).toEqual(['x', 'y']);
  });
});
