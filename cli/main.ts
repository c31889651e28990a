/**
 * The `cocodiff` command. Each subcommand lives in cli/commands/<name>.ts and exports
 * `register(program)`; this file only wires them and turns user errors into one clean line.
 */
import { Command } from 'commander';
import { UserError } from '../common/errors.ts';
import { printableLines } from '../common/terminal.ts';
import { registerCommands } from './commands/index.ts';

const program = new Command('cocodiff')
  .description('Skeleton action recognition: train CTR-GCN with CoCoDiff, compile it to one SIMD .wasm, recognise actions in real time')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: false });

try {
  await registerCommands(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (err) {
  if (process.env.COCODIFF_DEBUG) console.error(err);
  const message = err instanceof Error ? err.message : String(err);
  // Messages quote file contents (names, values): no control character reaches the terminal.
  console.error(`cocodiff: ${err instanceof UserError ? '' : 'internal error: '}${printableLines(message)}`);
  process.exitCode = 1;
}
