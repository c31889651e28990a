/**
 * `cocodiff cv`: leave-one-subject-out cross-validation of a dataset cache (Florence 3D's protocol),
 * one training run per held-out subject, reported per fold and as the mean with its 95 % CI.
 * `--jobs N` trains N folds at once, each in its own process (this command again, asked for one
 * fold: cli/child-runs.ts).
 */
import { Option, type Command } from 'commander';
import { MODALITIES } from '../../common/artifact.ts';
import { printable } from '../../common/terminal.ts';
import { PRESETS } from '../../trainer/train/config.ts';
import { FOLD_KINDS, formatCrossValidation, runCrossValidation, type FoldKind } from '../../trainer/train/cross-validation.ts';
import { backendOption, threadsOption } from '../backend-option.ts';
import { addJobOptions, spawnRunOne } from '../child-runs.ts';
import { addCoCoDiffOptions, cocodiffOfRun, cocodiffText, type CoCoDiffFlags, type CoCoDiffSwitch } from '../cocodiff-options.ts';
import { addModelSizeOptions } from '../model-size-options.ts';
import { integer, number, positiveInt } from '../options.ts';
import { trainingOptions, type TrainingFlags } from '../training-flags.ts';

type Flags = TrainingFlags &
  CoCoDiffFlags &
  CoCoDiffSwitch & {
    data: string;
    out: string;
    folds: FoldKind;
    jobs: number;
    /** The held-out subject of the one fold a spawned process trains. */
    runOne?: string;
  };

export function register(program: Command): void {
  const command = program
    .command('cv')
    .description(
      'Leave-one-subject-out cross-validation: regroups a dataset cache\'s clips into one fold per subject, trains a model per fold ' +
        '(the other subjects train, the held-out one is scored once) and reports each fold\'s test top-1 and their mean with its 95 % CI; ' +
        'writes OUT/cv.md, OUT/cv.json and OUT/fold-<subject>/{cache,run} (re-running continues an interrupted cross-validation); ' +
        'takes train\'s flags, CoCoDiff\'s included, for every fold, and --jobs N trains N folds at once',
    )
    .requiredOption('--data <dir>', 'dataset cache whose clip names carry the subject (`cocodiff prepare florence`, `msr3d`, `ucla`, `clips`, `ntu`)')
    .requiredOption('--out <dir>', 'output directory: a cache and a run per fold, plus the tables')
    .addOption(new Option('--folds <kind>', 'what each fold holds out').choices([...FOLD_KINDS]).default('subject'));
  addModelSizeOptions(command)
    .addOption(new Option('--modality <m>', 'input stream (default joint)').choices(MODALITIES as string[]))
    .addOption(new Option('--preset <name>', 'training preset of every fold (see `cocodiff train --help`)').choices(Object.keys(PRESETS)))
    .option('--epochs <n>', 'epochs per fold (default: the preset\'s)', positiveInt('--epochs'))
    .option('--batch <n>', 'batch size (default: the preset\'s)', positiveInt('--batch'))
    .option('--repeat <n>', 'passes over the training recordings per epoch (default: the preset\'s)', positiveInt('--repeat'))
    .option('--lr <lr>', 'base learning rate after warm-up (default 0.1 × batch / 64)', number('--lr'))
    .option('--seed <s>', 'seed of every fold\'s initialisation, sample order, augmentation and validation draw (default 1)', integer('--seed'))
    .option('--val-fraction <f>', 'fraction of each fold\'s training subjects held out to choose the epoch (default 0.2; 0 = the last epoch)', number('--val-fraction'))
    .option('--no-augment', 'train on the test transform (no random crop or rotation)')
    .addOption(backendOption())
    .addOption(threadsOption());
  addJobOptions(addCoCoDiffOptions(command, { textSwitches: true }), 'the held-out SUBJECT')
    .action(async (f: Flags) => {
      const report = await runCrossValidation({
        data: f.data,
        out: f.out,
        folds: f.folds,
        training: {
          ...trainingOptions(f),
          // Recorded in cv.json only when on: cross-validations from before CoCoDiff was offered here continue.
          cocodiff: cocodiffOfRun('cv', f),
          ...cocodiffText(f),
        },
        jobs: f.jobs,
        spawn: (subject, signal) => spawnRunOne(subject, `cv: fold ${subject}`, signal),
        only: f.runOne,
        log: (line) => console.error(line),
      });
      if (f.runOne !== undefined) return;
      for (const fold of report.folds) {
        console.log(`${fold.subject.padEnd(6)} test top-1 ${(100 * fold.testTop1).toFixed(2).padStart(6)} % of ${String(fold.testClips).padStart(4)} clips (trained on ${fold.trainClips}, epoch ${fold.epoch}, ${fold.wallSeconds.toFixed(0)} s)`);
      }
      console.log(formatCrossValidation(report));
      console.log(`tables: ${printable(f.out)}/cv.md, ${printable(f.out)}/cv.json`);
    });
}
