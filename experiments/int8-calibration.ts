/**
 * Which calibration `compile --int8` should use by default, chosen on validation, and what int8 costs
 * in top-1 against the f32 module of the same weights (docs/compiler.md, "Accuracy: int8 against f32").
 *
 *   npm run int8-calibration -- --out runs/int8-calibration RUN [RUN ...] [--methods minmax,percentile:99.99] [--samples 64] [--relaxed]
 *     [--f32-weights] [--against OTHER/results.json]
 *
 * Each RUN is a `cocodiff train` output (run.json + artifact/). For each run:
 * 1. its validation subjects and training recordings are rebuilt from run.json as training drew them
 *    (trainSubsets with the run's valFraction, trainPerClass and subsetSeed);
 * 2. calibration reads `samples` recordings spread evenly over the training recordings it trained on
 *    (never a validation or test recording), once, shared by every method;
 * 3. the f32 module and one int8 module per method are built and score every validation and test
 *    recording (the .wasm's own logits on the preprocessed input, as `eval` sees it).
 * Per method, the int8 − f32 top-1 difference is paired per run (Student's t over runs, 95 % CI).
 * The method to make the default: among those whose validation top-1 no other method beats (paired
 * per run, 95 % CI above 0), the one with the smallest mean validation logit error; test figures are
 * reported, never used to choose.
 *
 * `--f32-weights` keeps the weights of the ops that compute in f32 in f32 (no weight-only int8, the
 * build before it existed); `--against` pairs each method's top-1 with the same method, run and split
 * of an earlier results.json (e.g. one written with `--f32-weights`), as Δ this − that.
 *
 * Writes OUT/results.json and prints the tables (markdown).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { relaxedSimdAvailable } from '../compiler/bench.ts';
import { compileModule } from '../compiler/index.ts';
import { chooseRanges, collectStats, parseCalibrationMethod, type CalibrationMethod } from '../compiler/int8/calibrate.ts';
import { loadArtifact } from '../compiler/load.ts';
import { runPasses } from '../compiler/passes/index.ts';
import { instantiateNetwork } from '../compiler/verify.ts';
import { pairedDifference, stat } from '../trainer/cocodiff/stats-paired.ts';
import { readCache } from '../trainer/data/cache.ts';
import { preprocess, testPreprocessOptions } from '../trainer/data/preprocess.ts';
import { trainSubsets } from '../trainer/data/subsets.ts';

const { values: args, positionals: runs } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'runs/int8-calibration' },
    methods: { type: 'string', default: 'minmax,percentile:99.999,percentile:99.99,percentile:99.9' },
    samples: { type: 'string', default: '64' },
    // Build the int8 modules for relaxed SIMD (the c4 format: 7-bit activations), against the same f32 module.
    relaxed: { type: 'boolean', default: false },
    'f32-weights': { type: 'boolean', default: false },
    against: { type: 'string' },
  },
});
if (args.relaxed && !(await relaxedSimdAvailable())) throw new Error('--relaxed: this engine has no relaxed SIMD');
const methods = args.methods.split(',').map((m) => parseCalibrationMethod(m, '--methods'));
const samples = Number(args.samples);

/** How one module did on one split, per recording: right or wrong, and its logits. */
interface Scored { correct: boolean[]; logits: Float32Array[] }
interface SplitFigures { top1: number; agreement: number; maxRelError: number; meanAbsError: number }
interface RunResult { run: string; seed: number; f32: Record<string, number>; int8: Record<string, Record<string, SplitFigures>> }

const argmax = (a: ArrayLike<number>): number => { let k = 0; for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i; return k; };
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function compareSplit(f32: Scored, int8: Scored): SplitFigures {
  let agree = 0, worst = 0, abs = 0, n = 0;
  f32.logits.forEach((ref, r) => {
    const got = int8.logits[r];
    if (argmax(got) === argmax(ref)) agree++;
    const spread = Math.max(...ref) - Math.min(...ref);
    for (let k = 0; k < ref.length; k++) {
      const d = Math.abs(got[k] - ref[k]);
      worst = Math.max(worst, d / spread);
      abs += d;
      n++;
    }
  });
  return { top1: mean(int8.correct.map(Number)), agreement: agree / f32.logits.length, maxRelError: worst, meanAbsError: abs / n };
}

