import type { Command } from 'commander';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { positiveInt } from '../options.ts';
import { benchArtifact, formatTable, type BenchPeer } from '../../compiler/bench.ts';
import type { Graph } from '../../compiler/ir.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { BACKENDS, type Backend } from '../../trainer/backend.ts';
import { tfjsBenchPeer } from '../../trainer/model/reference.ts';
import { benchStreamModule, formatStreamBench } from '../bench-stream.ts';
import { onnxRuntimeBenchPeer, ORT_INT8_PEER } from '../onnxruntime-peer.ts';
import { benchThreads } from '../bench-threads.ts';
import { MAX_THREADS } from '../../compiler/codegen/threads.ts';
import { readInputBytes } from 'cocodiff-runtime/shared/formats/read-input';
import { printable } from '../../common/terminal.ts';
import { addInt8Options, int8FromFlags, type Int8Flags } from '../int8-option.ts';

/** The trainer backends the tfjs model is timed on: `slow` ones get few rounds and --skip-cpu leaves them out. */
const tfjsPeers = (kind: Backend['bench']) => BACKENDS.filter((b) => b.bench === kind);
const names = (backends: readonly Backend[]): string => backends.map((b) => b.name).join(' and ');

export function register(program: Command): void {
  const command = program
    .command('bench')
    .description(`Benchmark the compiled .wasm against tfjs (${names([...tfjsPeers('peer'), ...tfjsPeers('slow')])} backends), onnxruntime-web (when installed) and a SIMD matmul micro-kernel, with per-layer and per-kernel breakdowns`)
    .argument('<artifact>', 'model artifact directory (model.json + weights.bin)')
    .option('--runs <n>', 'timed runs per measurement (median reported)', positiveInt('--runs'), 20)
    .option('--skip-cpu', `leave out tfjs ${names(tfjsPeers('slow'))} (seconds per run on the full model)`)
    .option('--stride <n>', 'streaming: infer every n pushed frames', positiveInt('--stride'), 8)
    .option('--baseline <wasm>', 'an earlier build of the same model (e.g. by an older compiler), timed in turns with this one, its logits compared')
    .option('--baseline-profile <wasm>', 'the earlier compiler\'s profiling build of the same model: per-kernel shares side by side (needs --baseline)')
    .option('--threads <n>', 'also time the module compiled with --threads n against 1 thread (with --int8, the int8 build too), and onnxruntime-web and tfjs wasm with n threads (which then run only there: each fixes its threads once per process)', positiveInt('--threads', MAX_THREADS));
  addInt8Options(command, 'also time the int8 build (compile --int8), and onnxruntime-web on its QDQ model (export-onnx --int8)')
    .action(async (dir: string, f: Int8Flags & { runs: number; skipCpu?: boolean; stride: number; baseline?: string; baselineProfile?: string; threads?: number }) => {
      const { runs, stride } = f;
      if (f.baselineProfile && !f.baseline) throw new UserError('--baseline-profile: only used with --baseline');
      const { artifact, graph } = await loadArtifact(dir);
      const int8 = await int8FromFlags(f, async () => artifact);
      const rounds = Math.max(3, Math.min(runs, 10));
      // onnxruntime-web and tfjs's wasm backend fix their thread counts once per process: with
      // --threads they run only in the threads table (tfjs's other peers keep their own threads).
      const threads = f.threads ?? 1;
      const threaded = threads > 1;
      const inThreadsTable = (name: string): BenchPeer => ({ name, rounds, load: async () => ({ skipped: `runs ${threads} threads in this process: see the threads table` }) });
      const peers = [
        ...tfjsPeers('peer').map((b) => (threaded && b.name === 'wasm' ? inThreadsTable(`tfjs ${b.name}`) : tfjsBenchPeer(artifact, b.name, rounds))),
        ...(threaded ? [] : [onnxRuntimeBenchPeer(artifact, rounds)]),
        ...(f.skipCpu ? [] : tfjsPeers('slow').map((b) => tfjsBenchPeer(artifact, b.name, 3))),
      ];
      const int8Peers = int8 && ((lowered: Graph): BenchPeer[] => [threaded
        ? { name: ORT_INT8_PEER, rounds, load: async () => ({ skipped: `left out with --threads ${threads}: onnxruntime-web runs ${threads} threads in this process (it fixes its thread count once)` }) }
        : onnxRuntimeBenchPeer(artifact, rounds, 1, { lowered, calibration: { method: int8.method, samples: int8.inputs.length } })]);
      const baseline = f.baseline ? { wasm: await readWasm(f.baseline, '--baseline'), profile: f.baselineProfile ? await readWasm(f.baselineProfile, '--baseline-profile') : undefined } : undefined;
      const { rows, layers, kernels, baselineKernels, int8Kernels, module, int8Module } = await benchArtifact(artifact, graph, { runs, peers, baseline, int8, int8Peers, log: (l) => console.error(l) });
      const threadRows = threaded
        ? await benchThreads(artifact, graph, {
          threads, runs, peers: [onnxRuntimeBenchPeer(artifact, rounds, threads), tfjsBenchPeer(artifact, 'wasm', rounds, threads)], log: (l) => console.error(l),
          int8: int8 && int8Module && { ...int8, ranges: int8Module.ranges },
          // bench's own f32 SIMD build, and its int8 build when the plain SIMD one was the faster.
          oneThread: { SIMD: module.wasm, ...(int8Module?.label === 'SIMD' ? { 'int8 SIMD': int8Module.wasm } : {}) },
        })
        : undefined;
      const persons = artifact.model.input.M;
      console.log(`cocodiff bench ${printable(dir)}  (batch 1, one thread, median of ${runs})\n`);
      console.log(formatTable(rows));
      console.log(`\nper layer (profiling build, ${persons} person(s)):`);
      console.log(formatTable(layers));
      console.log(`\nper kernel (profiling build, ${persons} person(s)):`);
      console.log(formatTable(kernels));
      if (threadRows) {
        console.log(`\nthreads (the module compiled with --threads ${threads}, in turns with 1 thread, onnxruntime-web and tfjs wasm, median of ${runs}):`);
        console.log(formatTable(threadRows));
      }
      if (int8Kernels) {
        console.log(`\nper kernel, int8 SIMD build (profiling build, ${persons} person(s)):`);
        console.log(formatTable(int8Kernels));
      }
      if (baselineKernels) {
        console.log(`\nper kernel, this build vs the baseline (profiling builds in turns, ${persons} person(s)):`);
        console.log(formatTable(baselineKernels));
      }
      const streaming = await benchStreamModule(module.wasm, { stride, sidecar: module.sidecar });
      console.log('\n' + formatStreamBench(`${dir}, .wasm SIMD`, streaming).join('\n'));
      if (int8Module) {
        const int8Streaming = await benchStreamModule(int8Module.wasm, { stride, sidecar: int8Module.sidecar });
        console.log('\n' + formatStreamBench(`${dir}, .wasm int8 ${int8Module.label}`, int8Streaming).join('\n'));
      }
    });
}

async function readWasm(path: string, option: string): Promise<Uint8Array> {
  const bytes = await readInputBytes(path, `the module of ${option}`);
  if (!WebAssembly.validate(bytes)) throw new UserError(`${option}: ${path} is not a valid WebAssembly module`);
  return new Uint8Array(bytes);
}
