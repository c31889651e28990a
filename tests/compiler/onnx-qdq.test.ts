/**
 * `export-onnx --int8`: the QDQ model of the int8 module. On a small random CTR-GCN (two quarter-width
 * units) calibrated on a synthetic dataset cache through the CLI, as `compile --int8` is:
 *   - its structure: QuantizeLinear → DequantizeLinear in front of exactly the convs the .wasm runs in
 *     int8, their weights int8 per output channel (DequantizeLinear, axis 0); the weight codes and
 *     scales and the activation scales and zero points are the int8 module's own; the CTR-GC topology
 *     (conv1, conv2, tanh), conv4 and the 3-channel first layer compute in f32 with no activation Q/DQ,
 *     on weights that are the module's stored int8 codes through a DequantizeLinear;
 *   - onnxruntime-web runs it and computes what the int8 .wasm computes on recordings (same argmax,
 *     logits within 1e-3), which is not what the f32 module computes;
 *   - bad calibration flags and inputs are refused in one line before anything is written.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as compileCommand from '../../cli/commands/compile.ts';
import * as exportCommand from '../../cli/commands/export-onnx.ts';
import { compileModule, type BuiltModule } from '../../compiler/index.ts';
import type { Quantised, WeightCodes } from '../../compiler/ir.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { DataType, modelProto } from '../../compiler/onnx/schema.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { readCalibrationInputs } from '../../trainer/data/calibration-inputs.ts';
import { readCache } from '../../trainer/data/cache.ts';
import { preprocess, testPreprocessOptions } from '../../trainer/data/preprocess.ts';
import { runCli } from '../helpers/cli.ts';
import { refusal } from '../helpers/refusal.ts';
import { tinyDataset } from '../helpers/tiny-run.ts';
import { writeRandomArtifact } from './artifacts.ts';

ort.env.wasm.numThreads = 1;
const SAMPLES = '5';
const cli = (...args: string[]): Promise<string[]> => runCli([exportCommand, compileCommand], ...args);

interface Tensor { name: string; dims: number[]; data_type: number; raw_data?: Uint8Array }
interface Node { name: string; op_type: string; input: string[]; output: string[]; attribute?: Array<{ name: string; i?: number }> }
interface Model { graph: { node: Node[]; initializer: Tensor[] }; metadata_props: Array<{ key: string; value: string }> }

let dir: string;
let data: string;
let onnxPath: string;
let wasmPath: string;
let model: Model;
/** The int8 SIMD module built in-process from the same calibration, for its graph (what the .wasm is generated from). */
let int8: BuiltModule;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-qdq-'));
  ({ data } = await tinyDataset());
  await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 2, T: 16, M: 2, K: 5, seed: 5 });
  onnxPath = join(dir, 'int8.onnx');
  wasmPath = join(dir, 'int8.wasm');
  const lines = await cli('export-onnx', join(dir, 'model'), '-o', onnxPath, '--int8', data, '--calibration-samples', SAMPLES);
  expect(lines.join('\n')).toMatch(/int8\.onnx \(\d+ KiB, opset 13, QDQ int8: minmax calibration on 5 recordings\)/);
  await cli('compile', join(dir, 'model'), '-o', wasmPath, '--int8', data, '--calibration-samples', SAMPLES);
  model = modelProto().toObject(modelProto().decode(await readFile(onnxPath)), { longs: Number, arrays: true }) as Model;
  const { artifact, graph } = await loadArtifact(join(dir, 'model'));
  int8 = await compileModule(artifact, graph, { int8: { inputs: await readCalibrationInputs(artifact, data, Number(SAMPLES)), method: 'minmax' } });
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const initializer = (name: string): Tensor => model.graph.initializer.find((t) => t.name === name)!;
const producer = (tensor: string): Node | undefined => model.graph.node.find((n) => n.output.includes(tensor));
// A copy first: protobufjs decodes bytes in Node as Buffers, views into a shared pool.
const floats = (t: Tensor): number[] => Array.from(new Float32Array(Uint8Array.from(t.raw_data!).buffer));
const bytes = (t: Tensor): number[] => Array.from(t.data_type === DataType.INT8 ? new Int8Array(Uint8Array.from(t.raw_data!).buffer) : Uint8Array.from(t.raw_data!));

