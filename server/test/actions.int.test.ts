// The "do something on another system" path through GraphQL alone: an http connection with an
// API key, runAction against a local server, live status, the activity feed, idempotency,
// the catalog, and proof that no credential or secret value leaks anywhere.
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { TestHub, type GqlResult, type TestOrg } from './harness.ts';

const API_KEY = 'sk_live_actions_test_4f9d8c7b6a5e';
const SECRET_VALUE = 'super-secret-extra-header-value-91f3';

const CreateConnection = graphql(`
  mutation CreateHttpConnection($input: CreateConnectionInput!) {
    createConnection(input: $input) { id name status authMode lastError config integration { key displayName } }
  }
`);
const RunActionMutation = graphql(`
  mutation RunHttpAction($input: RunActionInput!) { runAction(input: $input) { id status action workflowId } }
`);
const TestActionMutation = graphql(`
  mutation TestHttpAction($input: RunActionInput!) { testAction(input: $input) { success responseTimeMs output error } }
`);
const RunStatus = graphql(`subscription WatchRun($id: ID!) { runUpdated(id: $id) { id status attempts output error } }`);
const RunDetails = graphql(`query HttpRunDetails($id: ID!) { run(id: $id) { id status attempts input output error } }`);
const Feed = graphql(`query HttpFeed($filter: ActivityFilter) { activity(filter: $filter, first: 100) { edges { node { type message data runId } } } }`);
const SetSecret = graphql(`mutation SetHttpSecret($name: String!, $value: String!) { setSecret(name: $name, value: $value) { name version } }`);
const TestConnectionMutation = graphql(`mutation TestHttpConnection($id: ID!) { testConnection(id: $id) { ok latencyMs message } }`);
const DeleteConnectionMutation = graphql(`mutation DeleteHttpConnection($id: ID!) { deleteConnection(id: $id) { id status } }`);
const Catalog = graphql(`
  query Catalog($search: String) {
    integrations(search: $search) {
      key displayName category authModes packageName version
      auth { mode credentialsSchema configSchema scopes }
      actions { key displayName inputSchema outputSchema }
      triggers { key kind } syncs { key model }
    }
    missing: integration(key: "no-such-plugin") { key }
  }
`);

let hub: TestHub;
let org: TestOrg;
let provider: FakeServer;
let connectionId: string;
/** Every GraphQL response of this file, for the leak scan. */
const responses: unknown[] = [];
let rateLimitedOnce = false;

async function call<T, V>(doc: TypedDocumentNode<T, V>, variables: V, token = org.tokens.ADMIN): Promise<GqlResult<T>> {
  const result = await hub.gql(doc, variables, token);
  responses.push(result);
  return result;
}

beforeAll(async () => {
  provider = await startFakeServer(async (req) => {
    if (req.url.startsWith('/slow')) await new Promise((r) => setTimeout(r, 1_000));
    if (req.url.startsWith('/boom')) return { status: 500, json: { message: 'kaboom' } };
    if (req.url.startsWith('/limited') && !rateLimitedOnce) {
      rateLimitedOnce = true;
      return { status: 429, headers: { 'retry-after': '1' }, json: { message: 'slow down' } };
    }
    // A careless provider that echoes the request headers: the worst case for leaks.
    return { json: { ok: true, path: req.url, echoedHeaders: req.headers, id: 'tk_123' } };
  });
  hub = await TestHub.start();
  org = await hub.createOrg('actions');
  const created = await call(CreateConnection, {
    input: {
      integrationKey: 'http',
      name: 'Provider API',
      authMode: 'API_KEY',
      credentials: { apiKey: API_KEY },
      config: { baseUrl: provider.url, apiKeyName: 'X-Api-Key' },
    },
  });
  expect(created.errors).toBeUndefined();
  connectionId = created.data!.createConnection.id;
  expect(created.data!.createConnection.status).toBe('ACTIVE');
  expect((await call(SetSecret, { name: 'EXTRA', value: SECRET_VALUE })).errors).toBeUndefined();
});

afterAll(async () => {
  await hub?.stop();
  await provider?.close();
});

async function statusesUntilDone(runId: string) {
  const sub = hub.subscribe(RunStatus, { id: runId }, org.tokens.VIEWER);
  const seen: string[] = [];
  let last: { status: string; attempts: number; output: unknown; error: string | null } | undefined;
  try {
    while (!last || !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(last.status)) {
      const result = await sub.next(60_000);
      responses.push(result);
      expect(result.errors).toBeUndefined();
      last = result.data!.runUpdated;
      if (seen.at(-1) !== last.status) seen.push(last.status);
    }
  } finally {
    await sub.close();
  }
  return { seen, last };
}

