import type { Command } from 'commander';
import { positiveInt } from '../options.ts';
import { benchArtifact, formatTable } from '../../compiler/bench.ts';
import { loadArtifact } from '../../compiler/load.ts';
import { tfjsBenchPeer } from '../../trainer/model/reference.ts';
import { benchStreamModule, formatStreamBench } from '../bench-stream.ts';
import { onnxRuntimeBenchPeer } from '../onnxruntime-peer.ts';

export function register(program: Command): void {
  program
    .command('bench')
    .description('Benchmark the compiled .wasm against tfjs (wasm and cpu backends), onnxruntime-web (when installed) and a SIMD matmul micro-kernel, with per-layer and per-kernel breakdowns')
    .argument('<artifact>', 'model artifact directory (model.json + weights.bin)')
    .option('--runs <n>', 'timed runs per measurement (median reported)', positiveInt('--runs'), 20)
    .option('--skip-cpu', 'leave out tfjs cpu (seconds per run on the full model)')
    .option('--stride <n>', 'streaming: infer every n pushed frames', positiveInt('--stride'), 8)
    .action(async (dir: string, f: { runs: number; skipCpu?: boolean; stride: number }) => {
      const { runs, stride } = f;
      const { artifact, graph } = await loadArtifact(dir);
      const rounds = Math.max(3, Math.min(runs, 10));
      const peers = [
        tfjsBenchPeer(artifact, 'wasm', rounds),
        onnxRuntimeBenchPeer(artifact, rounds),
        ...(f.skipCpu ? [] : [tfjsBenchPeer(artifact, 'cpu', 3)]),
      ];
      const { rows, layers, kernels, module } = await benchArtifact(artifact, graph, { runs, peers, log: (l) => console.error(l) });
      const persons = artifact.model.input.M;
      console.log(`cocodiff bench ${dir}  (batch 1, one thread, median of ${runs})\n`);
      console.log(formatTable(rows));
      console.log(`\nper layer (profiling build, ${persons} person(s)):`);
      console.log(formatTable(layers));
      console.log(`\nper kernel (profiling build, ${persons} person(s)):`);
      console.log(formatTable(kernels));
      const streaming = await benchStreamModule(module.wasm, { stride, sidecar: module.sidecar });
      console.log('\n' + formatStreamBench(dir, streaming).join('\n'));
    });
}
