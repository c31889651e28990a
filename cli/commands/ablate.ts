/**
 * `cocodiff ablate`: the CoCoDiff ablation (baseline; + diffusion without text; + fine; + coarse;
 * + both) over seed-paired runs, as a table of test top-1 (mean ± std) and each variant's paired
 * difference from the baseline with its 95 % confidence interval, plus a picture of every seed.
 * `--jobs N` runs N trainings at once, each in its own process (this command again, asked for one run).
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { positiveInt } from '../options.ts';
import { formatDifference, formatStat, runAblation, VARIANTS, writeTables, type Job } from '../../trainer/cocodiff/ablation.ts';
import type { CoCoDiffOptions } from '../../trainer/cocodiff/types.ts';
import type { BackendName } from '../../trainer/backend.ts';
import type { PresetName } from '../../trainer/train/config.ts';
import { timestepRange } from './train.ts';
import { backendOption } from '../backend-option.ts';

interface Flags {
  data: string;
  out: string;
  preset?: PresetName;
  seeds: number;
  otherSeeds?: number;
  trainPerClass?: number;
  valFraction?: string;
  epochs?: number;
  batch?: number;
  width?: string;
  blocks?: number;
  frames?: number;
  backend: BackendName;
  variants?: string;
  baselineFrom?: string;
  denoiserWidth?: number;
  denoiserBlocks?: number;
  genT?: [number, number];
  eta?: string;
  lambdaGen?: string;
  lambdaCoarse?: string;
  detachBranch?: boolean;
  matchNorm?: boolean;
  unitNormOutput?: boolean;
  genCe: boolean;
  text?: string;
  textEmbeddings?: string;
  jobs: number;
  runOne?: string;
}

const num = (flag: string, text?: string): number | undefined => {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new UserError(`${flag}: expected a number, found "${text}"`);
  return v;
};

/** Runs `cocodiff ablate <same flags> --run-one variant@seed` and waits for it. */
function spawnRun(job: Job): Promise<void> {
  const args = process.argv.slice(1).filter((a, i, all) => !(a === '--jobs' || all[i - 1] === '--jobs' || a.startsWith('--jobs=')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, ...args, '--jobs', '1', '--run-one', `${job.variant}@${job.seed}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new UserError(`ablate: the run ${job.variant}, seed ${job.seed} failed (${signal ?? `exit ${code}`}); re-run the same command to resume`))));
  });
}

export function register(program: Command): void {
  program
    .command('ablate')
    .description(
      'Train each CoCoDiff ablation variant on the same seeds (same initialisation, same K recordings per class) and report test top-1 ' +
        '(mean ± std), each variant\'s paired difference from the baseline with its 95 % CI, and wall time; writes OUT/ablation.md, ' +
        'OUT/ablation.svg and OUT/ablation.json (re-running continues an interrupted ablation)',
    )
    .requiredOption('--data <dir>', 'dataset cache (from `cocodiff synth` or `cocodiff prepare`)')
    .requiredOption('--out <dir>', 'output directory: one run per variant and seed, plus the tables')
    .option('--preset <name>', 'training preset (synth-quick)')
    .option('--seeds <n>', 'seeds 1..n for the baseline and full CoCoDiff', positiveInt('--seeds'), 3)
    .option('--other-seeds <n>', 'seeds 1..n for the three intermediate variants (default: --seeds)', positiveInt('--other-seeds'))
    .option('--train-per-class <k>', 'each run trains on K recordings per class, the same K for every variant of a seed', positiveInt('--train-per-class'))
    .option('--val-fraction <f>', 'fraction of the training subjects held out to choose the epoch (default 0.2)')
    .option('--epochs <n>', 'epochs per run (default: the preset\'s)', positiveInt('--epochs'))
    .option('--batch <n>', 'batch size (default: the preset\'s)', positiveInt('--batch'))
    .option('--width <w>', 'backbone width multiplier (default: the preset\'s)')
    .option('--blocks <n>', 'backbone TCN-GCN units (default: the preset\'s)', positiveInt('--blocks'))
    .option('--frames <T>', 'frames the network sees (default: the preset\'s)', positiveInt('--frames'))
    .addOption(backendOption())
    .option('--baseline-from <dir>', 'take the baseline runs from this earlier ablation (same data, model and training; other CoCoDiff settings) instead of training them again')
    .option('--variants <list>', `comma-separated subset, by index or name: ${VARIANTS.map((v, i) => `${i}=${v.name}`).join(', ')}`)
    .option('--denoiser-width <n>', 'CoCoDiff denoiser width for every CoCoDiff variant', positiveInt('--denoiser-width'))
    .option('--denoiser-blocks <n>', 'CoCoDiff denoiser residual blocks', positiveInt('--denoiser-blocks'))
    .option('--gen-t <min:max>', 'CoCoDiff: timesteps the generated features are denoised from', timestepRange)
    .option('--eta <η>', 'CoCoDiff: DDIM η')
    .option('--lambda-gen <w>', 'CoCoDiff: weight of CE on generated features')
    .option('--lambda-coarse <w>', 'CoCoDiff: weight of the coarse contrastive loss')
    .option('--detach-branch', 'CoCoDiff: the earlier gradient paths (x0 detached, CE on generated features stopped before the denoiser)')
    .option('--match-norm', 'CoCoDiff: rescale generated features to their real feature\'s norm (earlier patch)')
    .option('--unit-norm-output', 'CoCoDiff: unit-norm rows into the denoiser\'s output map (earlier patch)')
    .option('--no-gen-ce', 'CoCoDiff: do not classify the generated features (only the fine and coarse losses act)')
    .option('--text <file>', 'descriptions JSON (default: the project\'s file for the dataset)')
    .option('--text-embeddings <file>', 'precomputed text embeddings (JSON or .npy) instead of the built-in encoder')
    .option('--jobs <n>', 'trainings at once, each in its own process (e.g. one per core)', positiveInt('--jobs'), 1)
    .option('--run-one <variant@seed>', 'internal: train one run of the ablation in this process')
    .action(async (f: Flags) => {
      const cocodiff: Partial<CoCoDiffOptions> = {
        ...(f.denoiserWidth ? { denoiserWidth: f.denoiserWidth } : {}),
        ...(f.denoiserBlocks ? { denoiserBlocks: f.denoiserBlocks } : {}),
        ...(f.genT ? { genT: f.genT } : {}),
        ...(f.eta !== undefined ? { eta: num('--eta', f.eta) } : {}),
        ...(f.lambdaGen !== undefined ? { lambdaGen: num('--lambda-gen', f.lambdaGen) } : {}),
        ...(f.lambdaCoarse !== undefined ? { lambdaCoarse: num('--lambda-coarse', f.lambdaCoarse) } : {}),
        ...(f.detachBranch ? { detachBranch: true } : {}),
        ...(f.matchNorm ? { matchNorm: true } : {}),
        ...(f.unitNormOutput ? { unitNormOutput: true } : {}),
        ...(f.genCe ? {} : { genCe: false }),
      };
      let only: Job | undefined;
      if (f.runOne) {
        const m = /^(.+)@(\d+)$/.exec(f.runOne);
        if (!m) throw new UserError(`--run-one: expected VARIANT@SEED, found "${f.runOne}"`);
        only = { variant: m[1], seed: Number(m[2]) };
      }
      const report = await runAblation({
        data: f.data,
        out: f.out,
        seeds: f.seeds,
        otherSeeds: f.otherSeeds,
        trainPerClass: f.trainPerClass,
        valFraction: num('--val-fraction', f.valFraction),
        preset: f.preset,
        epochs: f.epochs,
        batch: f.batch,
        width: num('--width', f.width),
        blocks: f.blocks,
        frames: f.frames,
        backend: f.backend,
        variants: f.variants?.split(',').map((s) => s.trim()).filter(Boolean),
        baselineFrom: f.baselineFrom,
        cocodiff,
        textFile: f.text,
        embeddingsFile: f.textEmbeddings,
        jobs: f.jobs,
        spawn: spawnRun,
        only,
        log: (line) => console.error(line),
      });
      if (only) return;
      const rows = await writeTables(f.out, report);
      console.log(`${'variant'.padEnd(22)}${'seeds'.padStart(6)}  ${'test top-1 (%)'.padEnd(14)}  ${'Δ test, points [95 % CI]'.padEnd(32)}  ${'val top-1 (%)'.padEnd(14)}  ${'Δ val, points [95 % CI]'.padEnd(32)}  wall (s)`);
      for (const r of rows) {
        console.log(`${r.variant.padEnd(22)}${String(r.n).padStart(6)}  ${formatStat(r.top1).padEnd(14)}  ${formatDifference(r.diff).padEnd(32)}  ${formatStat(r.val).padEnd(14)}  ${formatDifference(r.valDiff).padEnd(32)}  ${r.wall.mean.toFixed(0).padStart(8)}`);
      }
      console.log(`tables: ${f.out}/ablation.md, ${f.out}/ablation.svg, ${f.out}/ablation-curves.svg`);
    });
}
