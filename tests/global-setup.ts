/**
 * The examples import `cocodiff-runtime` as an app does, which resolves to the package's build
 * (runtime-as/dist): build it once per test run so they never see a stale one. In-process imports
 * resolve to the sources instead (the `cocodiff-source` condition, vitest.config.ts).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function buildRuntimePackage(): void {
  const root = join(import.meta.dirname, '..');
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'runtime-as/tsconfig.build.json')], { stdio: 'inherit' });
}
