/**
 * The `cocodiff` command. Each subcommand lives in cli/commands/<name>.ts and exports
 * `register(program)`; this file only wires them and turns user errors into one clean line.
 */
import { setFlagsFromString } from 'node:v8';
import { Command } from 'commander';
import { registerCommands } from './commands/index.ts';
import { errorMessage } from './error-message.ts';
import { exitCleanly, exitOnSignals } from '../common/temporaries.ts';

// Node 20 keeps relaxed SIMD behind a flag; `compile --relaxed-simd` modules must still `run`,
// `stream` and `bench` without the user knowing V8's flags. (Newer Nodes accept it and ignore it.)
setFlagsFromString('--experimental-wasm-relaxed-simd');

// Ctrl-C or SIGTERM in the middle of a write leaves no temporary behind (common/temporaries.ts).
exitOnSignals();

// `cocodiff stream … | head -1`: a reader that stops early ends the output, quietly, as for any Unix
// tool, and an output half-written at that moment is dropped as on Ctrl-C. Progress goes to stderr:
// `cocodiff train 2>&1 | head -1` closes that pipe too.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    exitCleanly(0);
  });
}

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
