#!/usr/bin/env node
// The package ships TypeScript sources; tsx lets Node run them without a build step.
import { register } from 'tsx/esm/api';

// binaryen.js is a 12 MB ES module: passed through tsx's loader it takes minutes to load, natively
// a second. Modules load once per process, so loading the toolchain before tsx hooks in makes the
// compiler's own imports of it free. Only the commands that compile pay for it.
if (['compile', 'bench', 'demo'].includes(process.argv[2])) {
  await import('binaryen');
  await import('assemblyscript/asc');
}

register();
await import('../cli/main.ts');