async function evaluateRun(runDir: string): Promise<RunResult> {
  const config = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')).config;
  const { artifact, graph } = await loadArtifact(join(runDir, 'artifact'));
  const cache = await readCache(config.data);
  const train = cache.index.splits.train.samples;
  const subsets = trainSubsets(train, { valFraction: config.valFraction, perClass: config.trainPerClass, seed: config.subsetSeed });
  const options = testPreprocessOptions(artifact.model);
  const n = Math.min(samples, subsets.train.length);
  const calibration = Array.from({ length: n }, (_, i) => preprocess(cache.sequence('train', subsets.train[Math.floor((i * subsets.train.length) / n)]), options));
  const splits: Record<string, Array<{ x: Float32Array; label: number }>> = {
    val: subsets.val.map((i) => ({ x: preprocess(cache.sequence('train', i), options), label: train[i].label })),
    test: cache.index.splits.test.samples.map((s, i) => ({ x: preprocess(cache.sequence('test', i), options), label: s.label })),
  };
  if (splits.val.length === 0) delete splits.val;
  const score = async (wasm: Uint8Array): Promise<Record<string, Scored>> => {
    const net = await instantiateNetwork(wasm);
    return Object.fromEntries(Object.entries(splits).map(([name, recs]) => {
      const logits = recs.map((r) => Float32Array.from(net.logits(r.x)));
      return [name, { logits, correct: logits.map((l, j) => argmax(l) === recs[j].label) }];
    }));
  };
  const f32 = await score((await compileModule(artifact, graph)).wasm);
  const stats = collectStats(runPasses(graph), calibration);
  const int8: RunResult['int8'] = {};
  for (const method of methods) {
    const built = await compileModule(artifact, graph, { int8: { inputs: calibration, method, ranges: chooseRanges(stats, method), f32Weights: args['f32-weights'] }, relaxedSimd: args.relaxed });
    const scored = await score(built.wasm);
    int8[method] = Object.fromEntries(Object.keys(splits).map((s) => [s, compareSplit(f32[s], scored[s])]));
    console.error(`${runDir} ${method}: ${Object.entries(int8[method]).map(([s, f]) => `${s} ${(100 * f.top1).toFixed(2)} %`).join(', ')}`);
  }
  return { run: runDir, seed: config.seed, f32: Object.fromEntries(Object.entries(f32).map(([s, v]) => [s, mean(v.correct.map(Number))])), int8 };
}

const results: RunResult[] = [];
for (const run of runs) results.push(await evaluateRun(resolve(run)));

const pct = (x: number): string => (100 * x).toFixed(2);
const pp = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)}`;
const lines: string[] = [];
const summary: Record<string, Record<string, unknown>> = {};
for (const split of ['val', 'test']) {
  const have = results.filter((r) => split in r.f32);
  if (have.length === 0) continue;
  const f32 = stat(have.map((r) => r.f32[split]));
  lines.push('', `${split}: ${have.length} run(s), f32 top-1 ${pct(f32.mean)} % ± ${pct(f32.std)}`, '',
    '| method | int8 top-1 | Δ int8 − f32 (points), 95 % CI | better / worse / same | argmax = f32 | max \\|Δlogit\\| / spread | mean \\|Δlogit\\| |', '|---|---|---|---|---|---|---|');
  for (const method of methods) {
    const fig = have.map((r) => r.int8[method][split]);
    const d = pairedDifference(new Map(have.map((r, i) => [i, r.f32[split]])), new Map(have.map((r, i) => [i, fig[i].top1])));
    const top1 = stat(fig.map((f) => f.top1));
    const range = (xs: number[]): string => `${pct(Math.min(...xs))}–${pct(Math.max(...xs))} %`;
    lines.push(`| ${method} | ${pct(top1.mean)} % ± ${pct(top1.std)} | ${pp(d.mean)} [${pp(d.low)}, ${pp(d.high)}] | ${d.better} / ${d.worse} / ${d.ties} | ${range(fig.map((f) => f.agreement))} | ${range(fig.map((f) => f.maxRelError))} | ${mean(fig.map((f) => f.meanAbsError)).toFixed(4)} |`);
    (summary[method] ??= {})[split] = { delta: d, top1, meanAbsError: mean(fig.map((f) => f.meanAbsError)) };
  }
}
// The rule: a method beats another on validation only when its top-1, paired per run, is higher with a
// 95 % CI above 0; among the methods nothing beats, the smallest mean validation logit error wins.
const valRuns = results.filter((r) => 'val' in r.f32);
const valTop1 = (m: CalibrationMethod): Map<number, number> => new Map(valRuns.map((r, i) => [i, r.int8[m].val.top1]));
const beaten = new Set(methods.filter((m) => methods.some((o) => o !== m && pairedDifference(valTop1(m), valTop1(o)).low > 0)));
const valError = (m: CalibrationMethod): number => (summary[m].val as { meanAbsError: number }).meanAbsError;
const chosen = valRuns.length === 0 ? methods[0] : methods.filter((m) => !beaten.has(m)).sort((a, b) => valError(a) - valError(b))[0];
lines.push('', summary[chosen].val ? `chosen on validation: ${chosen}` : 'no validation split: nothing chosen');
if (args.against) {
  // Paired per run (matched by run directory) with the same method and split of an earlier results.json.
  const other = JSON.parse(await readFile(args.against, 'utf8')) as { runs: RunResult[] };
  const byRun = new Map(other.runs.map((r) => [r.run, r]));
  lines.push('', `against ${args.against} (Δ this − that, points, paired per run, 95 % CI):`, '', '| method | split | runs | Δ | better / worse / same |', '|---|---|---|---|---|');
  for (const method of methods) {
    for (const split of ['val', 'test']) {
      const pairs = results.flatMap((r, i) => {
        const o = byRun.get(r.run)?.int8[method]?.[split];
        return o && r.int8[method][split] ? [{ i, mine: r.int8[method][split].top1, theirs: o.top1 }] : [];
      });
      if (pairs.length === 0) continue;
      const d = pairedDifference(new Map(pairs.map((p) => [p.i, p.theirs])), new Map(pairs.map((p) => [p.i, p.mine])));
      lines.push(`| ${method} | ${split} | ${d.n} | ${pp(d.mean)} [${pp(d.low)}, ${pp(d.high)}] | ${d.better} / ${d.worse} / ${d.ties} |`);
    }
  }
}
console.log(lines.join('\n'));
await mkdir(args.out, { recursive: true });
await writeFile(join(args.out, 'results.json'), JSON.stringify({ methods, samples, chosen: summary[chosen].val ? chosen : null, summary, runs: results }, null, 1));
