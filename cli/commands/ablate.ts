/**
 * `cocodiff ablate`: the CoCoDiff ablation (baseline; + diffusion without text; + fine; + coarse;
 * + both) over seed-paired runs, as a table of test top-1 (mean ± std) and each variant's paired
 * difference from the baseline with its 95 % confidence interval, plus a picture of every seed.
 * `--jobs N` runs N trainings at once, each in its own process (this command again, asked for one
 * run: cli/child-runs.ts).
 */
import { Option, type Command } from 'commander';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { formatDifference, formatStat, runAblation, VARIANTS, writeTables, type AblationOptions, type Job } from '../../trainer/cocodiff/ablation.ts';
import { PRESETS } from '../../trainer/train/config.ts';
import { backendOption, threadsOption, type BackendFlags } from '../backend-option.ts';
import { addCoCoDiffOptions, cocodiffOverrides, cocodiffText, referenceSettingsLr, type CoCoDiffFlags } from '../cocodiff-options.ts';
import { addModelSizeOptions, modelSize, type ModelSizeFlags } from '../model-size-options.ts';
import { addJobOptions, spawnRunOne } from '../child-runs.ts';
import { number, positiveInt } from '../options.ts';
import { printable } from '../../common/terminal.ts';

/** The flags `ablate` adds to the shared groups, as the library names them where it has them. */
type Flags = ModelSizeFlags &
  CoCoDiffFlags &
  BackendFlags &
  Pick<AblationOptions, 'data' | 'out' | 'preset' | 'seeds' | 'otherSeeds' | 'trainPerClass' | 'valFraction' | 'epochs' | 'batch' | 'baselineFrom' | 'jobs'> & {
    /** Comma-separated names or indices. */
    variants?: string;
    /** VARIANT@SEED. */
    runOne?: string;
    /** --no-augment: true unless given. */
    augment: boolean;
  };

export function register(program: Command): void {
  const command = program
    .command('ablate')
    .description(
      'Train each CoCoDiff ablation variant on the same seeds (same initialisation, same K recordings per class) and report test top-1 ' +
        '(mean ± std), each variant\'s paired difference from the baseline with its 95 % CI, and wall time; writes OUT/ablation.md, ' +
        'OUT/ablation.svg and OUT/ablation.json (re-running continues an interrupted ablation)',
    )
    .requiredOption('--data <dir>', 'dataset cache (from `cocodiff synth` or `cocodiff prepare`)')
    .requiredOption('--out <dir>', 'output directory: one run per variant and seed, plus the tables')
    .addOption(new Option('--preset <name>', 'training preset').choices(Object.keys(PRESETS)))
    .option('--seeds <n>', 'seeds 1..n for the baseline and full CoCoDiff', positiveInt('--seeds'), 3)
    .option('--other-seeds <n>', 'seeds 1..n for the three intermediate variants (default: --seeds)', positiveInt('--other-seeds'))
    .option('--train-per-class <k>', 'each run trains on K recordings per class, the same K for every variant of a seed', positiveInt('--train-per-class'))
    .option('--val-fraction <f>', 'fraction of the training subjects held out to choose the epoch (default 0.2, with --preset ucla too)', number('--val-fraction'))
    .option('--epochs <n>', 'epochs per run (default: the preset\'s)', positiveInt('--epochs'))
    .option('--batch <n>', 'batch size (default: the preset\'s)', positiveInt('--batch'))
    .option('--no-augment', 'train every run on the test transform (no random crop or rotation)');
  addModelSizeOptions(command)
    .addOption(backendOption())
    .addOption(threadsOption())
    .option('--baseline-from <dir>', 'take the baseline runs from this earlier ablation (same data, model and training; other CoCoDiff settings) instead of training them again')
    .option('--variants <list>', `comma-separated subset, by index or name: ${VARIANTS.map((v, i) => `${i}=${v.name}`).join(', ')}`);
  addJobOptions(addCoCoDiffOptions(command, { textSwitches: false }), 'VARIANT@SEED')
    .action(async (f: Flags) => {
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
        augment: f.augment ? undefined : false,
        valFraction: f.valFraction,
        preset: f.preset,
        epochs: f.epochs,
        batch: f.batch,
        lr: referenceSettingsLr(f),
        ...modelSize(f),
        backend: f.backend,
        threads: f.threads,
        variants: f.variants?.split(',').map((s) => s.trim()).filter(Boolean),
        baselineFrom: f.baselineFrom,
        cocodiff: cocodiffOverrides(f),
        ...cocodiffText(f),
        jobs: f.jobs,
        spawn: (job, signal) => spawnRunOne(`${job.variant}@${job.seed}`, `ablate: the run ${job.variant}, seed ${job.seed}`, signal),
        only,
        log: (line) => console.error(line),
      });
      if (only) return;
      const rows = await writeTables(f.out, report);
      console.log(`${'variant'.padEnd(22)}${'seeds'.padStart(6)}  ${'test top-1 (%)'.padEnd(14)}  ${'Δ test, points [95 % CI]'.padEnd(32)}  ${'val top-1 (%)'.padEnd(14)}  ${'Δ val, points [95 % CI]'.padEnd(32)}  ${'clean train (%)'.padEnd(15)}  wall (s)`);
      for (const r of rows) {
        console.log(`${r.variant.padEnd(22)}${String(r.n).padStart(6)}  ${formatStat(r.top1).padEnd(14)}  ${formatDifference(r.diff).padEnd(32)}  ${formatStat(r.val).padEnd(14)}  ${formatDifference(r.valDiff).padEnd(32)}  ${formatStat(r.cleanTrain).padEnd(15)}  ${r.wall.mean.toFixed(0).padStart(8)}`);
      }
      console.log(`tables: ${printable(f.out)}/ablation.md, ${printable(f.out)}/ablation.svg, ${printable(f.out)}/ablation-curves.svg`);
    });
}
