/**
 * The CLI's number (and layout name) parsers, for commander options: each returns the value or throws a UserError
 * naming the flag, what it expects and what it got, which cli/main.ts prints as one line. They check
 * the kind of number; ranges that depend on other options are the library's to check (OptionError).
 */
import { UserError } from 'cocodiff-runtime/shared/errors';
import { isLayoutName, LAYOUT_LIST, type LayoutName } from 'cocodiff-runtime/shared/layouts';

type Parser = (text: string) => number;

/** A finite number that `ok` accepts; `expected` says which (`a number in [0, 1]`) when it is refused. */
export function numberWhere(flag: string, expected: string, ok: (n: number) => boolean): Parser {
  return (text) => {
    const n = Number(text);
    // Number('') and Number(' ') are 0: an empty value is no number.
    if (text.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UserError(`${flag}: expected ${expected}, found "${text}"`);
    return n;
  };
}

/** A finite number. */
export function number(flag: string): Parser {
  return numberWhere(flag, 'a number', () => true);
}

/** An integer of any sign. */
export function integer(flag: string): Parser {
  return numberWhere(flag, 'an integer', Number.isInteger);
}

/** An integer ≥ 0. */
export function nonNegativeInt(flag: string): Parser {
  return numberWhere(flag, 'a non-negative integer', (n) => Number.isInteger(n) && n >= 0);
}

/** An integer in 1..max. */
export function positiveInt(flag: string, max = Infinity): Parser {
  return numberWhere(flag, max === Infinity ? 'a positive integer' : `an integer in 1..${max}`, (n) => Number.isInteger(n) && n >= 1 && n <= max);
}

/** A registered joint layout's name (`--layout kinect20`). */
export function layoutName(flag: string): (text: string) => LayoutName {
  return (text) => {
    if (!isLayoutName(text)) throw new UserError(`${flag}: expected one of ${LAYOUT_LIST}, found "${text}"`);
    return text;
  };
}

/** The help of every `--force`: what it may replace, and what it never will. */
export const FORCE_HELP = 'replace what an earlier cocodiff run wrote at --out (a directory holding anything else, or the inputs, is never replaced)';

/** The help of `--force` on commands that write single files: those are replaced without it only when cocodiff wrote them. */
export const FORCE_FILE_HELP = 'replace an existing output file that is not an earlier cocodiff output of the same kind (without it, such a file is refused)';
