/**
 * Does onnxruntime-web run cocodiff's int8 network as the int8 .wasm does, and does it fuse the QDQ
 * pairs into integer kernels? (docs/benchmarks.md, "onnxruntime-web int8")
 *
 *   npm run ort-int8 -- ARTIFACT --calibration CACHE [--samples 4] --data CACHE [--limit 40]
 *
 * Builds the int8 SIMD module (c2: 8-bit codes) calibrated min–max on `samples` recordings of the
 * calibration cache's train split, its f32 module, and the QDQ model `export-onnx --int8` writes from
 * the very graph the int8 module was generated from. Every test recording of --data (at most --limit)
 * is scored by the three: argmax agreement, and logit differences (absolute and as a share of the f32
 * logits' spread). Then one QDQ inference is profiled (onnxruntime's enableProfiling, which the wasm
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
const session = await ort.InferenceSession.create(qdq.bytes, { executionProviders: ['wasm'] });
const ortLogits = async (x: Float32Array) => (await session.run({ input: new ort.Tensor('float32', x, [1, C, T, V, M]) })).logits.data as Float32Array;

const cache = await readCache(args.data);
const options = testPreprocessOptions(artifact.model);
const n = Math.min(Number(args.limit), cache.index.splits.test.samples.length);
const argmax = (a: ArrayLike<number>): number => { let k = 0; for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i; return k; };
const worst = { ortVsInt8: 0, ortVsF32: 0, int8VsF32: 0, ortVsInt8Rel: 0, ortVsF32Rel: 0, int8VsF32Rel: 0 };
const agree = { ortInt8: 0, ortF32: 0, int8F32: 0 };
for (let i = 0; i < n; i++) {
  const x = preprocess(cache.sequence('test', i), options);
  const [o, q, f] = [await ortLogits(x), int8Module.logits(x), f32Module.logits(x)];
  const spread = Math.max(...f) - Math.min(...f);
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0);
  const pairs = [['ortVsInt8', o, q], ['ortVsF32', o, f], ['int8VsF32', q, f]] as const;
  for (const [name, a, b] of pairs) {
    worst[name] = Math.max(worst[name], diff(a, b));
    worst[`${name}Rel`] = Math.max(worst[`${name}Rel`], diff(a, b) / spread);
  }
  agree.ortInt8 += Number(argmax(o) === argmax(q));
  agree.ortF32 += Number(argmax(o) === argmax(f));
  agree.int8F32 += Number(argmax(q) === argmax(f));
}
console.log(`${n} test recordings of ${args.data}; calibration: min–max on ${int8.inputs.length} recordings of ${args.calibration}`);
console.log(`argmax agreement: onnxruntime-web QDQ vs int8 .wasm ${agree.ortInt8}/${n}, QDQ vs f32 .wasm ${agree.ortF32}/${n}, int8 .wasm vs f32 .wasm ${agree.int8F32}/${n}`);
const fmt = (abs: number, rel: number) => `${abs.toExponential(2)} (${(100 * rel).toFixed(3)} % of the f32 spread)`;
console.log(`largest logit difference: QDQ vs int8 .wasm ${fmt(worst.ortVsInt8, worst.ortVsInt8Rel)}; QDQ vs f32 ${fmt(worst.ortVsF32, worst.ortVsF32Rel)}; int8 .wasm vs f32 ${fmt(worst.int8VsF32, worst.int8VsF32Rel)}`);

// The kernels onnxruntime ran for one profiled QDQ inference.
const profiled = await ort.InferenceSession.create(qdq.bytes, { executionProviders: ['wasm'], enableProfiling: true });
await profiled.run({ input: new ort.Tensor('float32', preprocess(cache.sequence('test', 0), options), [1, C, T, V, M]) });
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
const events = (JSON.parse(printed.join('')) as Array<{ cat: string; dur: number; args: { op_name?: string } }>).filter((e) => e.cat === 'Node');
const byOp = new Map<string, { count: number; us: number }>();
for (const e of events) {
  const s = byOp.get(e.args.op_name!) ?? { count: 0, us: 0 };
  s.count++;
  s.us += e.dur;
  byOp.set(e.args.op_name!, s);
}
const total = events.reduce((t, e) => t + e.dur, 0);
console.log(`kernels onnxruntime-web ran (one profiled inference, ${(total / 1000).toFixed(1)} ms in nodes; the model has ${qdq.operators.get('Conv')} Conv nodes, ${qdq.operators.get('DequantizeLinear')! - qdq.operators.get('QuantizeLinear')!} of them on int8 weights):`);
for (const [op, s] of [...byOp].sort((a, b) => b[1].us - a[1].us)) console.log(`  ${op.padEnd(20)} ${String(s.count).padStart(4)}  ${(s.us / 1000).toFixed(2).padStart(8)} ms  ${((100 * s.us) / total).toFixed(1).padStart(5)} %`);
console.log(`wall ${((performance.now() - start) / 1000).toFixed(0)} s`);
await session.release();
await profiled.release();