/** Per int8 Conv node of the .wasm's graph: weight codes, scales, activation scale and zero point (a CTR-GC's conv3 per subset). */
function moduleQuantisation(): string[] {
  const rows: string[] = [];
  const add = (q: Quantised, from: number, cout: number) => {
    const per = q.q.length / q.wScale.length;
    rows.push(JSON.stringify([Array.from(q.q.subarray(from * per, (from + cout) * per)), Array.from(q.wScale.subarray(from, from + cout)), q.xScale, q.xZero]));
  };
  for (const op of int8.graph.ops) {
    if (op.kind === 'conv' && op.quant) add(op.quant, 0, op.cout);
    if (op.kind === 'ctrgc' && op.conv3Quant) op.subsets.forEach((_, s) => add(op.conv3Quant!, s * op.cout, op.cout));
  }
  return rows.sort();
}

/** Per f32 conv of the .wasm's graph whose weights are stored as int8: codes and scales (a CTR-GC's per subset and conv). */
function moduleWeightCodes(): string[] {
  const rows: string[] = [];
  const add = (c: WeightCodes | undefined) => { if (c) rows.push(JSON.stringify([Array.from(c.q), Array.from(c.wScale)])); };
  for (const op of int8.graph.ops) {
    if (op.kind === 'conv') add(op.weightCodes);
    if (op.kind === 'ctrgc') for (const s of op.subsets) for (const c of [s.weightCodes?.w1, s.weightCodes?.w2, s.weightCodes?.w3, s.weightCodes?.w4]) add(c);
  }
  return rows.sort();
}

