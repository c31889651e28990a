import type { Command } from 'commander';
import { FORCE_HELP, nonNegativeInt } from '../options.ts';
import { parseBenchmark } from '../../trainer/data/ntu-names.ts';
import { prepareKinetics, prepareNpz, prepareNtu, type PrepareReport } from '../../trainer/data/prepare.ts';
import { printable } from '../../common/terminal.ts';

function summary(out: string, r: PrepareReport): string {
  const { index } = r;
  const skipped = Object.entries(r.skipped).map(([why, n]) => `\n  skipped ${n}: ${why}`).join('');
  return `wrote ${printable(out)}: ${index.splits.train.samples.length} train + ${index.splits.test.samples.length} test samples, ` +
    `${index.classes.length} classes, layout ${index.layout}${index.benchmark ? `, benchmark ${printable(index.benchmark)}` : ''} in ${r.seconds.toFixed(1)} s${skipped}`;
}

export function register(program: Command): void {
  const prepare = program
    .command('prepare')
    .description('Convert a real skeleton dataset (NTU RGB+D, CTR-GCN .npz, Kinetics-Skeleton) into a dataset cache for training');

  prepare
    .command('ntu')
    .description('NTU RGB+D 60/120 raw .skeleton files → cache (skips the official missing-skeleton samples, splits by benchmark)')
    .requiredOption('--raw <dir>', 'folder holding SsssCcccPpppRrrrAaaa.skeleton files (searched recursively)')
    .requiredOption('--benchmark <name>', 'xsub | xview (NTU-60, actions 1-60) | xsub120 | xset120 (NTU-120)')
    .requiredOption('--out <dir>', 'cache folder to write (a new or empty folder; see --force)')
    .option('--force', FORCE_HELP)
    .option('--threads <n>', 'parser threads (0 = main thread only; default: the cores available)', nonNegativeInt('--threads'))
    .action(async (o: { raw: string; benchmark: string; out: string; threads?: number; force?: boolean }) => {
      const r = await prepareNtu(o.raw, parseBenchmark(o.benchmark), o.out, { threads: o.threads, force: o.force });
      console.log(summary(o.out, r));
    });

  prepare
    .command('npz')
    .description("CTR-GCN's preprocessed NTU .npz (x_train/y_train/x_test/y_test, (N, 300, 150)) → cache, streamed sample by sample")
    .requiredOption('--file <path>', 'the .npz, e.g. NTU60_CS.npz')
    .requiredOption('--out <dir>', 'cache folder to write (a new or empty folder; see --force)')
    .option('--force', FORCE_HELP)
    .action(async (o: { file: string; out: string; force?: boolean }) => {
      const r = await prepareNpz(o.file, o.out, { force: o.force });
      console.log(summary(o.out, r));
    });

  prepare
    .command('kinetics')
    .description('Kinetics-Skeleton (ST-GCN release: kinetics_train/, kinetics_val/ and their *_label.json) → cache')
    .requiredOption('--root <dir>', 'folder holding kinetics_train/, kinetics_val/, kinetics_train_label.json, kinetics_val_label.json')
    .requiredOption('--out <dir>', 'cache folder to write (a new or empty folder; see --force)')
    .option('--force', FORCE_HELP)
    .option('--threads <n>', 'parser threads (0 = main thread only; default: the cores available)', nonNegativeInt('--threads'))
    .action(async (o: { root: string; out: string; threads?: number; force?: boolean }) => {
      const r = await prepareKinetics(o.root, o.out, { threads: o.threads, force: o.force });
      console.log(summary(o.out, r));
    });
}
