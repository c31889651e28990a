import { UserError } from '../common/errors.ts';

/**
 * A commander argument parser for an integer flag in 1..max. Bad values throw a UserError naming
 * the flag and what it got, which cli/main.ts prints as one line.
 */
export function positiveInt(flag: string, max = Infinity): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new UserError(`${flag}: expected ${max === Infinity ? 'a positive integer' : `an integer in 1..${max}`}, found "${text}"`);
    }
    return n;
  };
}

/** The help of every `--force`: what it may replace, and what it never will. */
export const FORCE_HELP = 'replace what an earlier cocodiff run wrote at --out (a directory holding anything else, or the inputs, is never replaced)';

/** The help of `--force` on commands that write single files: those are replaced without it only when cocodiff wrote them. */
export const FORCE_FILE_HELP = 'replace an existing output file that is not an earlier cocodiff output of the same kind (without it, such a file is refused)';
