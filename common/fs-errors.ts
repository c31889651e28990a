/**
 * File-system failures the user causes and can fix (a full disk, a read-only mount, a folder they
 * may not write, a file where a folder belongs), in words. They end a command with one line naming the path, never as an internal
 * error: `out/model: cannot write the model artifact: no space left on the device (ENOSPC)`.
 */
import { UserError } from 'cocodiff-runtime/shared/errors';

const CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'a folder stands where the file belongs',
};

/** The cause of a file-system error in words, with its code, or undefined when it is not one of the above. */
export function fsCause(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && Object.hasOwn(CAUSES, code) ? `${CAUSES[code]} (${code})` : undefined;
}

/**
 * `err` as the UserError `PATH: cannot write [the WHAT]: CAUSE (CODE); nothing was written` when it
 * is one of the causes above, else `err` unchanged (a bug stays an internal error). `path` is the
 * output as the user named it, not the temporary the failing call touched; the atomic writers that
 * call this leave the output as it was before the command.
 */
export function writeFailure(err: unknown, path: string, what = ''): unknown {
  const cause = fsCause(err);
  if (cause === undefined) return err;
  return new UserError(`${path}: cannot write${what ? ` the ${what}` : ''}: ${cause}; nothing was written`);
}
