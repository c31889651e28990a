/**
 * The one line the CLI prints for an error. Library errors name a bad option as the API spells it
 * (OptionError: `windowFrames: expected …`); here it, and every other option the message names,
 * becomes the flag the user typed (`--window-frames: expected …`), looked up among the options
 * commander registered.
 */
import type { Command } from 'commander';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { fsCause } from 'cocodiff-runtime/shared/fs-causes';
import { printableLines } from '../common/terminal.ts';

export function errorMessage(err: unknown, program: Command): string {
  if (err instanceof OptionError) {
    const commands = (c: Command): Command[] => [c, ...c.commands.flatMap(commands)];
    const options = commands(program).flatMap((c) => c.options);
    return printableLines(err.spelled((name) => options.find((o) => o.attributeName() === name)?.long ?? name));
  }
  // A full disk or a read-only folder met outside the atomic writers (which name their output) is still the user's to fix.
  const cause = fsCause(err);
  if (cause !== undefined) {
    const { path, syscall } = err as NodeJS.ErrnoException;
    return printableLines(path ? `${path}: ${cause}` : `${syscall ? `${syscall}: ` : ''}${cause}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  // Messages quote file contents (names, values): no control character reaches the terminal.
  return `${err instanceof UserError ? '' : 'internal error: '}${printableLines(message)}`;
}