describe('running an action through GraphQL', () => {
  it('runs http_request QUEUED → RUNNING → SUCCEEDED with the key on the wire and run.succeeded in the feed', async () => {
    const before = provider.requests.length;
    const started = await call(
      RunActionMutation,
      { input: { connectionId, action: 'http_request', input: { method: 'GET', url: '/slow/orders', query: { limit: 5 } } } },
      org.tokens.MEMBER,
    );
    expect(started.errors).toBeUndefined();
    const run = started.data!.runAction;
    expect(run.status).toBe('QUEUED');
    const { seen, last } = await statusesUntilDone(run.id);
    expect(seen).toContain('RUNNING');
    expect(seen.at(-1)).toBe('SUCCEEDED');
    expect(['QUEUED', 'RUNNING']).toContain(seen[0]);
    expect(last!.output).toMatchObject({ status: 200, body: { ok: true, path: '/slow/orders?limit=5' } });

    const upstream = provider.requests.slice(before);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.headers['x-api-key']).toBe(API_KEY);

    const feed = await call(Feed, { filter: { runId: run.id } }, org.tokens.VIEWER);
    expect(feed.data!.activity.edges.map((e) => e.node.type)).toEqual(expect.arrayContaining(['run.queued', 'run.started', 'run.succeeded']));
  });

  it('executes once for the same idempotencyKey: one Run, one upstream request', async () => {
    const before = provider.requests.length;
    const input = { connectionId, action: 'http_request', input: { url: '/once' }, idempotencyKey: 'order-42' };
    const [a, b] = await Promise.all([call(RunActionMutation, { input }), call(RunActionMutation, { input })]);
    expect(a.data!.runAction.id).toBe(b.data!.runAction.id);
    await statusesUntilDone(a.data!.runAction.id);
    const again = await call(RunActionMutation, { input });
    expect(again.data!.runAction).toMatchObject({ id: a.data!.runAction.id, status: 'SUCCEEDED' });
    expect(provider.requests.slice(before).filter((r) => r.url === '/once')).toHaveLength(1);
  });

  it('applies an output mapping', async () => {
    const started = await call(RunActionMutation, {
      input: { connectionId, action: 'http_request', input: { url: '/tickets' }, outputMapping: { ticket_id: '$.body.id', code: '$.status' } },
    });
    const { last } = await statusesUntilDone(started.data!.runAction.id);
    expect(last!.output).toEqual({ ticket_id: 'tk_123', code: 200 });
  });

  it('honours 429 Retry-After and succeeds on the next attempt', async () => {
    const started = await call(RunActionMutation, { input: { connectionId, action: 'http_request', input: { url: '/limited' } } });
    const { last } = await statusesUntilDone(started.data!.runAction.id);
    expect(last).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    const limited = provider.requests.filter((r) => r.url === '/limited');
    expect(limited).toHaveLength(2);
  });

  it('rejects invalid input before anything starts, naming the bad paths', async () => {
    const runsBefore = await hub.db.prisma.run.count({ where: { orgId: org.id } });
    const result = await call(RunActionMutation, { input: { connectionId, action: 'http_request', input: { method: 'FETCH', url: 42 } } });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const paths = (result.errors![0]!.extensions!.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['input.method', 'input.url']));
    const unknownAction = await call(RunActionMutation, { input: { connectionId, action: 'nope', input: {} } });
    expect(unknownAction.errors?.[0]?.message).toMatch(/no action "nope"/);
    expect(await hub.db.prisma.run.count({ where: { orgId: org.id } })).toBe(runsBefore);
  });

  it('answers testAction synchronously', async () => {
    const ok = await call(TestActionMutation, { input: { connectionId, action: 'http_request', input: { url: '/playground' } } }, org.tokens.MEMBER);
    expect(ok.data!.testAction).toMatchObject({ success: true, output: { status: 200 } });
    expect(ok.data!.testAction.responseTimeMs).toBeGreaterThanOrEqual(0);
    const failed = await call(TestActionMutation, { input: { connectionId, action: 'http_request', input: { url: '/boom' } } });
    expect(failed.data!.testAction.success).toBe(false);
    expect(failed.data!.testAction.error).toMatch(/answered 500: kaboom/);
    // The connection's credentials never go to another host than its baseUrl.
    const elsewhere = await call(TestActionMutation, { input: { connectionId, action: 'http_request', input: { url: 'http://127.0.0.2:9/steal' } } });
    expect(elsewhere.data!.testAction).toMatchObject({ success: false });
    expect(elsewhere.data!.testAction.error).toMatch(/Refused to send this connection's credentials/);
  });
});

