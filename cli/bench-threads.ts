/**
 * `cocodiff bench --threads N`: the module compiled with `--threads N` against the same network on one
 * thread and against onnxruntime-web's wasm backend with N threads, one call of each per round, in
 * turns (the machine's speed changes; per-round ratios hold). Both modules run through the runtime's
 * Recognizer, the way apps run them, on the bench's input; their logits must be the same bits.
 */
import { readdirSync } from 'node:fs';
import { Recognizer } from 'cocodiff-runtime';
import type { Artifact } from '../common/artifact.ts';
import { benchInput, median, medianRatio, ratioQuartiles, timeRoundsAsync, type BenchPeer, type BenchRow } from '../compiler/bench.ts';
import { compileModule } from '../compiler/index.ts';
import type { Graph } from '../compiler/ir.ts';

/** OS threads of this process (Linux; undefined elsewhere): tells whether a peer really started its threads. */
export function osThreads(): number | undefined {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

export async function benchThreads(
  artifact: Artifact, graph: Graph, opts: { threads: number; runs: number; peer: BenchPeer; log: (line: string) => void },
): Promise<BenchRow[]> {
  const { threads, runs, log } = opts;
  const x = benchInput(artifact);
  log(`compiling (SIMD, ${threads} threads) ...`);
  const one = await Recognizer.load((await compileModule(artifact, graph)).wasm);
  const many = await Recognizer.load((await compileModule(artifact, graph, { threads })).wasm);
  const rows: BenchRow[] = [];
  try {
    const logits = (r: Recognizer): Float32Array => (r.inferInput(x), r.lastLogits());
    const a = logits(one);
    const b = logits(many);
    const differ = a.filter((v, i) => !Object.is(v, b[i])).length;
    log(`timing 1 and ${threads} threads and ${opts.peer.name} in turns ...`);
    const before = osThreads();
    const loaded = await opts.peer.load(x);
    const started = before === undefined ? undefined : osThreads()! - before;
    const [oneMs, manyMs, peerMs] = await timeRoundsAsync([
      () => one.inferInput(x), () => many.inferInput(x), ...('skipped' in loaded ? [] : [loaded.infer]),
    ], runs, 3);
    rows.push({ name: '.wasm SIMD, 1 thread', value: `${median(oneMs).toFixed(1)} ms` });
    rows.push({
      name: `.wasm SIMD, ${threads} threads`, value: `${median(manyMs).toFixed(1)} ms`,
      note: `${medianRatio(oneMs, manyMs).toFixed(2)}× faster than 1 thread (median of per-round ratios, quartiles ${ratioQuartiles(oneMs, manyMs)}); logits ${differ === 0 ? `bit-identical (all ${a.length})` : `${differ} of ${a.length} differ`}`,
    });
    if ('skipped' in loaded) {
      rows.push({ name: opts.peer.name, value: 'n/a', note: `skipped: ${loaded.skipped}` });
    } else {
      try {
        const threadNote = started === undefined ? '' : `; it started ${started} OS thread(s) beside this one`;
        rows.push({
          name: opts.peer.name, value: `${median(peerMs).toFixed(1)} ms`,
          note: `.wasm ${threads} threads is ${medianRatio(peerMs, manyMs).toFixed(2)}× faster (quartiles ${ratioQuartiles(peerMs, manyMs)}), .wasm 1 thread ${medianRatio(peerMs, oneMs).toFixed(2)}× (${loaded.note ?? ''}${threadNote})`,
        });
      } finally {
        await loaded.dispose();
      }
    }
  } finally {
    one.dispose();
    many.dispose();
  }
  return rows;
}
