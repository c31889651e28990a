import type { Command } from 'commander';
import * as synth from './synth.ts';
import * as prepare from './prepare.ts';
import * as inspect from './inspect.ts';
import * as baseline from './baseline.ts';
import * as modelInfo from './model-info.ts';
import * as importCtrgcn from './import-ctrgcn.ts';
import * as forward from './forward.ts';
import * as train from './train.ts';
import * as evaluate from './eval.ts';
import * as exportCmd from './export.ts';
import * as ablate from './ablate.ts';
import * as text from './text.ts';
import * as run from './run.ts';
import * as stream from './stream.ts';
import * as demo from './demo.ts';
import * as compile from './compile.ts';
import * as bench from './bench.ts';

/** Every subcommand module, in the order `--help` lists them. Each exports `register(program)`. */
const modules: Array<{ register(program: Command): void }> = [synth, prepare, inspect, baseline, modelInfo, importCtrgcn, forward, train, evaluate, exportCmd, ablate, text, compile, bench, run, stream, demo];

export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
