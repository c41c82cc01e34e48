// Token strategies: SERVICE_ACCOUNT (the connection's own key), PER_USER (each end user's own
// connection, chosen by the run's user.id) and PASSTHROUGH (the app passes the end user's token
// in user.metadata on every run; it is stored only encrypted and leaks nowhere).
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHub, type TestOrg } from './harness.ts';

const ALICE_KEY = 'alice-own-key-3f9a1c7e';
const PASSTHROUGH_TOKEN = 'end-user-token-8b2d4f6a0c';

let hub: TestHub;
let org: TestOrg;
let api: FakeServer;
const said: unknown[] = [];

async function gql<T = Record<string, any>>(query: string, variables: Record<string, unknown>) {
  const result = await hub.gql<T, Record<string, unknown>>(query, variables, org.tokens.ADMIN);
  said.push(result);
  return result;
}

async function connect(input: Record<string, unknown>) {
  const result = await gql<{ createConnection: { id: string; status: string; tokenStrategy: string; endUserId: string | null } }>(
    `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status tokenStrategy endUserId } }`,
    { input: { integrationKey: 'http', authMode: 'API_KEY', config: { baseUrl: api.url }, ...input } },
  );
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.createConnection;
}

async function runToEnd(input: Record<string, unknown>) {
  const started = await gql<{ runAction: { id: string; workflowId: string } }>(`mutation($input: RunActionInput!) { runAction(input: $input) { id workflowId } }`, { input });
  if (started.errors) return { errors: started.errors };
  await hub.hub.temporal.client.workflow.getHandle(started.data!.runAction.workflowId).result().catch(() => undefined);
  const run = await gql<{ run: { id: string; status: string; output: any; error: string | null; endUserId: string | null; connection: { id: string } } }>(
    `query($id: ID!) { run(id: $id) { id status output error endUserId connection { id } } }`,
    { id: started.data!.runAction.id },
  );
  return { run: run.data!.run, workflowId: started.data!.runAction.workflowId };
}

beforeAll(async () => {
  api = await startFakeServer((req) => ({ json: { authorization: req.headers.authorization ?? null, userHeader: req.headers['x-user-token'] ?? null } }));
  hub = await TestHub.start();
  org = await hub.createOrg('strategies');
}, 120_000);

afterAll(async () => {
  if (hub) await hub.db.prisma.organization.deleteMany({ where: { id: org.id } }).catch(() => undefined);
  await hub?.stop();
  await api?.close();
});

describe('PER_USER', () => {
  it("runs on the end user's own connection, and says clearly when they have none", async () => {
    const shared = await connect({ name: 'CRM for everyone', tokenStrategy: 'PER_USER' });
    expect(shared).toMatchObject({ status: 'ACTIVE', tokenStrategy: 'PER_USER', endUserId: null });
    const alice = await connect({ name: "Alice's CRM", credentials: { apiKey: ALICE_KEY }, endUserId: 'alice' });
    expect(alice).toMatchObject({ tokenStrategy: 'SERVICE_ACCOUNT', endUserId: 'alice' });

    const { run } = await runToEnd({ connectionId: shared.id, action: 'http_request', input: { url: '/whoami' }, user: { id: 'alice' } });
    expect(run).toMatchObject({ status: 'SUCCEEDED', endUserId: 'alice', connection: { id: alice.id } });
    expect(api.requests.at(-1)!.headers.authorization).toBe(`Bearer ${ALICE_KEY}`);
    // What the action saw of the key is scrubbed from its output, like any credential.
    expect(run!.output.body.authorization).toBe('Bearer [redacted]');

    const bob = await runToEnd({ connectionId: shared.id, action: 'http_request', input: { url: '/whoami' }, user: { id: 'bob' } });
    expect(bob.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('End user "bob" has no active http connection') });
    const nobody = await runToEnd({ connectionId: shared.id, action: 'http_request', input: { url: '/whoami' } });
    expect(nobody.errors?.[0]?.message).toContain('say whose account to use with user.id');

    const mine = await gql<{ connections: { edges: Array<{ node: { id: string } }> } }>(`query { connections(endUserId: "alice") { edges { node { id } } } }`, {});
    expect(mine.data!.connections.edges.map((e) => e.node.id)).toEqual([alice.id]);
    const refused = await connect({ name: 'bad', tokenStrategy: 'PER_USER', credentials: { apiKey: 'x' } }).catch((e: Error) => e.message);
    expect(refused).toContain('a PER_USER connection holds no credentials');
  });
});

describe('PASSTHROUGH', () => {
  it("uses the token the app passes in user.metadata and keeps it out of every answer, log, row and history", async () => {
    const passthrough = await connect({ name: 'Their own token', tokenStrategy: 'PASSTHROUGH' });
    expect(passthrough.status).toBe('ACTIVE');
    const { run, workflowId } = await runToEnd({
      connectionId: passthrough.id,
      action: 'http_request',
      // The same metadata is usable in templates too.
      input: { url: '/whoami', headers: { 'X-User-Token': '{{ user.metadata.apiToken }}' } },
      user: { id: 'carol', metadata: { apiToken: PASSTHROUGH_TOKEN } },
    });
    expect(run!.status).toBe('SUCCEEDED');
    expect(api.requests.at(-1)!.headers.authorization).toBe(`Bearer ${PASSTHROUGH_TOKEN}`);
    expect(api.requests.at(-1)!.headers['x-user-token']).toBe(PASSTHROUGH_TOKEN);

    const row = await hub.db.prisma.run.findFirstOrThrow({ where: { endUserId: 'carol' } });
    expect(row.userMetadata).toMatch(/^pbv1\./);
    const connectionRow = await hub.db.prisma.connection.findFirstOrThrow({ where: { orgId: org.id, name: 'Their own token' } });
    const history = await hub.hub.temporal.client.workflow.getHandle(workflowId!).fetchHistory();
    const feed = await gql(`query { activity(first: 100) { edges { node { type message data } } } }`, {});
    const everything = JSON.stringify([said, feed, row, connectionRow, history, hub.logs]);
    // The echo of the fake API is in the run's output: scrubbed like any secret the action saw.
    expect(everything).not.toContain(PASSTHROUGH_TOKEN);

    const missing = await runToEnd({ connectionId: passthrough.id, action: 'http_request', input: { url: '/whoami' }, user: { id: 'carol' } });
    expect(missing.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('give it in user.metadata') });
    const empty = await runToEnd({ connectionId: passthrough.id, action: 'http_request', input: { url: '/whoami' }, user: { metadata: { other: 1 } } });
    expect(empty.run, JSON.stringify(empty)).toMatchObject({ status: 'FAILED', error: expect.stringContaining('gave no value for apiKey') });
  });
});
