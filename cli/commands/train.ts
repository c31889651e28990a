import { Command, Option } from 'commander';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { MODALITIES } from '../../common/artifact.ts';
import { PRESETS, type TrainOptions } from '../../trainer/train/config.ts';
import { runTraining } from '../../trainer/train/train.ts';
import { backendOption, threadsOption } from '../backend-option.ts';
import { addCoCoDiffOptions, cocodiffOfRun, cocodiffText, type CoCoDiffFlags, type CoCoDiffSwitch } from '../cocodiff-options.ts';
import { addModelSizeOptions } from '../model-size-options.ts';
import { integer, number, positiveInt } from '../options.ts';
import { trainingOptions, type TrainingFlags } from '../training-flags.ts';
import { printable } from '../../common/terminal.ts';

/** The flags `train` adds to the shared groups, as the library names them where it has them. */
type Flags = TrainingFlags &
  CoCoDiffFlags &
  CoCoDiffSwitch &
  Pick<TrainOptions, 'quiet' | 'trainPerClass'> & {
    data?: string;
    out?: string;
    backbone: string;
    /** The run directory, or true for --out's. */
    resume?: string | boolean;
  };

export function register(program: Command): void {
  const command = program
    .command('train')
    .description('Train CTR-GCN (optionally with the CoCoDiff branch) on a dataset cache; writes checkpoints, metrics.jsonl, curves.svg, confusion.svg and the model artifact into the run directory')
    .option('--data <dir>', 'dataset cache (from `cocodiff prepare` or `cocodiff synth`)')
    .option('--out <dir>', 'run directory')
    .addOption(new Option('--backbone <name>', 'backbone').choices(['ctrgcn']).default('ctrgcn'));
  addModelSizeOptions(command)
    .addOption(new Option('--modality <m>', 'input stream (default joint)').choices(MODALITIES as string[]))
    .option('--epochs <n>', 'epochs (default 65; synth-quick 6; with --resume, extends the run)', positiveInt('--epochs'))
    .option('--batch <n>', 'batch size (default 64; synth-quick and ucla 16)', positiveInt('--batch'))
    .option('--repeat <n>', 'passes over the training recordings per epoch (default 1; ucla 5)', positiveInt('--repeat'))
    .option('--lr <lr>', 'base learning rate after warm-up (default 0.1 × batch / 64)', number('--lr'))
    .option('--seed <s>', 'seed for initialisation, sample order and augmentation (default 1)', integer('--seed'))
    .addOption(backendOption())
    .addOption(threadsOption())
    .addOption(new Option('--preset <name>', 'synth-quick: a smaller model and schedule; ucla: the authors\' NW-UCLA protocol and recipe (docs/training.md); explicit flags still win').choices(Object.keys(PRESETS)))
    .option('--resume [run_dir]', 'continue a run from its last checkpoint (the run directory, or --out)')
    .option('--quiet', 'no progress bars or per-epoch lines')
    .option('--val-fraction <f>', 'fraction of the training subjects held out to choose the epoch (default 0.2, ucla 0; 0 = none, the last epoch is used)', number('--val-fraction'))
    .option('--train-per-class <k>', 'train on K recordings per class (low-data runs; drawn from the seed)', integer('--train-per-class'))
    .option('--no-augment', 'train on the test transform (no random crop or rotation)');
  addCoCoDiffOptions(command, { textSwitches: true })
    .action(async (f: Flags) => {
      const out = typeof f.resume === 'string' ? f.resume : f.out;
      if (!out) throw new UserError('train: --out RUN_DIR is required (or --resume RUN_DIR)');
      if (typeof f.resume === 'string' && f.out && f.out !== f.resume) throw new UserError(`train: --resume ${f.resume} and --out ${f.out} name different runs`);
      if (!f.resume && !f.data) throw new UserError('train: --data DIR is required');
      const opts: TrainOptions = {
        data: f.data ?? '',
        out,
        ...trainingOptions(f),
        trainPerClass: f.trainPerClass,
        resume: Boolean(f.resume),
        quiet: f.quiet,
        // On --resume, CoCoDiff flags are compared with the run's (a differing one is refused).
        cocodiff: cocodiffOfRun('train', f, Boolean(f.resume)),
        ...cocodiffText(f),
      };
      const r = await runTraining(opts);
      console.log(`chosen epoch ${r.chosen.epoch}: ${r.chosen.reason}`);
      console.log(`clean train top-1 ${(100 * r.cleanTrain.top1).toFixed(2)} % (${r.cleanTrain.samples} training recordings, test transform), validation ${r.chosen.valTop1 === null ? 'n/a' : `${(100 * r.chosen.valTop1).toFixed(2)} %`}`);
      console.log(`test top-1 ${(100 * r.test.top1).toFixed(2)} %, top-5 ${(100 * r.test.top5).toFixed(2)} % (${r.test.samples} recordings, scored once with epoch ${r.chosen.epoch}), ${r.wallSeconds.toFixed(1)} s, ${r.msPerStep.toFixed(1)} ms/step`);
      console.log(`run: ${printable(r.runDir)}`);
      console.log(`artifact: ${printable(r.artifactDir)}`);
    });
}
