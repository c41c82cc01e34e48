// Once per `npm test`: a real Temporal dev server (unless TEMPORAL_ADDRESS points at one),
// the workflow bundle built once for every test worker, and PostgreSQL migrated when
// DATABASE_URL is set (CI) so all test files share one real database.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyMigrations } from '@patchbay/db/migrate';
import { SEARCH_ATTRIBUTES } from '@patchbay/workflows';
import { startTemporalDevServer } from '@patchbay/workflows/dev-server';
import { bundleWorkflows } from '@patchbay/workflows/worker';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-test-'));
  const [temporal, bundle] = await Promise.all([
    process.env.TEMPORAL_ADDRESS
      ? Promise.resolve({ address: process.env.TEMPORAL_ADDRESS, stop: async () => {} })
      : startTemporalDevServer({ port: 0, uiPort: null, searchAttributes: SEARCH_ATTRIBUTES }),
    bundleWorkflows(),
    process.env.DATABASE_URL ? applyMigrations({ kind: 'postgres', url: process.env.DATABASE_URL }) : null,
  ]);
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, 'code' in bundle ? bundle.code : '');
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundlePath', bundlePath);
  console.log(
    `test setup: Temporal at ${temporal.address}; database ${process.env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'PGlite (in memory, one per test file)'}`,
  );
  return async () => {
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
