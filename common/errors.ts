/**
 * An error caused by what the user gave us (a file, a flag, an artifact), not by a bug.
 * The CLI prints its message alone, without a stack trace, so the message must name the
 * file (and line or field) and say what was expected.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Formats `file:line: message` the same way everywhere. */
export function atLine(file: string, line: number, message: string): UserError {
  return new UserError(`${file}:${line}: ${message}`);
}

/** Formats `file: field "x": message` the same way everywhere. */
export function atField(file: string, field: string, message: string): UserError {
  return new UserError(`${file}: field "${field}": ${message}`);
}
