/**
 * JSON.parse for files from elsewhere: V8's parser recurses once per nesting level, so a few
 * kilobytes of `[[[[…` end the process with a stack overflow instead of an error. The depth is
 * measured first, in one pass that skips strings, and refused beyond LIMITS.jsonDepth.
 */
import { UserError } from './errors.ts';
import { LIMITS } from './limits.ts';

/** Parses `text`, or throws a UserError naming `where` (a file, a line) and what is wrong. */
export function parseBoundedJson(text: string, where: string, maxDepth: number = LIMITS.jsonDepth): unknown {
  const depth = nestingDepth(text, maxDepth);
  if (depth > maxDepth) throw new UserError(`${where}: JSON nested more than ${maxDepth} levels deep (LIMITS.jsonDepth); not a file of this kind`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where}: not valid JSON (${(err as Error).message})`);
  }
}

/** The deepest nesting of [ and { outside strings, counted up to `stopAbove` + 1. */
function nestingDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest && (deepest = depth) > stopAbove) return deepest;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
