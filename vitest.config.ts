import { defineConfig } from 'vitest/config';

export default defineConfig({
  // In this checkout `cocodiff-runtime` (a workspace) resolves to its TypeScript sources, not to a build.
  // (Setting conditions replaces Vite's defaults for Node, so those are listed too.)
  resolve: { conditions: ['cocodiff-source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['cocodiff-source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // tfjs and asc builds are CPU-heavy; two cores, so keep two workers and generous timeouts.
    maxWorkers: 2,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
