import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchArtifact } from '../../compiler/bench.ts';
import { compileModule } from '../../compiler/index.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { instantiateNetwork } from '../../compiler/verify.ts';
import { onnxRuntimeBenchPeer, ORT_INT8_PEER } from '../../cli/onnxruntime-peer.ts';
import type { Graph } from '../../compiler/ir.ts';
import { tfjsBenchPeer } from '../../trainer/model/reference.ts';
import { randomInput, writeRandomArtifact } from './artifacts.ts';

describe('profiling build and bench', () => {
  let dir: string;
  /** The first test's builds, the second test's baseline. */
  let earlier: { wasm: Uint8Array; profile: Uint8Array } | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cocodiff-profile-'));
    await writeRandomArtifact(join(dir, 'model'), { width: 0.25, blocks: 5, T: 32, M: 2, K: 6, seed: 3 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('times every step without changing the answer', async () => {
    const { artifact, graph } = await loadArtifact(join(dir, 'model'));
    const plain = await compileModule(artifact, graph);
    const profiled = await compileModule(artifact, graph, { profile: true });
    earlier = { wasm: plain.wasm, profile: profiled.wasm };
    // The shipped build imports nothing but env.abort; only the profiling build reads the clock.
    const imports = (wasm: Uint8Array) => WebAssembly.Module.imports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)).map((i) => `${i.module}.${i.name}`);
    for (const name of imports(plain.wasm)) expect(name).toBe('env.abort');
    expect(imports(profiled.wasm)).toContain('env.now');

    let clock = 0;
    const a = await instantiateNetwork(plain.wasm);
    const b = await instantiateNetwork(profiled.wasm, { now: () => (clock += 0.5) });
    const x = randomInput(3 * 32 * 25 * 2, 8);
    expect(Array.from(b.logits(x))).toEqual(Array.from(a.logits(x)));

    // With a clock that advances 0.5 ms per read, each step call costs exactly 0.5 ms: the slots
    // count the calls, M per person-step and 1 per classifier step.
    const { steps } = profiled.network;
    const slots = new Float64Array(b.memory.buffer, (b.exports.network_profile_ptr as () => number)(), steps.length);
    steps.forEach((s, i) => expect(slots[i]).toBe(s.perPerson ? 2 * 0.5 : 0.5));
    const kinds = new Set(steps.map((s) => s.kernel));
    for (const k of ['ctrgc topology', 'ctrgc conv4', 'ctrgc conv3', 'ctrgc aggregate', 'conv 1×1', 'conv 5×1', 'maxpool', 'linear']) expect(kinds).toContain(k);
    expect(new Set(steps.map((s) => s.layer))).toEqual(new Set(['input', 'l1', 'l2', 'l3', 'l4', 'l5', 'head']));
  }, 300_000);

  it('bench prints the latency table, per-layer and per-kernel breakdowns', async () => {
    const { artifact, graph } = await loadArtifact(join(dir, 'model'));
    const int8 = { inputs: [1, 2, 3].map((seed) => randomInput(3 * 32 * 25 * 2, seed)), method: 'minmax' as const };
    const int8Peers = (lowered: Graph) => [onnxRuntimeBenchPeer(artifact, 3, 1, { lowered, calibration: { method: int8.method, samples: 3 } })];
    const { rows, layers, kernels, baselineKernels, int8Kernels, int8Module } = await benchArtifact(artifact, graph, { runs: 3, peers: [tfjsBenchPeer(artifact, 'wasm', 3), onnxRuntimeBenchPeer(artifact, 3)], baseline: earlier, int8, int8Peers });
    const names = rows.map((r) => r.name);
    for (const n of ['.wasm SIMD', 'tfjs wasm', 'model', 'GFLOP/s .wasm SIMD', 'GFLOP/s micro-kernel SIMD', '.wasm size', 'linear memory', 'compile time']) expect(names).toContain(n);
    // onnxruntime-web (a dev dependency) ran the exported ONNX model on the same input as the .wasm.
    const ort = rows.find((r) => r.name === 'onnxruntime-web wasm')!;
    expect(ort.value).toMatch(/^\d+\.\d ms$/);
    expect(Number(ort.note!.match(/logits within (\S+) of the \.wasm's/)![1])).toBeLessThan(1e-4);
    expect(rows.find((r) => r.name === '.wasm size')!.note).toMatch(/^code section \d+\.\d kB, data section \d+\.\d kB/);
    // --int8: the int8 build timed against f32 and against each peer, and onnxruntime-web on the QDQ model of the same codes.
    expect(rows.find((r) => r.name === '.wasm int8 SIMD')!.note).toMatch(/^\d+\.\d\d× faster than f32 SIMD \(median of per-round ratios, quartiles \d+\.\d\d–\d+\.\d\d\); logits within \S+ of f32's .*; data section \d+\.\d kB vs \d+\.\d kB$/);
    expect(ort.note).toMatch(/, \.wasm int8 \S+ \d+\.\d\d× \(quartiles /);
    expect(int8Kernels!.map((k) => k.name)).toEqual(expect.arrayContaining(['int8 conv 1×1', 'ctrgc conv3 int8', 'ctrgc aggregate']));
    // The faster int8 build comes back for the streaming figure: an int8 module, not the f32 one.
    expect(int8Module!.sidecar.int8).toBeDefined();
    expect(rows.find((r) => r.name === `.wasm int8 ${int8Module!.label === 'SIMD' ? 'SIMD' : 'relaxed SIMD'}`)).toBeDefined();
    const ortInt8 = rows.find((r) => r.name === ORT_INT8_PEER)!;
    expect(ortInt8.value).toMatch(/^\d+\.\d ms$/);
    expect(ortInt8.note).toMatch(/^\.wasm int8 \S+ is \d+\.\d\d× faster \(median of per-round ratios, quartiles \d+\.\d\d–\d+\.\d\d\); its f32 model takes \d+\.\d\d× its int8 time \(quartiles /);
    expect(ortInt8.note).toContain('written by cocodiff\'s export-onnx --int8 with cocodiff\'s minmax calibration, not by onnxruntime\'s Python quantiser');
    const [toInt8, toF32] = ortInt8.note!.match(/logits within (\S+) of the \.wasm int8 SIMD's \(same codes and scales\), (\S+) of the f32 \.wasm's; argmax the same as the int8 \.wasm's/)!.slice(1).map(Number);
    expect(toInt8).toBeLessThan(1e-3);
    expect(toF32).toBeGreaterThan(toInt8);
    // The same compiler's build as the baseline: same answers, and every kernel family side by side.
    expect(rows.find((r) => r.name === 'baseline logits')!.value).toBe('bit-identical');
    expect(rows.find((r) => r.name === '.wasm SIMD, baseline')!.note).toMatch(/takes \d+\.\d+× the baseline's time/);
    expect(baselineKernels!.map((k) => k.name).sort()).toEqual(kernels.map((k) => k.name).sort());
    expect(layers.map((l) => l.name)).toEqual(['input', 'l1', 'l2', 'l3', 'l4', 'l5', 'head']);
    expect(kernels.map((k) => k.name)).toContain('ctrgc aggregate');
    for (const r of [...layers, ...kernels]) expect(Number.parseFloat(r.value)).toBeGreaterThanOrEqual(0);
  }, 300_000);
});
