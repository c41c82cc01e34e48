// The run lifecycle end to end: service → Temporal workflow → activities → database →
// GraphQL queries and graphql-ws subscriptions, with a real worker and dev server.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRun } from '../src/services/runs.ts';
import { testKitPlugin } from './fixtures/test-kit-plugin.ts';
import { graphql } from './gql/index.ts';
import { TestHub, type TestOrg } from './harness.ts';

const RunQuery = graphql(`
  query RunDetails($id: ID!) {
    run(id: $id) { id kind status action attempts input output error workflowId startedAt finishedAt createdAt connection { id name } }
  }
`);
const RunUpdated = graphql(`
  subscription RunUpdated($id: ID!) { runUpdated(id: $id) { id status attempts output error } }
`);
const RunsQuery = graphql(`
  query RunsPage($status: RunStatus, $kind: RunKind, $connectionId: ID, $first: Int, $after: String) {
    runs(status: $status, kind: $kind, connectionId: $connectionId, first: $first, after: $after) {
      edges { cursor node { id status action } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
`);
const CancelRun = graphql(`mutation CancelRun($id: ID!) { cancelRun(id: $id) { id status } }`);
const ActivityFeed = graphql(`
  subscription ActivityFeed($filter: ActivityFilter) { activity(filter: $filter) { id type level message runId connectionId at } }
`);
const ActivityQuery = graphql(`
  query ActivityList($filter: ActivityFilter, $first: Int) {
    activity(filter: $filter, first: $first) { edges { node { type level message runId connectionId data } } }
  }
`);

let hub: TestHub;
let org: TestOrg;
let connectionId: string;

beforeAll(async () => {
  hub = await TestHub.start({ plugins: [testKitPlugin] });
  org = await hub.createOrg('runs');
  const connection = await hub.db.prisma.connection.create({
    data: { orgId: org.id, integrationKey: 'test-kit', name: 'Test kit', authMode: 'NONE', status: 'ACTIVE' },
  });
  connectionId = connection.id;
});
afterAll(() => hub?.stop());

function start(action: string, input: unknown, idempotencyKey?: string) {
  return startRun(hub.hub, {
    orgId: org.id,
    kind: 'ACTION',
    action,
    connectionId,
    integrationKey: 'test-kit',
    input: input as never,
    idempotencyKey,
  });
}

async function waitForTerminal(runId: string) {
  const sub = hub.subscribe(RunUpdated, { id: encodeGlobalID('Run', runId) }, org.tokens.VIEWER);
  const statuses: string[] = [];
  try {
    for (;;) {
      const result = await sub.next(60_000);
      expect(result.errors).toBeUndefined();
      const run = result.data!.runUpdated;
      statuses.push(run.status);
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return { run, statuses };
    }
  } finally {
    await sub.close();
  }
}

