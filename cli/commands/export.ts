import { Command, Option } from 'commander';
import { exportRun } from '../../trainer/train/export.ts';
import { FORCE_HELP } from '../options.ts';
import { printable } from '../../common/terminal.ts';

export function register(program: Command): void {
  program
    .command('export')
    .description('Write the model artifact (model.json + weights.bin, inference weights only) of a training run')
    .argument('<run_dir>', 'run directory made by `cocodiff train`')
    .requiredOption('--out <dir>', 'artifact directory to write (a new or empty directory; see --force)')
    .option('--force', FORCE_HELP)
    .addOption(new Option('--epoch <which>', 'the epoch chosen on the validation split (best), or the last one').choices(['best', 'last']).default('best'))
    .action(async (runDir: string, f: { out: string; epoch: 'best' | 'last'; force?: boolean }) => {
      const m = await exportRun(runDir, f.out, f.epoch, { force: f.force });
      const top1 = m.metrics.testTop1;
      console.log(`${printable(f.out)}: ${m.classes.length} classes, ${m.weights.length} tensors, epoch ${m.provenance.epoch} (${f.epoch})${typeof top1 === 'number' ? `, test top-1 ${(100 * top1).toFixed(2)} %` : ''}`);
    });
}
