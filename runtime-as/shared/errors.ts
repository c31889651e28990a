/**
 * An error caused by what the user gave us (a file, a flag, an artifact), not by a bug.
 * The CLI prints its message alone, without a stack trace, so the message must name the
 * file (and line or field) and say what was expected. (One class for every package: the CLI
 * imports it from `cocodiff-runtime/shared/errors`, so `instanceof` needs no cross-copy tricks.)
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Spells an option's name: as the API does (the identity), or as the CLI's flag. */
export type OptionNamer = (option: string) => string;

/**
 * A bad value of a library option, named as the API spells it (`width`, `windowFrames`): the
 * message reads `width: expected …`. The CLI names its own flag instead (cli/error-message.ts).
 * A problem that mentions other options is a function of a namer, so each reader sees them
 * spelled its own way too (`continue it with ${name('resume')}`).
 */
export class OptionError extends UserError {
  /** The text after `option: `, with the API's names. */
  readonly problem: string;

  constructor(readonly option: string, private readonly describe: string | ((name: OptionNamer) => string)) {
    const problem = typeof describe === 'string' ? describe : describe((o) => o);
    super(`${option}: ${problem}`);
    this.problem = problem;
  }

  /** The message with every option it names spelled by `name`. */
  spelled(name: OptionNamer): string {
    return `${name(this.option)}: ${typeof this.describe === 'string' ? this.describe : this.describe(name)}`;
  }
}

/** Formats `file:line: message` the same way everywhere. */
export function atLine(file: string, line: number, message: string): UserError {
  return new UserError(`${file}:${line}: ${message}`);
}

/** Formats `file: field "x": message` the same way everywhere. */
export function atField(file: string, field: string, message: string): UserError {
  return new UserError(`${file}: field "${field}": ${message}`);
}