describe('run lifecycle', () => {
  it('goes QUEUED → RUNNING → SUCCEEDED, live in the activity feed and runUpdated', async () => {
    const feed = hub.subscribe(ActivityFeed, { filter: { types: ['run.*'] } }, org.tokens.VIEWER);
    await feed.ready;
    await feed.drain(300); // the subscription is registered server-side once the socket is up

    const run = await start('echo', { message: 'hello' });
    expect(run.status).toBe('QUEUED');
    const { run: final, statuses } = await waitForTerminal(run.id);
    expect(final.status).toBe('SUCCEEDED');
    expect(final.output).toEqual({ echoed: 'hello' });
    expect(statuses.at(-1)).toBe('SUCCEEDED');

    const types: string[] = [];
    while (types.length < 3) {
      const event = await feed.next();
      expect(event.errors).toBeUndefined();
      if (event.data!.activity.runId === encodeGlobalID('Run', run.id)) types.push(event.data!.activity.type);
    }
    expect(types).toEqual(['run.queued', 'run.started', 'run.succeeded']);
    await feed.close();

    const details = await hub.data(RunQuery, { id: encodeGlobalID('Run', run.id) }, org.tokens.VIEWER);
    expect(details.run).toMatchObject({
      kind: 'ACTION',
      status: 'SUCCEEDED',
      action: 'echo',
      attempts: 1,
      input: { message: 'hello' },
      output: { echoed: 'hello' },
      error: null,
      workflowId: `run/${run.id}`,
      connection: { id: encodeGlobalID('Connection', connectionId), name: 'Test kit' },
    });
    expect(Date.parse(details.run!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(details.run!.startedAt!));
  });

  it('is visible in Temporal under its readable id with searchable attributes', async () => {
    const run = await start('echo', { message: 'temporal' });
    await waitForTerminal(run.id);
    const handle = hub.hub.temporal.client.workflow.getHandle(`run/${run.id}`);
    await handle.result();
    const description = await handle.describe();
    expect(description.type).toBe('runWorkflow');
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get({ name: 'OrgId', type: 'KEYWORD' } as never)).toBe(org.id);
    // Visibility is eventually consistent: poll the list query briefly.
    let found: string[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      found = [];
      for await (const wf of hub.hub.temporal.client.workflow.list({ query: `OrgId = "${org.id}" AND RunKind = "ACTION"` })) {
        found.push(wf.workflowId);
      }
      if (!found.includes(`run/${run.id}`)) {
        found = [];
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(found).toContain(`run/${run.id}`);
  });

  it('fails a permanent error at once, without retrying', async () => {
    const run = await start('reject', { reason: 'the record is locked' });
    const { run: final } = await waitForTerminal(run.id);
    expect(final).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(final.error).toContain('the record is locked');
    const feed = await hub.data(ActivityQuery, { filter: { runId: encodeGlobalID('Run', run.id) }, first: 10 }, org.tokens.VIEWER);
    const failed = feed.activity.edges.map((e) => e.node).find((n) => n.type === 'run.failed');
    expect(failed).toMatchObject({ level: 'error', connectionId: encodeGlobalID('Connection', connectionId) });
  });

  it('retries transient errors with backoff until the action succeeds', async () => {
    const run = await start('flaky', { key: `flaky-${uniqueSuffix()}`, failTimes: 2 });
    const { run: final } = await waitForTerminal(run.id);
    expect(final).toMatchObject({ status: 'SUCCEEDED', attempts: 3, output: { succeededAfter: 2 } });
  });

  it('rejects input that fails the action schema without retrying', async () => {
    const run = await start('echo', { message: 42 });
    const { run: final } = await waitForTerminal(run.id);
    expect(final).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(final.error).toMatch(/Invalid input/);
  });

  it('cancels a running action, and refuses to cancel it twice or for a VIEWER', async () => {
    const run = await start('wait', { ms: 120_000 });
    const sub = hub.subscribe(RunUpdated, { id: encodeGlobalID('Run', run.id) }, org.tokens.VIEWER);
    for (let status = ''; status !== 'RUNNING'; ) status = (await sub.next(30_000)).data!.runUpdated.status;
    await sub.close();

    const denied = await hub.gql(CancelRun, { id: encodeGlobalID('Run', run.id) }, org.tokens.VIEWER);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const cancelled = await hub.data(CancelRun, { id: encodeGlobalID('Run', run.id) }, org.tokens.MEMBER);
    expect(cancelled.cancelRun.status).toBe('CANCELLED');
    const again = await hub.gql(CancelRun, { id: encodeGlobalID('Run', run.id) }, org.tokens.MEMBER);
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const handle = hub.hub.temporal.client.workflow.getHandle(`run/${run.id}`);
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('honours an idempotency key: one run, one workflow execution', async () => {
    const key = `idem-${uniqueSuffix()}`;
    const [a, b] = await Promise.all([start('echo', { message: 'once' }, key), start('echo', { message: 'once' }, key)]);
    expect(a.id).toBe(b.id);
    await waitForTerminal(a.id);
    const count = await hub.db.prisma.run.count({ where: { orgId: org.id, idempotencyKey: key } });
    expect(count).toBe(1);
    const c = await start('echo', { message: 'once' }, key);
    expect(c.id).toBe(a.id);
    expect(c.status).toBe('SUCCEEDED');
  });
});

describe('runs query', () => {
  it('filters by status and connection and pages with cursors', async () => {
    for (let i = 0; i < 3; i++) await waitForTerminal((await start('echo', { message: `page ${i}` })).id);
    const firstPage = await hub.data(RunsQuery, { status: 'SUCCEEDED', first: 2 }, org.tokens.VIEWER);
    expect(firstPage.runs.edges).toHaveLength(2);
    expect(firstPage.runs.pageInfo.hasNextPage).toBe(true);
    const secondPage = await hub.data(RunsQuery, { status: 'SUCCEEDED', first: 2, after: firstPage.runs.pageInfo.endCursor }, org.tokens.VIEWER);
    const ids = [...firstPage.runs.edges, ...secondPage.runs.edges].map((e) => e.node.id);
    expect(new Set(ids).size).toBe(ids.length);
    const failed = await hub.data(RunsQuery, { status: 'FAILED' }, org.tokens.VIEWER);
    expect(failed.runs.edges.every((e) => e.node.status === 'FAILED')).toBe(true);
    const byConnection = await hub.data(RunsQuery, { connectionId: encodeGlobalID('Connection', connectionId), first: 100 }, org.tokens.VIEWER);
    const total = await hub.db.prisma.run.count({ where: { orgId: org.id, connectionId } });
    expect(byConnection.runs.edges).toHaveLength(Math.min(total, 100));
  });

  it('answers a typed error for an id of the wrong type', async () => {
    const result = await hub.gql(RunQuery, { id: encodeGlobalID('Connection', connectionId) }, org.tokens.VIEWER);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0]?.message).toMatch(/must be a Run id/);
  });
});

let counter = 0;
function uniqueSuffix() {
  counter += 1;
  return `${Date.now()}-${counter}`;
}
