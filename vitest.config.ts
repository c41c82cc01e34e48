import { defineConfig } from 'vitest/config';

// One suite for the whole workspace. Unit tests (`*.test.ts`) and integration tests
// (`*.int.test.ts`, which need PostgreSQL/PGlite, Temporal or a fake provider) run together;
// the global setup starts a Temporal dev server once and bundles the workflows once.
export default defineConfig({
  test: {
    include: ['{server,workflows,plugins,prisma}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/generated/**'],
    globalSetup: ['./server/test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
