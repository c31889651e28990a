import type { Command } from 'commander';
import { formatReport, inspectPath } from '../../trainer/data/inspect.ts';
import { printableLines } from '../../common/terminal.ts';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('Show what a skeleton file or dataset cache holds: format, frames, persons, joints, layout, label, valid frames, coordinate ranges')
    .argument('<path>', 'an NTU .skeleton, a Kinetics-Skeleton .json, a .npy (C, T, V, M) array, an .npz, or a cache folder')
    .option('--json', 'print one JSON object instead of text')
    .action(async (path: string, o: { json?: boolean }) => {
      const report = await inspectPath(path);
      console.log(o.json ? JSON.stringify(report) : printableLines(formatReport(report)));
    });
}
