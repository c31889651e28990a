/**
 * `cocodiff bench --threads N`: the module compiled with `--threads N` against the same network on one
 * thread and against peers with N threads (onnxruntime-web's and tfjs's wasm backends), one call of
 * each per round, in turns (the machine's speed changes; per-round ratios hold). Both modules run through the runtime's
 * Recognizer, the way apps run them, on the bench's input; their logits must be the same bits.
 */
import { readdirSync } from 'node:fs';
import { Recognizer } from 'cocodiff-runtime';
import type { Artifact } from '../common/artifact.ts';
import { benchInput, median, medianRatio, ratioQuartiles, timeRoundsAsync, type BenchPeer, type BenchRow } from '../compiler/bench.ts';
import { compileModule, type CompileOptions } from '../compiler/index.ts';
import type { Graph } from '../compiler/ir.ts';

/** OS threads of this process (Linux; undefined elsewhere): tells whether a peer really started its threads. */
export function osThreads(): number | undefined {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

/**
 * The rows: each build (f32 SIMD, and int8 SIMD when `int8` is given) on one thread and on `threads`,
 * then each peer against the f32 one; every call of a round in turns. `oneThread` holds one-thread
 * builds the caller already compiled with the same options (bench's own), which are not built again.
 */
export async function benchThreads(
  artifact: Artifact, graph: Graph,
  opts: { threads: number; runs: number; peers: BenchPeer[]; int8?: CompileOptions['int8']; oneThread?: Partial<Record<'SIMD' | 'int8 SIMD', Uint8Array>>; log: (line: string) => void },
): Promise<BenchRow[]> {
  const { threads, runs, log } = opts;
  const x = benchInput(artifact);
  const builds: Array<{ label: string; one: Recognizer; many: Recognizer }> = [];
  const rows: BenchRow[] = [];
  try {
    for (const [label, compile] of [['SIMD', {}], ...(opts.int8 ? [['int8 SIMD', { int8: opts.int8 }] as const] : [])] as const) {
      log(`compiling (${label}, ${opts.oneThread?.[label] ? '' : '1 and '}${threads} threads) ...`);
      const one = await Recognizer.load(opts.oneThread?.[label] ?? (await compileModule(artifact, graph, compile)).wasm);
      builds.push({ label, one, many: await Recognizer.load((await compileModule(artifact, graph, { ...compile, threads })).wasm) });
    }
    const logits = (r: Recognizer): Float32Array => (r.inferInput(x), r.lastLogits());
    log(`timing 1 and ${threads} threads and ${opts.peers.map((p) => p.name).join(', ')} in turns ...`);
    // Each peer's OS threads, counted as it loads: tells whether it really started a pool.
    const peers: Array<{ name: string; loaded: Awaited<ReturnType<BenchPeer['load']>>; started?: number }> = [];
    try {
      for (const peer of opts.peers) {
        const before = osThreads();
        const loaded = await peer.load(x);
        peers.push({ name: peer.name, loaded, started: before === undefined ? undefined : osThreads()! - before });
      }
      const running = peers.flatMap((p) => ('skipped' in p.loaded ? [] : [p.loaded.infer]));
      const times = await timeRoundsAsync([...builds.flatMap((b) => [() => b.one.inferInput(x), () => b.many.inferInput(x)]), ...running], runs, 3);
      builds.forEach((b, i) => {
        const [oneMs, manyMs] = [times[2 * i], times[2 * i + 1]];
        const a = logits(b.one);
        const c = logits(b.many);
        const differ = a.filter((v, k) => !Object.is(v, c[k])).length;
        rows.push({ name: `.wasm ${b.label}, 1 thread`, value: `${median(oneMs).toFixed(1)} ms` });
        rows.push({
          name: `.wasm ${b.label}, ${threads} threads`, value: `${median(manyMs).toFixed(1)} ms`,
          note: `${medianRatio(oneMs, manyMs).toFixed(2)}× faster than 1 thread (median of per-round ratios, quartiles ${ratioQuartiles(oneMs, manyMs)}); logits ${differ === 0 ? `bit-identical (all ${a.length})` : `${differ} of ${a.length} differ`}`,
        });
      });
      let column = 2 * builds.length;
      for (const p of peers) {
        if ('skipped' in p.loaded) {
          rows.push({ name: p.name, value: 'n/a', note: `skipped: ${p.loaded.skipped}` });
          continue;
        }
        const [oneMs, manyMs, peerMs] = [times[0], times[1], times[column++]];
        const threadNote = p.started === undefined ? '' : `${p.loaded.note ? '; ' : ''}it started ${p.started} OS thread(s) beside this one`;
        rows.push({
          name: p.name, value: `${median(peerMs).toFixed(1)} ms`,
          note: `.wasm ${threads} threads is ${medianRatio(peerMs, manyMs).toFixed(2)}× faster (quartiles ${ratioQuartiles(peerMs, manyMs)}), .wasm 1 thread ${medianRatio(peerMs, oneMs).toFixed(2)}× (${p.loaded.note ?? ''}${threadNote})`,
        });
      }
    } finally {
      for (const p of peers) if (!('skipped' in p.loaded)) await p.loaded.dispose();
    }
  } finally {
    for (const b of builds) {
      b.one.dispose();
      b.many.dispose();
    }
  }
  return rows;
}
