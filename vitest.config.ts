import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// graphql 16 ships CJS (`main`) and ESM (`module`) builds. Node loads the CJS one for our
// dependencies (yoga, Pothos); Vite would pick the ESM one for our sources. Two copies break
// `instanceof` checks, so point Vite at the same file Node uses.
const graphqlEntry = createRequire(new URL('./server/package.json', import.meta.url)).resolve('graphql');

// One suite for the whole workspace. Unit tests (`*.test.ts`) and integration tests
// (`*.int.test.ts`, which need PostgreSQL/PGlite, Temporal or a fake provider) run together;
// the global setup starts a Temporal dev server once and bundles the workflows once.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^graphql$/, replacement: graphqlEntry },
      // The plugin template (plugins/sdk/template) is not a workspace package; its tests import
      // the SDK by its published name, which resolves here to the same files workspace plugins use.
      { find: /^@patchbay\/sdk$/, replacement: fileURLToPath(new URL('./plugins/sdk/src/index.ts', import.meta.url)) },
      { find: /^@patchbay\/sdk\/testing$/, replacement: fileURLToPath(new URL('./plugins/sdk/src/testing.ts', import.meta.url)) },
      { find: /^@patchbay\/sdk\/webhooks$/, replacement: fileURLToPath(new URL('./plugins/sdk/src/webhooks/index.ts', import.meta.url)) },
    ],
  },
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
