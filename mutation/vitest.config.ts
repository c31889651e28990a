/**
 * The test configuration `npm run mutate` gives Stryker: the project's, with every test file in a fresh
 * module registry again. Some mutants sit in module-level code (tables, constants) that runs once per
 * import; with modules shared between files, a file would see the module its predecessor imported.
 */
import { join } from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../vitest.config.ts';

export default mergeConfig(base, defineConfig({ root: join(import.meta.dirname, '..'), test: { isolate: true } }));
