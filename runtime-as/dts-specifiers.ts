/**
 * Build step: relative import specifiers in emitted `.d.ts` files end in `.js`, as in the `.js`.
 *
 *   tsx runtime-as/dts-specifiers.ts DIST_DIR
 *
 * The sources import each other as `./x.ts` (Node runs them as they are), and tsc's
 * `rewriteRelativeImportExtensions` turns those into `./x.js` in the JavaScript it emits, but not in
 * the declarations. TypeScript before 5.7 cannot resolve a `.ts` specifier in a package's `.d.ts`
 * (TS2691, or the types silently become `any`), so the shipped declarations are rewritten here.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A relative specifier ending in .ts, .mts or .cts (not .d.ts) in `from '…'`, `import '…'` or
 * `import('…')`: what tsc's declaration emit writes.
 */
const RELATIVE_TS = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"\n]*?)(?<!\.d)\.([mc]?)ts\2/g;

/** The declaration text with every relative `.ts` specifier ending in `.js` (`.mts` → `.mjs`, `.cts` → `.cjs`). */
export function jsSpecifiers(dts: string): string {
  return dts.replace(RELATIVE_TS, (_, head: string, quote: string, path: string, flavour: string) => `${head}${quote}${path}.${flavour}js${quote}`);
}

/** Rewrites every `.d.ts` under `dir` in place; returns how many files changed. */
export async function rewriteDeclarations(dir: string): Promise<number> {
  let changed = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.d\.[mc]?ts$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const text = await readFile(path, 'utf8');
    const next = jsSpecifiers(text);
    if (next !== text) {
      await writeFile(path, next);
      changed++;
    }
  }
  return changed;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: tsx runtime-as/dts-specifiers.ts DIST_DIR');
    process.exit(2);
  }
  await rewriteDeclarations(dir);
}
