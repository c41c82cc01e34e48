// Production shape: the api and the worker are separate processes sharing PostgreSQL. An
// activity event written by the worker process must reach a graphql-ws subscriber of the api
// process (PostgreSQL LISTEN/NOTIFY). PGlite cannot be shared between processes, so this runs
// when DATABASE_URL names a PostgreSQL server (as CI does); in-process delivery on PGlite is
// covered by runs.int.test.ts.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@patchbay/db';
import { connectTemporal, startRunWorkflow, type Temporal } from '@patchbay/workflows';
import { findFreePort } from '@patchbay/workflows/dev-server';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateToken, hashToken, tokenPrefix } from '../src/services/tokens.ts';
import { Subscription } from './harness.ts';
import { spawnHubProcess, waitFor as waitForOutput, scratchDatabase, type ScratchDatabase } from './processes.ts';

const sharedUrl = process.env.DATABASE_URL;
/** This file's own database (see scratchDatabase). */
let databaseUrl: string | undefined;
let scratch: ScratchDatabase | undefined;

describe.skipIf(!sharedUrl)('activity feed across processes (PostgreSQL)', () => {
  const children: ChildProcess[] = [];
  const output: string[] = [];
  let db: Database;
  let temporal: Temporal;
  let apiUrl: string;
  const taskQueue = `cross-process-${randomUUID()}`;

  function startRole(role: 'api' | 'worker', port: number) {
    children.push(spawnHubProcess(role, { databaseUrl: databaseUrl!, taskQueue, port, output, env: { LOG_LEVEL: 'info' } }));
  }

  const waitFor = (check: () => Promise<boolean> | boolean, what: string) => waitForOutput(check, what, output, 90_000);

  beforeAll(async () => {
    scratch = await scratchDatabase(sharedUrl!);
    databaseUrl = scratch.url;
    db = await openDatabase({ kind: 'postgres', url: databaseUrl! });
    temporal = await connectTemporal({ address: inject('temporalAddress'), namespace: 'default', taskQueue });
    const port = await findFreePort();
    apiUrl = `http://127.0.0.1:${port}`;
    startRole('api', port);
    startRole('worker', 0);
    await waitFor(async () => (await fetch(`${apiUrl}/readyz`)).ok, 'the api process');
    await waitFor(() => output.some((l) => l.includes('Patchbay is running (worker)')), 'the worker process');
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await temporal?.close();
    await db?.close();
    await scratch?.drop();
  });

  it('delivers events written by the worker process to a subscriber of the api process', async () => {
    const slug = `xproc-${randomUUID().slice(0, 8)}`;
    const org = await db.prisma.organization.create({ data: { slug, name: slug } });
    const token = generateToken();
    await db.prisma.apiToken.create({ data: { orgId: org.id, name: 'viewer', role: 'VIEWER', prefix: tokenPrefix(token), tokenHash: hashToken(token) } });

    const feed = new Subscription<{ activity: { type: string; runId: string | null; message: string } }>(
      `${apiUrl.replace('http', 'ws')}/graphql`,
      'subscription { activity(filter: { types: ["run.*"] }) { type runId message } }',
      {},
      token,
    );
    await feed.ready;
    await feed.drain(500);

    // Neither this test nor the api process runs activities: only the worker process can
    // write run.started and the final event. (It loads no plugins, so the run ends as FAILED.)
    const run = await db.prisma.run.create({ data: { orgId: org.id, kind: 'ACTION', action: 'ping' } });
    await startRunWorkflow(temporal, { ...run, integrationKey: null });

    const seen: string[] = [];
    while (!seen.includes('run.failed')) {
      const result = await feed.next(60_000);
      expect(result.errors).toBeUndefined();
      expect(result.data!.activity.runId).toBe(encodeGlobalID('Run', run.id));
      seen.push(result.data!.activity.type);
    }
    expect(seen).toEqual(['run.started', 'run.failed']);
    await feed.close();
    expect((await db.prisma.run.findUniqueOrThrow({ where: { id: run.id } })).status).toBe('FAILED');
  });
});
