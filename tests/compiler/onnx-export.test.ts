/**
 * export-onnx: the ONNX model, run by onnxruntime-web (wasm backend, one thread), computes the tfjs
 * model's logits within 1e-4, for the official golden CTR-GCN, a synth-quick-sized model at a
 * dynamic batch of 2 and a one-person OpenPose-18 model; the CLI writes a file whose header, shapes and metadata say what it holds.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as exportCommand from '../../cli/commands/export-onnx.ts';
import { readArtifact, type Artifact } from '../../common/artifact.ts';
import { exportOnnx } from '../../compiler/onnx/export.ts';
import { modelProto } from '../../compiler/onnx/schema.ts';
import { selectBackend } from '../../trainer/backend.ts';
import { CtrGcnModel } from '../../trainer/model/ctrgcn.ts';
import { GOLDEN_DIR, randomInput, readF32, writeGoldenArtifact, writeRandomArtifact } from './artifacts.ts';

ort.env.wasm.numThreads = 1;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-onnx-'));
  await selectBackend('wasm');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Logits [n·K] of the tfjs model on n inputs [n, C, T, V, M]. */
function tfjsLogits(artifact: Artifact, x: Float32Array, n: number): Float32Array {
  const { C, T, V, M } = artifact.model.input;
  const model = CtrGcnModel.fromArtifact(artifact);
  try {
    return tf.tidy(() => model.classify(model.features(tf.tensor(x, [n, C, T, V, M]), false), false).dataSync() as Float32Array);
  } finally {
    model.dispose();
  }
}

async function onnxLogits(bytes: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
    expect(out.logits.dims).toEqual([shape[0], expect.any(Number)]);
    return out.logits.data as Float32Array;
  } finally {
    await session.release();
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('export-onnx', () => {
  it('the golden CTR-GCN in onnxruntime-web matches tfjs (and the official logits) within 1e-4', async () => {
    await writeGoldenArtifact(join(dir, 'golden'));
    const artifact = await readArtifact(join(dir, 'golden'));
    const x = readF32(join(GOLDEN_DIR, 'input.bin'));
    const got = await onnxLogits(exportOnnx(artifact).bytes, x, [1, 3, 64, 25, 2]);
    expect(maxDiff(got, tfjsLogits(artifact, x, 1))).toBeLessThan(1e-4);
    expect(maxDiff(got, readF32(join(GOLDEN_DIR, 'logits.bin')))).toBeLessThan(1e-4);
  });

  it('another layout, one person, 400 classes: OpenPose-18 at width 0.125, 4 units, 48 frames, batch 3', async () => {
    await writeRandomArtifact(join(dir, 'openpose'), { width: 0.125, blocks: 4, layout: 'openpose18', T: 48, M: 1, K: 400, seed: 6 });
    const artifact = await readArtifact(join(dir, 'openpose'));
    const { C, T, V, M } = artifact.model.input;
    const x = randomInput(3 * C * T * V * M, 12);
    const got = await onnxLogits(exportOnnx(artifact).bytes, x, [3, C, T, V, M]);
    expect(got).toHaveLength(3 * 400);
    expect(maxDiff(got, tfjsLogits(artifact, x, 3))).toBeLessThan(1e-4);
  });

  it('a synth-quick-sized model matches tfjs within 1e-4 at a dynamic batch of 2', async () => {
    await writeRandomArtifact(join(dir, 'quick'), { width: 0.25, blocks: 3, T: 32, K: 14, seed: 5 });
    const artifact = await readArtifact(join(dir, 'quick'));
    const { C, T, V, M } = artifact.model.input;
    const x = randomInput(2 * C * T * V * M, 11);
    const got = await onnxLogits(exportOnnx(artifact).bytes, x, [2, C, T, V, M]);
    expect(got).toHaveLength(2 * 14);
    expect(maxDiff(got, tfjsLogits(artifact, x, 2))).toBeLessThan(1e-4);
    // The two samples' logits differ by far more than the tolerance, so a batch mix-up (persons or
    // samples crossed) would show.
    expect(maxDiff(got.subarray(0, 14), got.subarray(14))).toBeGreaterThan(1e-3);
  });

  it('the CLI writes opset 13 with a fixed batch when asked, and the class names in the metadata', async () => {
    const program = new Command('cocodiff').exitOverride();
    exportCommand.register(program);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const out = join(dir, 'quick-b1.onnx');
    try {
      await program.parseAsync(['node', 'cocodiff', 'export-onnx', join(dir, 'quick'), '-o', out, '--batch', '1']);
    } finally {
      log.mockRestore();
    }
    expect(lines.join('\n')).toMatch(/quick-b1\.onnx .*opset 13\): input "input" \[1,3,32,25,2\], output "logits"/);
    const bytes = await readFile(out);
    const model = modelProto().toObject(modelProto().decode(bytes), { longs: Number }) as {
      opset_import: Array<{ domain: string; version: number }>;
      graph: { input: Array<{ type: { tensor_type: { shape: { dim: Array<{ dim_value?: number }> } } } }>; node: Array<{ op_type: string; domain?: string }> };
      metadata_props: Array<{ key: string; value: string }>;
    };
    expect(model.opset_import).toEqual([{ domain: '', version: 13 }]);
    expect(model.graph.input[0].type.tensor_type.shape.dim.map((d) => d.dim_value)).toEqual([1, 3, 32, 25, 2]);
    expect(model.graph.node.every((n) => !n.domain)).toBe(true); // the default (ONNX) domain only
    const classes = JSON.parse(model.metadata_props.find((p) => p.key === 'cocodiff.classes')!.value);
    expect(classes).toEqual((await readArtifact(join(dir, 'quick'))).model.classes);
    // A fixed batch is a promise onnxruntime holds the caller to.
    const session = await ort.InferenceSession.create(bytes);
    await expect(session.run({ input: new ort.Tensor('float32', new Float32Array(2 * 3 * 32 * 25 * 2), [2, 3, 32, 25, 2]) })).rejects.toThrow(/dimension|shape/i);
    await session.release();
  });

  it('refuses an output path that is not .onnx, naming the flag', async () => {
    const program = new Command('cocodiff').exitOverride();
    exportCommand.register(program);
    await expect(program.parseAsync(['node', 'cocodiff', 'export-onnx', join(dir, 'quick'), '-o', join(dir, 'model.wasm')])).rejects.toThrow(/-o\/--out: expected a path ending in \.onnx/);
  });
});
