/**
 * Reading an input file named on the command line: a missing file, a directory where the file
 * belongs or an unreadable one is a UserError naming the path and what was expected, never a raw
 * EISDIR or ENOENT.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.ts';

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a path through something that is not a directory',
};

function refusal(path: string, what: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return new UserError(`${path}: cannot read ${what} (${Object.hasOwn(WHY, code) ? WHY[code] : code || (err as Error).message})`);
}

/** The bytes of `path`; `what` says what the file should be ("the recording"). */
export async function readInputBytes(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw refusal(path, what, err);
  }
}

/** The text of `path` (UTF-8). */
export async function readInputText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw refusal(path, what, err);
  }
}
