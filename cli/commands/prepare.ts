import type { Command } from 'commander';
import { FORCE_HELP, layoutName, nonNegativeInt, numberWhere, positiveInt } from '../options.ts';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { LAYOUT_LIST, LAYOUTS, layoutForJoints, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';
import { prepareClips, type ClipSplitBy } from '../../trainer/data/clips.ts';
import { florenceSpec, msr3dSpec } from '../../trainer/data/clip-presets.ts';
import { prepareUcla } from '../../trainer/data/ucla.ts';
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
    .description('Convert a real skeleton dataset (NTU RGB+D, CTR-GCN .npz, Kinetics-Skeleton, NW-UCLA, MSR Action3D, Florence 3D, a folder of per-clip files) into a dataset cache for training');

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

  prepare
    .command('ucla')
    .description("NW-UCLA as CTR-GCN distributes it (all_sqe/aAA_sBB_eCC_vDD.json) → cache, the authors' cross-view split: views 1-2 train (1,020 clips), view 3 tests (464)")
    .requiredOption('--root <dir>', 'the all_sqe/ folder, or a folder holding it')
    .requiredOption('--out <dir>', OUT_HELP)
    .option('--force', FORCE_HELP)
    .action(async (o: { root: string; out: string; force?: boolean }) => {
      console.log(summary(o.out, await prepareUcla(o.root, o.out, { force: o.force })));
    });

  prepare
    .command('msr3d')
    .description('MSR Action3D (aAA_sSS_eEE_skeleton3D.txt, 20 rows x y z c per frame) → cache: the standard 557 clips, odd subjects train, even subjects test')
    .requiredOption('--root <dir>', 'the folder of skeleton files (real_world_coordinates/)')
    .requiredOption('--out <dir>', OUT_HELP)
    .option('--force', FORCE_HELP)
    .action(async (o: { root: string; out: string; force?: boolean }) => {
      console.log(summary(o.out, await prepareClips(msr3dSpec(o.root), o.out, { force: o.force })));
    });

  prepare
    .command('florence')
    .description('Florence 3D Actions as one file per clip (aAA_sS_idN.txt, 15 rows x y z per frame, millimetres → metres) → cache, split by subject')
    .requiredOption('--root <dir>', 'the folder of clip files')
    .requiredOption('--test-subjects <list>', 'subjects (1-10) whose clips test, e.g. 9,10 (`cocodiff cv` on the cache runs leave-one-subject-out)')
    .requiredOption('--out <dir>', OUT_HELP)
    .option('--force', FORCE_HELP)
    .action(async (o: { root: string; testSubjects: string; out: string; force?: boolean }) => {
      console.log(summary(o.out, await prepareClips(florenceSpec(o.root, groupList('--test-subjects', o.testSubjects)), o.out, { force: o.force })));
    });

  prepare
    .command('clips')
    .description('A folder of per-clip files (text: one joint or one frame per row; or .npy (frames, joints, 3|4)) → cache; label and subject (and view) from named groups of a file-name pattern')
    .requiredOption('--root <dir>', 'folder of clip files (searched recursively; files the pattern does not match are skipped and counted)')
    .requiredOption('--pattern <regex>', 'matched against each file name, with named groups label and subject, optionally view and rep, e.g. ^a(?<label>\\d+)_s(?<subject>\\d+)_e(?<rep>\\d+)\\.txt$')
    .requiredOption('--joints <n>', 'joints per frame', positiveInt('--joints'))
    .option('--layout <name>', `joint layout (${LAYOUT_LIST}); needed when the joint count fits two`, layoutName('--layout'))
    .option('--split <by>', 'what the test split holds out: subject | view', 'subject')
    .option('--test-subjects <list>', 'subjects whose clips test (with --split subject), e.g. 2,4,6')
    .option('--test-views <list>', 'views whose clips test (with --split view), e.g. 3')
    .option('--classes <file>', 'class names, one per line, in the order of the label values sorted (as numbers when all are)')
    .option('--scale <s>', 'multiply every coordinate (0.001: millimetres to metres)', numberWhere('--scale', 'a positive number', (x) => x > 0), 1)
    .requiredOption('--out <dir>', OUT_HELP)
    .option('--force', FORCE_HELP)
    .action(async (o: { root: string; pattern: string; joints: number; layout?: LayoutName; split: string; testSubjects?: string; testViews?: string; classes?: string; scale: number; out: string; force?: boolean }) => {
      if (o.split !== 'subject' && o.split !== 'view') throw new OptionError('split', `expected subject or view, found "${o.split}"`);
      const splitBy: ClipSplitBy = o.split;
      const [flag, list, other] = splitBy === 'subject' ? ['--test-subjects', o.testSubjects, o.testViews !== undefined ? '--test-views' : null] : ['--test-views', o.testViews, o.testSubjects !== undefined ? '--test-subjects' : null];
      if (other) throw new UserError(`${other}: not used with --split ${splitBy} (give ${flag})`);
      if (list === undefined) throw new UserError(`${flag}: required with --split ${splitBy} (the ${splitBy}s whose clips test)`);
      if (o.layout !== undefined && LAYOUTS[o.layout].joints.length !== o.joints) throw new UserError(`--joints ${o.joints}: layout ${o.layout} has ${LAYOUTS[o.layout].joints.length} joints`);
      const layout = layoutForJoints(o.joints, o.layout, `--joints ${o.joints}`, '--layout');
      let pattern: RegExp;
      try {
        pattern = new RegExp(o.pattern);
      } catch (err) {
        throw new UserError(`--pattern: not a regular expression (${(err as Error).message})`);
      }
      const classes = o.classes ? (await readInputText(o.classes, 'the class names')).split(/\r?\n/).map((l) => l.trim()).filter(Boolean) : undefined;
      const spec = { root: o.root, pattern, layout: layout.name, splitBy, testGroups: groupList(flag, list), classes, scale: o.scale, benchmark: `clips-${splitBy}` };
      console.log(summary(o.out, await prepareClips(spec, o.out, { force: o.force })));
    });
}

const OUT_HELP = 'cache folder to write (a new or empty folder; see --force)';

/** A comma-separated list of subjects or views, e.g. "2,4,6". */
function groupList(flag: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UserError(`${flag}: expected a comma-separated list, e.g. 2,4,6, found "${text}"`);
  return items;
}
