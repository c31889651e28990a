import type { Command } from 'commander';
import { formatReport, inspectPath } from '../../trainer/data/inspect.ts';
import { printableLines } from '../../common/terminal.ts';
import { LAYOUT_LIST, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { layoutName } from '../options.ts';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('Show what a skeleton file or dataset cache holds: format, frames, persons, joints, layout, label, valid frames, coordinate ranges')
    .argument('<path>', 'an NTU .skeleton, a Kinetics-Skeleton .json, a .npy (C, T, V, M) array, an .npz, or a cache folder')
    .option('--json', 'print one JSON object instead of text')
    .option('--layout <name>', `joint layout of a .npy whose joint count fits two (20: kinect20 or msr20); one of ${LAYOUT_LIST}`, layoutName('--layout'))
    .action(async (path: string, o: { json?: boolean; layout?: LayoutName }) => {
      const report = await inspectPath(path, o.layout);
      console.log(o.json ? JSON.stringify(report) : printableLines(formatReport(report)));
    });
}
