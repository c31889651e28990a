/**
 * The one line the CLI prints for an error. Library errors name a bad option as the API spells it
 * (OptionError: `windowFrames: expected …`); here it becomes the flag the user typed
 * (`--window-frames: expected …`), looked up among the options commander registered.
 */
import type { Command } from 'commander';
import { OptionError, UserError } from '../common/errors.ts';
import { printableLines } from '../common/terminal.ts';

export function errorMessage(err: unknown, program: Command): string {
  if (err instanceof OptionError) {
    const commands = (c: Command): Command[] => [c, ...c.commands.flatMap(commands)];
    const option = commands(program).flatMap((c) => c.options).find((o) => o.attributeName() === err.option);
    return printableLines(`${option?.long ?? err.option}: ${err.problem}`);
  }
  const message = err instanceof Error ? err.message : String(err);
  // Messages quote file contents (names, values): no control character reaches the terminal.
  return `${err instanceof UserError ? '' : 'internal error: '}${printableLines(message)}`;
}
