/**
 * Every layout of the registry through the whole toolchain, so that a layout added to
 * runtime-as/shared/layouts.ts is tested with no other change: a tiny CTR-GCN for it (its graph from the
 * layout's bones), its weights imported as an official state_dict (the layout inferred from PA),
 * a recording inspected and loaded (the layout inferred from V), bodies through the adapters, the
 * model compiled to .wasm and the runtime's classification compared with the tfjs model's.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeArtifact, type ArtifactMeta, type Tensor } from '../../common/artifact.ts';
import { LAYOUTS, type JointLayout } from 'cocodiff-runtime/shared/layouts';
import { Rng } from '../../common/rng.ts';
import { compileArtifact } from '../../compiler/index.ts';
import { frameFromBodies, mapBody } from '../../runtime-as/host/adapters.ts';
import { loadRecording } from '../../runtime-as/host/recording-file.ts';
import { Recognizer } from 'cocodiff-runtime';
import { inspectPath } from '../../trainer/data/inspect.ts';
import { preprocess, testPreprocessOptions } from '../../trainer/data/preprocess.ts';
import { CtrGcnModel, ctrgcnConfig } from '../../trainer/model/ctrgcn.ts';
import { importCtrGcn } from '../../trainer/model/import-ctrgcn.ts';
import { npyBytes } from '../helpers/npy-zip.ts';
import { recording } from '../runtime/synthetic-frames.ts';

const ALL: JointLayout[] = Object.values(LAYOUTS);
const [T, M, K] = [8, 2, 3];
const CLASSES = Array.from({ length: K }, (_, k) => `action ${k}`);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cocodiff-layouts-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Seeded noise on every tensor, so that no layer is the identity and the outputs depend on the input. */
function jitter(weights: Map<string, Tensor>, seed: number): Map<string, Tensor> {
  const rng = new Rng(seed);
  return new Map([...weights].map(([name, t]) => {
    const data = t.data.map((x) => x + 0.3 * rng.normal());
    if (name.endsWith('running_var')) data.forEach((x, i) => (data[i] = 0.5 + Math.abs(x)));
    return [name, { shape: t.shape, data }];
  }));
}

/** A state_dict as the official code's tensors are dumped: a manifest and one little-endian float32 blob. */
async function writeStateDict(dir: string, weights: Map<string, Tensor>): Promise<string> {
  const tensors: Array<{ name: string; shape: number[]; offset: number; length: number }> = [];
  const blob = Buffer.alloc(4 * [...weights.values()].reduce((n, t) => n + t.data.length, 0));
  let offset = 0;
  for (const [name, t] of weights) {
    tensors.push({ name, shape: t.shape, offset, length: t.data.length });
    t.data.forEach((x, i) => blob.writeFloatLE(x, offset + 4 * i));
    offset += 4 * t.data.length;
  }
  await writeFile(join(dir, 'weights.bin'), blob);
  await writeFile(join(dir, 'state_dict.json'), JSON.stringify({ weights: { tensors } }));
  return join(dir, 'state_dict.json');
}

