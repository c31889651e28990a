import type { Command } from 'commander';

/** Every subcommand module, in the order `--help` lists them. Each exports `register(program)`. */
const modules: Array<{ register(program: Command): void }> = [];

export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
