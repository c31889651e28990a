/**
 * Once per test run, before any worker starts:
 *
 * - The examples import `cocodiff-runtime` as an app does, which resolves to the package's build
 *   (runtime-as/dist): build it so they never see a stale one. In-process imports resolve to the
 *   sources instead (the `cocodiff-source` condition, vitest.config.ts).
 * - A temporary folder for the fixtures workers share between files (tests/helpers/tiny-run.ts),
 *   removed when the run ends: a worker process may be killed rather than exit, so it cannot clean up.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder for fixtures shared between test files. */
    sharedFixtures: string;
  }
}

export default function setup(project: TestProject): () => void {
  const root = join(import.meta.dirname, '..');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'runtime-as/tsconfig.build.json')], { stdio: 'inherit' });
  const shared = mkdtempSync(join(tmpdir(), 'cocodiff-test-fixtures-'));
  project.provide('sharedFixtures', shared);
  return () => rmSync(shared, { recursive: true, force: true });
}