describe('connections', () => {
  it('records a failing test as ERROR with lastError, and testConnection reports it', async () => {
    const created = await call(CreateConnection, {
      input: { integrationKey: 'http', name: 'Broken', authMode: 'API_KEY', credentials: { apiKey: 'k-broken-1234' }, config: { testUrl: `${provider.url.replace(/\d+$/, '1')}/health` } },
    });
    expect(created.data!.createConnection.status).toBe('ERROR');
    expect(created.data!.createConnection.lastError).toBeTruthy();
    const tested = await call(TestConnectionMutation, { id: created.data!.createConnection.id }, org.tokens.MEMBER);
    expect(tested.data!.testConnection.ok).toBe(false);
    expect(tested.data!.testConnection.message).not.toContain('k-broken-1234');
  });

  it('validates credentials and config against the plugin schema with typed errors', async () => {
    const result = await call(CreateConnection, { input: { integrationKey: 'http', name: 'x', authMode: 'API_KEY', credentials: {}, config: { baseUrl: 'not a url' } } });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const paths = (result.errors![0]!.extensions!.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['credentials.apiKey', 'config.baseUrl']));
    const unknown = await call(CreateConnection, { input: { integrationKey: 'nope', name: 'x', authMode: 'NONE' } });
    expect(unknown.errors?.[0]?.extensions?.issues).toEqual([{ path: 'integrationKey', message: 'no such integration' }]);
    const denied = await call(CreateConnection, { input: { integrationKey: 'http', name: 'x', authMode: 'NONE' } }, org.tokens.MEMBER);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps several connections per integration, and deleting one wipes its credentials', async () => {
    const sandbox = await call(CreateConnection, { input: { integrationKey: 'http', name: 'Sandbox', authMode: 'API_KEY', credentials: { apiKey: 'k-sandbox-5678' }, config: { baseUrl: provider.url } } });
    const id = sandbox.data!.createConnection.id;
    expect(await hub.db.prisma.connection.count({ where: { orgId: org.id, integrationKey: 'http' } })).toBeGreaterThanOrEqual(3);
    const deleted = await call(DeleteConnectionMutation, { id });
    expect(deleted.data!.deleteConnection.status).toBe('REVOKED');
    const rawId = Buffer.from(id, 'base64').toString().split(':')[1]!;
    expect(await hub.db.prisma.connection.findUnique({ where: { id: rawId } })).toBeNull();
  });
});

describe('catalog', () => {
  it('lists the loaded plugins with auth forms and action schemas', async () => {
    const result = await call(Catalog, {}, org.tokens.VIEWER);
    const http = result.data!.integrations.find((i) => i.key === 'http')!;
    expect(http).toMatchObject({ displayName: 'HTTP', packageName: '@patchbay/plugin-http', version: '0.1.0' });
    expect(http.authModes).toEqual(expect.arrayContaining(['API_KEY', 'NONE']));
    const apiKeyAuth = http.auth.find((a) => a.mode === 'API_KEY') as { credentialsSchema: any; configSchema: any };
    expect(apiKeyAuth.credentialsSchema.properties).toHaveProperty('apiKey');
    expect(apiKeyAuth.configSchema.properties).toHaveProperty('baseUrl');
    const request = http.actions.find((a) => a.key === 'http_request') as { inputSchema: any };
    expect(request.inputSchema.properties).toHaveProperty('url');
    expect(result.data!.integrations.map((i) => i.key)).toContain('sql');
    expect(result.data!.missing).toBeNull();
    const searched = await call(Catalog, { search: 'sql' }, org.tokens.VIEWER);
    expect(searched.data!.integrations.map((i) => i.key)).toEqual(['sql']);
  });
});

describe('secrets never leak', () => {
  it('keeps credentials and secret values out of responses, logs, activity, the database and Temporal history', async () => {
    const started = await call(RunActionMutation, {
      input: { connectionId, action: 'http_request', input: { url: '/echo', headers: { 'X-Extra': '{{ secrets.EXTRA }}' } } },
    });
    const { last } = await statusesUntilDone(started.data!.runAction.id);
    expect(last!.status).toBe('SUCCEEDED');
    const echoed = provider.requests.filter((r) => r.url === '/echo').at(-1)!;
    expect(echoed.headers['x-extra']).toBe(SECRET_VALUE); // the provider did receive it
    expect(JSON.stringify(last!.output)).toContain('[redacted]');

    const details = await call(RunDetails, { id: started.data!.runAction.id });
    expect(JSON.stringify(details)).toContain('{{ secrets.EXTRA }}'); // the stored input keeps the template

    const rawRunId = Buffer.from(started.data!.runAction.id, 'base64').toString().split(':')[1]!;
    const history = await hub.hub.temporal.client.workflow.getHandle(`run/${rawRunId}`).fetchHistory();
    const events = await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id } });
    const connections = await hub.db.prisma.connection.findMany({ where: { orgId: org.id } });
    const secrets = await hub.db.prisma.secret.findMany({ where: { orgId: org.id } });
    const runs = await hub.db.prisma.run.findMany({ where: { orgId: org.id } });
    const places: Record<string, string> = {
      graphql: JSON.stringify(responses),
      logs: hub.logs.join('\n'),
      activity: JSON.stringify(events),
      temporal: JSON.stringify(history),
      rows: JSON.stringify({ connections, secrets, runs }),
    };
    for (const [place, text] of Object.entries(places)) {
      for (const value of [API_KEY, SECRET_VALUE, 'k-broken-1234', 'k-sandbox-5678']) {
        expect(text.includes(value), `${value} found in ${place}`).toBe(false);
      }
    }
    expect(places.temporal!.length).toBeGreaterThan(1000);
  });
});
