/**
 * Does onnxruntime-web run cocodiff's int8 network as the int8 .wasm does, and does it fuse the QDQ
 * pairs into integer kernels? (docs/benchmarks.md, "onnxruntime-web int8")
 *
 *   npm run ort-int8 -- ARTIFACT --calibration CACHE [--samples 4] --data CACHE [--limit 40]
 *
 * Builds the int8 SIMD module (c2: 8-bit codes) calibrated min–max on `samples` recordings of the
 * calibration cache's train split, its f32 module, and the QDQ model `export-onnx --int8` writes from
 * the very graph the int8 module was generated from. Every test recording of --data (at most --limit)
 * is scored by the three, and by the QDQ model with onnxruntime's QDQ fusion turned off: argmax
 * agreement, and logit differences (absolute and as a share of the f32 logits' spread). Then a QDQ inference is profiled, with and without the fusion, (onnxruntime's enableProfiling, which the wasm
 * build prints as JSON to the console) to count the kernels onnxruntime actually ran: QLinearConv (a
 * Q/DQ group fused into an integer conv), DequantizeLinear (run at every inference), Conv.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { compileModule } from '../compiler/index.ts';
import { loadArtifact } from '../compiler/load.ts';
import { exportOnnx } from '../compiler/onnx/export.ts';
import { instantiateNetwork } from '../compiler/verify.ts';
import { readCalibrationInputs } from '../trainer/data/calibration-inputs.ts';
import { readCache } from '../trainer/data/cache.ts';
import { preprocess, testPreprocessOptions } from '../trainer/data/preprocess.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    calibration: { type: 'string' },
    samples: { type: 'string', default: '4' },
    data: { type: 'string' },
    limit: { type: 'string', default: '40' },
  },
});
if (positionals.length !== 1 || !args.calibration || !args.data) throw new Error('usage: ort-int8 ARTIFACT --calibration CACHE --data CACHE [--samples N] [--limit N]');
ort.env.wasm.numThreads = 1;
const start = performance.now();
const { artifact, graph } = await loadArtifact(positionals[0]);
const { C, T, V, M } = artifact.model.input;
const samples = Number(args.samples);
const int8 = { inputs: await readCalibrationInputs(artifact, args.calibration, samples), method: 'minmax' as const };
const f32Module = await instantiateNetwork((await compileModule(artifact, graph)).wasm);
const int8Built = await compileModule(artifact, graph, { int8 });
const int8Module = await instantiateNetwork(int8Built.wasm);
const qdq = exportOnnx(artifact, { batch: 1, int8: { lowered: int8Built.graph, calibration: { method: int8.method, samples: int8.inputs.length } } });
// The same model with onnxruntime's QDQ handling off (session.disable_quant_qdq): Q and DQ then run as
// plain ops around f32 convs, the int8 .wasm's arithmetic in f32; the gap between the two sessions is
// what onnxruntime's fusion into integer kernels changes.
const open = (extra?: Record<string, unknown>) => ort.InferenceSession.create(qdq.bytes, { executionProviders: ['wasm'], extra });
const sessions = { fused: await open(), unfused: await open({ session: { disable_quant_qdq: '1' } }) };
const run = async (s: ort.InferenceSession, x: Float32Array) => (await s.run({ input: new ort.Tensor('float32', x, [1, C, T, V, M]) })).logits.data as Float32Array;

const cache = await readCache(args.data);
const options = testPreprocessOptions(artifact.model);
const n = Math.min(Number(args.limit), cache.index.splits.test.samples.length);
const argmax = (a: ArrayLike<number>): number => { let k = 0; for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i; return k; };
const PAIRS = [
  ['onnxruntime-web QDQ', 'int8 .wasm'], ['onnxruntime-web QDQ, fusion off', 'int8 .wasm'], ['onnxruntime-web QDQ', 'f32 .wasm'], ['int8 .wasm', 'f32 .wasm'],
] as const;
const figures = PAIRS.map(() => ({ agree: 0, worst: 0, worstRel: 0 }));
for (let i = 0; i < n; i++) {
  const x = preprocess(cache.sequence('test', i), options);
  const logits = {
    'onnxruntime-web QDQ': await run(sessions.fused, x), 'onnxruntime-web QDQ, fusion off': await run(sessions.unfused, x),
    'int8 .wasm': int8Module.logits(x), 'f32 .wasm': f32Module.logits(x),
  };
  const f = logits['f32 .wasm'];
  const spread = Math.max(...f) - Math.min(...f);
  PAIRS.forEach(([a, b], p) => {
    const diff = Array.from(logits[a]).reduce((m, v, k) => Math.max(m, Math.abs(v - logits[b][k])), 0);
    figures[p].agree += Number(argmax(logits[a]) === argmax(logits[b]));
    figures[p].worst = Math.max(figures[p].worst, diff);
    figures[p].worstRel = Math.max(figures[p].worstRel, diff / spread);
  });
}
console.log(`${n} test recordings of ${args.data}; calibration: min–max on ${int8.inputs.length} recordings of ${args.calibration}`);
PAIRS.forEach(([a, b], p) => {
  const { agree, worst, worstRel } = figures[p];
  console.log(`  ${`${a} vs ${b}`.padEnd(48)} argmax the same ${agree}/${n}, largest logit difference ${worst.toExponential(2)} (${(100 * worstRel).toFixed(3)} % of the f32 logits' spread)`);
});

/** The kernels onnxruntime ran for a profiled QDQ inference, by operator: count and microseconds. */
async function kernels(extra?: Record<string, unknown>): Promise<Map<string, { count: number; us: number }>> {
  const profiled = await ort.InferenceSession.create(qdq.bytes, { executionProviders: ['wasm'], enableProfiling: true, extra });
  // Two inferences; the second is counted (the first pays for one-time set-up).
  const feeds = { input: new ort.Tensor('float32', preprocess(cache.sequence('test', 0), options), [1, C, T, V, M]) };
  await profiled.run(feeds);
  await profiled.run(feeds);
  // In Node the wasm build prints the profile with fs.writeSync(1, ...): catch what it writes to fd 1.
  const printed: string[] = [];
  const writeSync = fs.writeSync;
  fs.writeSync = ((fd: number, data: string, ...rest: unknown[]) => {
    if (fd === 1 && typeof data === 'string') return (printed.push(data), data.length);
    return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest);
  }) as typeof fs.writeSync;
  try {
    profiled.endProfiling();
  } finally {
    fs.writeSync = writeSync;
  }
    const byOp = new Map<string, { count: number; us: number }>();
  const events = JSON.parse(printed.join('')) as Array<{ cat: string; name: string; ts: number; dur: number; args: { op_name?: string } }>;
  const secondRun = Math.max(...events.filter((e) => e.name === 'model_run').map((e) => e.ts));
  for (const e of events) {
    if (e.cat !== 'Node' || e.ts < secondRun) continue;
    const s = byOp.get(e.args.op_name!) ?? { count: 0, us: 0 };
    s.count++;
    s.us += e.dur;
    byOp.set(e.args.op_name!, s);
  }
  return byOp;
}
const fused = await kernels();
const unfused = await kernels({ session: { disable_quant_qdq: '1' } });
const total = (m: Map<string, { us: number }>) => [...m.values()].reduce((t, s) => t + s.us, 0);
console.log(`kernels onnxruntime-web ran, the second of two profiled inferences each (the model has ${qdq.operators.get('Conv')} Conv nodes, ${qdq.operators.get('DequantizeLinear')! - qdq.operators.get('QuantizeLinear')!} of them on int8 weights):`);
console.log(`  ${'operator'.padEnd(20)} ${'QDQ fusion on'.padStart(26)} ${'fusion off'.padStart(26)}`);
const cell = (s: { count: number; us: number } | undefined, all: number) => (s ? `${s.count} × ${(s.us / 1000).toFixed(2)} ms ${((100 * s.us) / all).toFixed(1).padStart(5)} %` : '–').padStart(26);
for (const op of [...new Set([...fused.keys(), ...unfused.keys()])].sort((a, b) => (fused.get(b)?.us ?? 0) - (fused.get(a)?.us ?? 0))) {
  console.log(`  ${op.padEnd(20)} ${cell(fused.get(op), total(fused))} ${cell(unfused.get(op), total(unfused))}`);
}
console.log(`  ${'in nodes'.padEnd(20)} ${`${(total(fused) / 1000).toFixed(1)} ms`.padStart(26)} ${`${(total(unfused) / 1000).toFixed(1)} ms`.padStart(26)}`);
console.log(`wall ${((performance.now() - start) / 1000).toFixed(0)} s`);
await sessions.fused.release();
await sessions.unfused.release();
