import { Command } from 'commander';
import { vi } from 'vitest';

/** A subcommand module as `cli/commands/*` exports it. */
interface Subcommand {
  register(program: Command): void;
}

/**
 * Runs `cocodiff ARGS` through commander with only the given subcommands registered, as the CLI
 * parses it (errors throw instead of exiting), and returns the lines it printed with console.log.
 */
export async function runCli(subcommands: Subcommand[], ...args: string[]): Promise<string[]> {
  const program = new Command('cocodiff').exitOverride();
  for (const subcommand of subcommands) subcommand.register(program);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await program.parseAsync(['node', 'cocodiff', ...args]);
  } finally {
    log.mockRestore();
  }
  return lines;
}
