// The embedded default: the whole path on PGlite (CI runs the rest of the suite on
// PostgreSQL), and a data directory that keeps everything across restarts.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrationTargetOf } from '@patchbay/db';
import { applyMigrations } from '@patchbay/db/migrate';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, expect, it } from 'vitest';
import { startRun } from '../src/services/runs.ts';
import { testKitPlugin } from './fixtures/test-kit-plugin.ts';
import { TestHub } from './harness.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs an action end to end on PGlite and keeps its data across a restart', async () => {
  const first = await TestHub.start({ database: 'pglite', pgliteDir: dir, plugins: [testKitPlugin] });
  expect(first.db.kind).toBe('pglite');
  const org = await first.createOrg('embedded');
  const connection = await first.db.prisma.connection.create({
    data: { orgId: org.id, integrationKey: 'test-kit', name: 'kit', authMode: 'NONE', status: 'ACTIVE' },
  });
  const run = await startRun(first.hub, { orgId: org.id, kind: 'ACTION', action: 'echo', connectionId: connection.id, integrationKey: 'test-kit', input: { message: 'embedded' } });
  await first.hub.temporal.client.workflow.getHandle(`run/${run.id}`).result();
  await first.stop();

  const second = await TestHub.start({ database: 'pglite', pgliteDir: dir, plugins: [testKitPlugin] });
  try {
    expect(await applyMigrations(migrationTargetOf(second.db))).toEqual({ applied: [] });
    const result = await second.data(
      'query($id: ID!) { viewer { organization { slug } } run(id: $id) { status output } activity(first: 10) { edges { node { type } } } }',
      { id: encodeGlobalID('Run', run.id) },
      org.tokens.VIEWER,
    );
    expect(result).toMatchObject({
      viewer: { organization: { slug: org.slug } },
      run: { status: 'SUCCEEDED', output: { echoed: 'embedded' } },
    });
    const types = (result as { activity: { edges: Array<{ node: { type: string } }> } }).activity.edges.map((e) => e.node.type);
    expect(types).toEqual(expect.arrayContaining(['run.queued', 'run.started', 'run.succeeded']));
  } finally {
    await second.stop();
  }
});
