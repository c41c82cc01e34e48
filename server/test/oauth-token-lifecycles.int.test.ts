// Token workflows that must exist and end well: connections made before the workflow existed
// (or whose workflow an operator terminated) get one back at api start-up; and a token endpoint
// that stays unreachable through every retry leaves the connection EXPIRED, with the reason
// and a connection.expired event, instead of a workflow failing silently.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { connectionTokensWorkflowId, signalRefresh, startConnectionTokens, stopConnectionTokens } from '@patchbay/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTokenWorkflows } from '../src/services/token-lifecycles.ts';
import { connectOAuth, fakeOAuthRoutes } from './connectors/oauth-connect.ts';
import { TestHub, type TestOrg } from './harness.ts';
import { until } from './webhooks-helpers.ts';

let hub: TestHub;
let org: TestOrg;
let provider: FakeServer;

beforeAll(async () => {
  provider = await startFakeServer((req) => fakeOAuthRoutes(req, { accessToken: `at-${Date.now()}`, refreshToken: 'rt-lifecycle', expiresIn: 3600 }) ?? { json: {} });
  hub = await TestHub.start();
  org = await hub.createOrg('token-lifecycles');
}, 120_000);

afterAll(async () => {
  if (hub) await hub.db.prisma.organization.deleteMany({ where: { id: org.id } }).catch(() => undefined);
  await hub?.stop();
  await provider?.close();
});

async function workflowStatus(connectionId: string) {
  const described = await hub.hub.temporal.client.workflow.getHandle(connectionTokensWorkflowId(connectionId)).describe();
  return described.status.name;
}

describe('token workflows', () => {
  it('are started again for ACTIVE OAuth connections that have none', async () => {
    const id = decodeGlobalID(await connectOAuth(hub, org, { integrationKey: 'oauth2', providerUrl: provider.url, name: 'backfilled' })).id;
    await until('the token workflow', async () => (await workflowStatus(id)) === 'RUNNING');
    await hub.hub.temporal.client.workflow.getHandle(connectionTokensWorkflowId(id)).terminate('as if it had never been started');
    expect(await workflowStatus(id)).toBe('TERMINATED');

    const checked = await ensureTokenWorkflows(hub.hub);
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(await workflowStatus(id)).toBe('RUNNING');
    // Repeating it keeps the running workflow (no second run).
    const runId = (await hub.hub.temporal.client.workflow.getHandle(connectionTokensWorkflowId(id)).describe()).runId;
    await ensureTokenWorkflows(hub.hub);
    expect((await hub.hub.temporal.client.workflow.getHandle(connectionTokensWorkflowId(id)).describe()).runId).toBe(runId);
  });

  it('leave the connection EXPIRED with the reason once an unreachable provider exhausts the retries', async () => {
    const unreachable = await startFakeServer((req) => fakeOAuthRoutes(req, { accessToken: 'at-doomed', refreshToken: 'rt-doomed' }) ?? { json: {} });
    const globalId = await connectOAuth(hub, org, { integrationKey: 'oauth2', providerUrl: unreachable.url, name: 'doomed' });
    const id = decodeGlobalID(globalId).id;
    // The same connection, with a workflow that gives up after 3 quick attempts.
    await stopConnectionTokens(hub.hub.temporal, id);
    await until('the old workflow to stop', async () => (await workflowStatus(id)) !== 'RUNNING');
    await startConnectionTokens(hub.hub.temporal, { id, orgId: org.id }, { refreshRetry: { initialIntervalMs: 100, maximumAttempts: 3 } });
    // The provider goes away; a refresh is asked for.
    await unreachable.close();
    await signalRefresh(hub.hub.temporal, { id, orgId: org.id });

    const expired = await until('EXPIRED', async () => {
      const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id } });
      return row.status === 'EXPIRED' ? row : undefined;
    }, 60_000);
    expect(expired.lastError).toMatch(/^The token could not be renewed: /);
    expect(expired.lastError).not.toContain('rt-doomed');
    const result = await hub.hub.temporal.client.workflow.getHandle(connectionTokensWorkflowId(id)).result();
    expect(result).toEqual({ status: 'EXPIRED' });
    const events = await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id, connectionId: id, type: 'connection.expired' } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('expired') });
    // An ACTIVE-only backfill leaves an EXPIRED connection alone.
    await ensureTokenWorkflows(hub.hub);
    expect(await workflowStatus(id)).toBe('COMPLETED');
  });
});
