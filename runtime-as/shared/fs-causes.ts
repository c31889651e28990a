/**
 * File-system errors a user causes and can fix (a missing file, a full disk, a read-only mount, a
 * folder they may not write, a file where a folder belongs), in words: the one table both the
 * runtime's readers (shared/formats/read-input.ts) and the toolchain's writers (common/fs-errors.ts,
 * the CLI's error printer) use, so a code reads the same wherever it is met. Any other code is not
 * the user's to fix and stays as it is (an internal error).
 */
const CAUSES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'a directory, not a file',
  ELOOP: 'a loop of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
};

/** An error's `code`, when it is one of the table's. */
function knownCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && Object.hasOwn(CAUSES, code) ? code : undefined;
}

/** The words for a code (`ENOSPC` → `no space left on the device`), or undefined when it is not in the table. */
export function fsWords(code: string | undefined): string | undefined {
  return code !== undefined && Object.hasOwn(CAUSES, code) ? CAUSES[code] : undefined;
}

/** An error's cause in words with its code (`no space left on the device (ENOSPC)`), or undefined when it is not in the table. */
export function fsCause(err: unknown): string | undefined {
  const code = knownCode(err);
  return code === undefined ? undefined : `${CAUSES[code]} (${code})`;
}
