/**
 * `cocodiff bench-train`: training samples/s of synth-quick and the full CTR-GCN on every tfjs
 * backend that loads here (trainer/train/bench-train.ts), as one table with ratios from the same run.
 */
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { BACKEND_CHOICES, setWasmThreads } from '../../trainer/backend.ts';
import { BENCH_MODELS, benchTrain, formatBenchTrain, loadableBackends, type BenchModel } from '../../trainer/train/bench-train.ts';
import { threadsOption } from '../backend-option.ts';
import { integer, nonNegativeInt, positiveInt } from '../options.ts';

interface Flags {
  backends?: string;
  models: string;
  batch: string;
  warmup: number;
  steps: number;
  seed: number;
  threads?: number;
}

/** A comma-separated list, each item one of `allowed`. */
function listOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim());
  for (const item of items) if (!allowed.includes(item as T)) throw new UserError(`${flag}: expected a comma-separated list of ${allowed.join(', ')}, found "${item}"`);
  return items as T[];
}

export function register(program: Command): void {
  program
    .command('bench-train')
    .description('training samples/s (forward + backward + update) of synth-quick and the full CTR-GCN on every tfjs backend present, with ratios')
    .option('--backends <list>', 'backends to time, comma-separated (default: every one that loads here, a software WebGPU adapter included)')
    .option('--models <list>', `models, comma-separated: ${Object.keys(BENCH_MODELS).join(', ')}`, Object.keys(BENCH_MODELS).join(','))
    .option('--batch <list>', 'batch sizes, comma-separated', '16,64')
    .option('--warmup <n>', 'untimed steps first (a GPU backend compiles its shaders in the first)', nonNegativeInt('--warmup'), 1)
    .option('--steps <n>', 'timed steps per cell (the median is reported)', positiveInt('--steps'), 3)
    .option('--seed <n>', 'seed of the weights and the random batch', integer('--seed'), 1)
    .addOption(threadsOption())
    .addHelpText('after', '\nInput is random with the NTU-60 shape (25 joints, 2 persons, 60 classes). A cell that fails (out of memory) says so and the rest go on.\nPyTorch is compared only where `python3 -c "import torch"` works; otherwise the table says it was not found.')
    .action(async (f: Flags) => {
      setWasmThreads(f.threads);
      const models = listOf('--models', f.models, Object.keys(BENCH_MODELS) as BenchModel[]);
      const batches = f.batch.split(',').map((s) => positiveInt('--batch')(s.trim()));
      const backends = f.backends ? listOf('--backends', f.backends, BACKEND_CHOICES.filter((b) => b !== 'auto')) : await loadableBackends();
      console.error(`backends: ${backends.map((b) => (b === 'wasm' && f.threads ? `wasm (${f.threads} thread${f.threads === 1 ? '' : 's'})` : b)).join(', ')}; ${f.warmup} warm-up + ${f.steps} timed steps per cell`);
      const cells = await benchTrain({ backends, models, batches, warmup: f.warmup, steps: f.steps, seed: f.seed, log: (l) => console.error(l) });
      console.log(`cocodiff bench-train  (samples/s: median (min–max) of ${f.steps} steps after ${f.warmup} warm-up; seed ${f.seed})\n`);
      console.log(formatBenchTrain(cells, backends));
      const torch = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' });
      if (torch.status !== 0) console.log('\nPyTorch: not compared (python3 -c "import torch" fails on this machine)');
      else console.log('\nPyTorch: torch is installed, but this benchmark has no PyTorch runner yet; not compared');
    });
}
