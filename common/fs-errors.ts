/**
 * File-system failures the user causes and can fix (a full disk, a read-only mount, a folder they
 * may not write, a file where a folder belongs), as the one line that ends a command naming the
 * path, never an internal error: `out/model: cannot write the model artifact: no space left on the
 * device (ENOSPC)`. The codes and their words are one table shared with the runtime's readers
 * (cocodiff-runtime/shared/fs-causes).
 */
import { UserError } from 'cocodiff-runtime/shared/errors';
import { fsCause } from 'cocodiff-runtime/shared/fs-causes';

/**
 * `err` as the UserError `PATH: cannot write [the WHAT]: CAUSE (CODE); nothing was written` when it
 * is one the user can fix (the shared table), else `err` unchanged (a bug stays an internal error). `path` is the
 * output as the user named it, not the temporary the failing call touched; the atomic writers that
 * call this leave the output as it was before the command.
 */
export function writeFailure(err: unknown, path: string, what = ''): unknown {
  const cause = fsCause(err);
  if (cause === undefined) return err;
  return new UserError(`${path}: cannot write${what ? ` the ${what}` : ''}: ${cause}; nothing was written`);
}

/**
 * Why a file-system call failed, for a message: the shared table's words and code when the user can
 * fix it (`permission denied (EACCES)`), else the bare code or message, so nothing is hidden.
 */
export function fsReason(err: unknown): string {
  return fsCause(err) ?? (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
