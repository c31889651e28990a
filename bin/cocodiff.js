#!/usr/bin/env node
// The `cocodiff` command. An installed package runs its compiled JavaScript (dist/). A source
// checkout (cli/main.ts next to dist/) runs the TypeScript itself through tsx, a devDependency, with
// `cocodiff-runtime` resolved to its sources as tsconfig.json and vitest.config.ts resolve it.
import { existsSync } from 'node:fs';

const sources = new URL('../cli/main.ts', import.meta.url);
if (existsSync(sources)) {
  // binaryen.js is a 12 MB ES module: passed through tsx's loader it takes minutes to load, natively
  // a second. Modules load once per process, so loading the toolchain before tsx hooks in makes the
  // compiler's own imports of it free. Only the commands that compile pay for it.
  if (['compile', 'bench', 'demo'].includes(process.argv[2])) {
    await import('binaryen');
    await import('assemblyscript/asc');
  }
  const { register: registerHooks } = await import('node:module');
  const { register: registerTsx } = await import('tsx/esm/api');
  registerHooks(`data:text/javascript,${encodeURIComponent(
    'export const resolve = (specifier, context, next) => next(specifier, { ...context, conditions: [...context.conditions, "cocodiff-source"] });',
  )}`);
  registerTsx();
  await import(sources.href);
} else {
  await import('../dist/cli/main.js');
}
