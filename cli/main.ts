/**
 * The `cocodiff` command. Each subcommand lives in cli/commands/<name>.ts and exports
 * `register(program)`; this file only wires them and turns user errors into one clean line.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';
import { errorMessage } from './error-message.ts';

const program = new Command('cocodiff')
  .description('Skeleton action recognition: train CTR-GCN with CoCoDiff, compile it to one SIMD .wasm, recognise actions in real time')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: false });

try {
  await registerCommands(program, process.argv.slice(2));
  await program.parseAsync(process.argv);
} catch (err) {
  if (process.env.COCODIFF_DEBUG) console.error(err);
  console.error(`cocodiff: ${errorMessage(err, program)}`);
  process.exitCode = 1;
}
