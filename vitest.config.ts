import { defineConfig } from 'vitest/config';

export default defineConfig({
  // In this checkout `cocodiff-runtime` (a workspace) resolves to its TypeScript sources, not to a build.
  // (Setting conditions replaces Vite's defaults for Node, so those are listed too.)
  resolve: { conditions: ['cocodiff-source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['cocodiff-source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // Files share their worker's modules: importing tfjs, asc and binaryen and warming them up again
    // for each of ~80 files took more of the run than the tests. tests/setup.ts resets what a file can
    // leave behind (the tfjs backend, mocks, stubbed globals). `npm run mutate` isolates files again
    // (mutation/vitest.config.ts).
    isolate: false,
    setupFiles: ['tests/setup.ts'],
    // tfjs and asc builds are CPU-heavy; two cores, so keep two workers and generous timeouts.
    maxWorkers: 2,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