describe.each(ALL)('layout $name', (layout) => {
  const V = layout.joints.length;
  const rivals = ALL.filter((l) => l !== layout && l.joints.length === V);
  let dir: string;
  let model: CtrGcnModel;
  let initialPA: Tensor;
  let weights: Map<string, Tensor>;

  beforeAll(async () => {
    dir = await mkdtemp(join(root, `${layout.name}-`));
    model = CtrGcnModel.create({ backbone: ctrgcnConfig({ width: 0.0625, blocks: 1 }), input: { C: 3, T, V, M }, layout: layout.name, numClasses: K }, 1);
    initialPA = model.namedWeights().get('l1.gcn1.PA')!;
    weights = jitter(model.namedWeights(), 2);
    model.loadNamedWeights(weights);
  });
  afterAll(() => model?.dispose());

  it('the trainer\'s graph has an inward edge for each bone and no other', () => {
    const inward = initialPA.data.subarray(V * V, 2 * V * V);
    const edges = [...inward.keys()].filter((i) => inward[i] !== 0).sort((a, b) => a - b);
    expect(edges).toEqual(layout.bones.map(([child, parent]) => parent * V + child).sort((a, b) => a - b));
  });

  it('import-ctrgcn infers it from PA (unless another layout has as many joints)', async () => {
    const imported = importCtrGcn(await writeStateDict(dir, weights), undefined, join(dir, 'imported'), { frames: T, classes: CLASSES });
    if (rivals.length > 0) await expect(imported).rejects.toThrow(/fit more than one joint layout .*; name one with --layout$/);
    else expect(await imported).toMatchObject({ layout: layout.name, input: { C: 3, T, V, M } });
    // Named (import-ctrgcn --layout), it is taken; a layout with another joint count is refused.
    const named = await importCtrGcn(join(dir, 'state_dict.json'), undefined, join(dir, 'named'), { frames: T, classes: CLASSES, layout: layout.name });
    expect(named).toMatchObject({ layout: layout.name, input: { V } });
    const other = ALL.find((l) => l.joints.length !== V)!;
    await expect(importCtrGcn(join(dir, 'state_dict.json'), undefined, join(dir, 'wrong'), { frames: T, classes: CLASSES, layout: other.name }))
      .rejects.toThrow(`layout: ${other.name} has ${other.joints.length} joints, but ${join(dir, 'state_dict.json')}: PA is ${V} × ${V}`);
  });

  it('inspect and the recording reader name it from V, with its coordinate names', async () => {
    const seq = recording({ layout: layout.name, frames: 12, persons: M, seed: 3 });
    // The trainer's (C, T, V, M) tensor layout for inspect; frame-major [F][M][V][C] for the reader.
    const ctvm = new Float32Array(seq.data.length);
    for (let t = 0; t < seq.frames; t++) for (let m = 0; m < M; m++) for (let v = 0; v < V; v++) for (let c = 0; c < 3; c++) {
      ctvm[((c * seq.frames + t) * V + v) * M + m] = seq.data[((t * M + m) * V + v) * 3 + c];
    }
    await writeFile(join(dir, 'ctvm.npy'), npyBytes('<f4', [3, seq.frames, V, M], ctvm));
    await writeFile(join(dir, 'fmvc.npy'), npyBytes('<f4', [seq.frames, M, V, 3], seq.data));
    if (rivals.length > 0) {
      await expect(inspectPath(join(dir, 'ctvm.npy'))).rejects.toThrow(/fit more than one joint layout .*; name one with --layout$/);
      await expect(loadRecording(join(dir, 'fmvc.npy'))).rejects.toThrow(/fit more than one joint layout/);
    } else {
      const r = await inspectPath(join(dir, 'ctvm.npy'));
      expect(r).toMatchObject({ layout: layout.name, joints: V, persons: M });
      expect(Object.keys(r.ranges!)).toEqual(layout.coordNames);
      expect(await loadRecording(join(dir, 'fmvc.npy'))).toMatchObject({ layout: layout.name, joints: V, persons: M, frames: seq.frames });
    }
    // The layout, named (inspect --layout; the model's layout for a recording), always decides.
    expect(await inspectPath(join(dir, 'ctvm.npy'), layout.name)).toMatchObject({ layout: layout.name });
    expect(await loadRecording(join(dir, 'fmvc.npy'), layout.name)).toMatchObject({ layout: layout.name });
  });

  it('the adapters take its bodies as they are, and map every other layout of its dimensionality', () => {
    const shape = { layout: layout.name, persons: 1, joints: V, coords: 3 };
    const own = Array.from({ length: V }, (_, v) => [v + 1, -v - 1, 0.5]);
    expect(Array.from(frameFromBodies([own], shape))).toEqual(own.flat());
    for (const from of ALL.filter((l) => l !== layout)) {
      const body = Float32Array.from({ length: from.joints.length * 3 }, (_, i) => 1 + i);
      if (from.dims !== layout.dims) {
        expect(() => mapBody(body, from, layout, 3)).toThrow(/different signals/);
        continue;
      }
      let mapped: Float32Array;
      try {
        mapped = mapBody(body, from, layout, 3);
      } catch (err) {
        // A layout whose joints the other lacks is refused by name, never mapped with holes.
        expect((err as Error).message).toMatch(new RegExp(`^cannot map ${from.name} joints to a model trained on ${layout.name}: ${from.name} has no `));
        continue;
      }
      // Same-named joints carry the same values; no joint of a body with every joint present is left empty.
      layout.joints.forEach((name, v) => {
        const src = from.joints.indexOf(name);
        if (src >= 0) expect(Array.from(mapped.subarray(3 * v, 3 * v + 3))).toEqual(Array.from(body.subarray(3 * src, 3 * src + 3)));
        expect(mapped.subarray(3 * v, 3 * v + 3).some((x) => x !== 0)).toBe(true);
      });
    }
  });

  it('compiles, and the runtime classifies a recording as the tfjs model does', async () => {
    const meta: ArtifactMeta = {
      backbone: model.spec.backbone, layout: layout.name, input: model.spec.input, modality: 'joint',
      preprocessing: { windowFrames: T, testCropRatio: 0.9, centre: true }, classes: CLASSES, provenance: {}, metrics: {},
    };
    await writeArtifact(join(dir, 'model'), meta, weights);
    const { wasmPath } = await compileArtifact(join(dir, 'model'), { out: join(dir, 'recognizer.wasm'), sequenceCapacity: 32 });
    const recognizer = await Recognizer.load(wasmPath);
    expect(recognizer.info).toMatchObject({ layout: layout.name, joints: V, persons: M, labels: CLASSES });
    const seq = recording({ layout: layout.name, frames: 20, persons: M, seed: 4 });
    const x = preprocess(seq, testPreprocessOptions(meta));
    const want = tf.tidy(() => tf.softmax(model.classify(model.features(tf.tensor(x, [1, 3, T, V, M]), false), false)).dataSync());
    const got = recognizer.classify(seq).probs;
    expect(Math.max(...Array.from(got, (p, k) => Math.abs(p - want[k])))).toBeLessThan(1e-4);
    // The probabilities depend on the input: the comparison is not of two constant outputs.
    const other = recognizer.classify(recording({ layout: layout.name, frames: 20, persons: M, seed: 5 })).probs;
    expect(Math.max(...Array.from(other, (p, k) => Math.abs(p - got[k])))).toBeGreaterThan(1e-3);
  });
});