describe('export-onnx --int8 (QDQ)', () => {
  it('puts Q/DQ in front of exactly the int8 convs, with the int8 module\'s codes, scales and zero points', () => {
    const convs = model.graph.node.filter((n) => n.op_type === 'Conv');
    const quantised = convs.filter((n) => producer(n.input[0])?.op_type === 'DequantizeLinear');
    const rows = quantised.map((conv) => {
      const weight = producer(conv.input[1])!;
      const input = producer(conv.input[0])!;
      const codes = producer(input.input[0])!;
      // Weights: int8 codes, one scale and a zero zero point per output channel, along axis 0.
      expect(weight.attribute).toEqual([expect.objectContaining({ name: 'axis', i: 0 })]);
      const [q, scale, zero] = weight.input.map(initializer);
      expect(q.data_type).toBe(DataType.INT8);
      expect(scale.dims).toEqual([q.dims[0]]);
      expect(bytes(zero).every((z) => z === 0)).toBe(true);
      // The input: uint8 codes of a per-tensor scale and zero point, quantised and dequantised with the same ones.
      expect([input.op_type, codes.op_type]).toEqual(['DequantizeLinear', 'QuantizeLinear']);
      expect(input.input.slice(1)).toEqual(codes.input.slice(1));
      const [xScale, xZero] = input.input.slice(1).map(initializer);
      expect([xScale.dims, xZero.dims, xZero.data_type]).toEqual([[], [], DataType.UINT8]);
      return JSON.stringify([bytes(q), floats(scale), floats(xScale)[0], bytes(xZero)[0]]);
    });
    // The same set of quantised convs as the .wasm's, bit for bit (2 units: 11 convs and 2 CTR-GCs of 3 subsets, l1's 3-channel CTR-GC f32).
    expect(rows.sort()).toEqual(moduleQuantisation());
    expect(rows.length).toBeGreaterThan(10);
    expect(JSON.parse(model.metadata_props.find((p) => p.key === 'cocodiff.int8')!.value)).toMatchObject({ method: 'minmax', samples: 5, activations: 'uint8, per tensor' });
  });

  it('keeps f32, with no activation Q/DQ, where the .wasm computes in f32, on the module\'s stored weight codes', () => {
    const convs = model.graph.node.filter((n) => n.op_type === 'Conv');
    // The convs with no activation Q/DQ: CTR-GC conv1/conv2/conv4 of every unit, and the first unit's convs of fewer than 8 channels.
    const f32 = convs.filter((n) => producer(n.input[0])?.op_type !== 'DequantizeLinear');
    expect(f32.filter((n) => /\.conv[124]$/.test(n.name)).length).toBeGreaterThan(9);
    expect(f32.some((n) => n.name.startsWith('l1.'))).toBe(true);
    const rows = f32.map((conv) => {
      // Weight-only int8: the codes and scales the .wasm stores and expands at start-up.
      const weight = producer(conv.input[1])!;
      expect(weight.op_type).toBe('DequantizeLinear');
      const [q, scale] = weight.input.map(initializer);
      expect(q.data_type).toBe(DataType.INT8);
      return JSON.stringify([bytes(q), floats(scale)]);
    });
    expect(rows.sort()).toEqual(moduleWeightCodes());
    for (const tanh of model.graph.node.filter((n) => n.op_type === 'Tanh')) expect(producer(tanh.input[0])!.op_type).toBe('Sub');
    // Every activation Q feeds its DQ only, and every activation DQ feeds convs only.
    for (const q of model.graph.node.filter((n) => n.op_type === 'QuantizeLinear')) {
      const readers = model.graph.node.filter((n) => n.input.includes(q.output[0]));
      expect(readers.map((n) => n.op_type)).toEqual(['DequantizeLinear']);
      for (const n of model.graph.node.filter((m) => m.input.includes(readers[0].output[0]))) expect(n.op_type).toBe('Conv');
    }
  });

  it('onnxruntime-web runs it and computes what the int8 .wasm computes on recordings, not what f32 does', async () => {
    const { artifact, graph } = await loadArtifact(join(dir, 'model'));
    const { C, T, V, M } = artifact.model.input;
    const wasm = await instantiateNetwork(new Uint8Array(await readFile(wasmPath)));
    const f32 = await instantiateNetwork((await compileModule(artifact, graph)).wasm);
    const session = await ort.InferenceSession.create(await readFile(onnxPath));
    const cache = await readCache(data);
    const options = testPreprocessOptions(artifact.model);
    const argmax = (a: ArrayLike<number>): number => Array.from(a).indexOf(Math.max(...Array.from(a)));
    let toInt8 = 0;
    let toF32 = 0;
    try {
      for (let i = 0; i < cache.index.splits.test.samples.length; i++) {
        const x = preprocess(cache.sequence('test', i), options);
        const theirs = (await session.run({ input: new ort.Tensor('float32', x, [1, C, T, V, M]) })).logits.data as Float32Array;
        const ours = wasm.logits(x);
        expect(argmax(theirs)).toBe(argmax(ours));
        theirs.forEach((v, k) => {
          toInt8 = Math.max(toInt8, Math.abs(v - ours[k]));
          toF32 = Math.max(toF32, Math.abs(v - f32.logits(x)[k]));
        });
      }
    } finally {
      await session.release();
    }
    // Bounds: the same codes and scales leave f32 rounding (1.5e-5 measured); f32 is further away by
    // the quantisation itself (3.0e-3 measured), so the Q/DQ pairs were not skipped.
    expect(toInt8).toBeLessThan(1e-3);
    expect(toF32).toBeGreaterThan(5 * toInt8);
  }, 120_000);

  it('refuses bad calibration flags and inputs in one line, writing nothing', async () => {
    const bad = join(dir, 'bad');
    await mkdir(join(bad, 'empty'), { recursive: true });
    await writeFile(join(bad, 'broken.npy'), 'not an npy file at all');
    const out = join(bad, 'model.onnx');
    const run = (...extra: string[]) => refusal(() => cli('export-onnx', join(dir, 'model'), '-o', out, ...extra));
    expect(await run('--int8', join(bad, 'nowhere'))).toMatch(/^--int8 .*nowhere: no such file or directory \(expected a dataset cache/);
    expect(await run('--int8', join(bad, 'empty'))).toMatch(/^--int8 .*empty: holds no recordings \(expected /);
    expect(await run('--int8', join(bad, 'broken.npy'))).toMatch(/^--int8 .*broken\.npy: /);
    expect(await run('--int8', data, '--calibration', 'entropy')).toBe('--calibration: expected minmax or percentile[:P] (P in [50, 100), default 99.99), found "entropy"');
    for (const msg of await Promise.all([run('--int8', join(bad, 'broken.npy')), run('--int8', join(bad, 'empty'))])) expect(msg).not.toContain('\n');
    expect(existsSync(out)).toBe(false);
  }, 120_000);
});
