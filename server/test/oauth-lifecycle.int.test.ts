// The token-lifecycle workflow (`connection-tokens/<connectionId>`) against a real
// authorization server (oidc-provider on loopback): refresh at expiry with no signal, twenty
// concurrent runs on a dead token ⇒ exactly one refresh_token grant, invalid_grant ⇒ EXPIRED,
// delete ⇒ revoked upstream and the workflow ended, continue-as-new after its cycle limit, and
// no token in any workflow history or activity event.
import { vaultContext } from '@patchbay/db/vault';
import { connectionTokensWorkflowId, signalRefresh, startConnectionTokens } from '@patchbay/workflows';
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDelayMs } from '../../workflows/src/workflows/connection-tokens.ts';
import { TestHub, type TestOrg } from './harness.ts';
import { authorizeInBrowser, CODE_CLIENT, freePort, startAuthServer, type TestAuthServer } from './oauth-provider.ts';

// Plain documents (not graphql(`…`)) so this file needs no codegen run.
const SET_APP = `mutation LcSetApp($input: SetOAuthAppInput!) { setOAuthApp(input: $input) { id } }`;
const START = `mutation LcStart($input: StartOAuthInput!) { startOAuth(input: $input) { authorizationUrl connection { id } } }`;
const RUN = `mutation LcRun($input: RunActionInput!) { runAction(input: $input) { id workflowId } }`;
const RUN_BY_ID = `query LcRunById($id: ID!) { run(id: $id) { id status error } }`;
const DELETE = `mutation LcDelete($id: ID!) { deleteConnection(id: $id) { id status } }`;

let hub: TestHub;
let org: TestOrg;
let auth: TestAuthServer;
let resourceServer: FakeServer;
let refreshGrants = 0;
/** Every access/refresh token this file saw stored (scanned for leaks at the end). */
const tokens = new Set<string>();
const workflowIds = new Set<string>();

async function gql<T>(query: string, variables: Record<string, unknown>, token = org.tokens.ADMIN): Promise<T> {
  const result = await hub.gql<T, Record<string, unknown>>(query, variables, token);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

async function credentialsOf(connectionId: string) {
  const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
  const creds = row.credentials ? hub.hub.vault.decryptJson<{ accessToken: string; refreshToken?: string }>(row.credentials, vaultContext.connection(row.id)) : null;
  if (creds) for (const t of [creds.accessToken, creds.refreshToken]) if (t) tokens.add(t);
  return creds;
}

/** A code-flow connection through startOAuth + the provider's pages; its token workflow is running. */
async function connect(name: string) {
  const started = await gql<{ startOAuth: { authorizationUrl: string; connection: { id: string } } }>(START, {
    input: { integrationKey: 'oauth2', name, config: { baseUrl: resourceServer.url, authorizeParams: { prompt: 'consent' } } },
  });
  await authorizeInBrowser(started.startOAuth.authorizationUrl);
  const id = decodeGlobalID(started.startOAuth.connection.id).id;
  const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id } });
  expect(row.status).toBe('ACTIVE');
  workflowIds.add(connectionTokensWorkflowId(id));
  const handle = hub.hub.temporal.client.workflow.getHandle(connectionTokensWorkflowId(id));
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await credentialsOf(id);
  return { id, globalId: started.startOAuth.connection.id, orgId: row.orgId, handle };
}

async function runData(globalId: string) {
  const started = await gql<{ runAction: { id: string; workflowId: string } }>(RUN, { input: { connectionId: globalId, action: 'http_request', input: { url: '/data' } } }, org.tokens.MEMBER);
  await hub.hub.temporal.client.workflow.getHandle(started.runAction.workflowId).result().catch(() => undefined);
  return (await gql<{ run: { id: string; status: string; error: string | null } }>(RUN_BY_ID, { id: started.runAction.id })).run;
}

async function until<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The provider forgets an access token: the resource server now answers 401, like after expiry. */
async function killAccessToken(accessToken: string) {
  await (await auth.provider.AccessToken.find(accessToken))?.destroy();
}

beforeAll(async () => {
  const port = await freePort();
  hub = await TestHub.start({ env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` } });
  auth = await startAuthServer(`${hub.url}/oauth/callback`);
  auth.provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') refreshGrants++;
  });
  resourceServer = await startFakeServer(async (req) => {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const known = token && (await auth.provider.AccessToken.find(token));
    return known ? { json: { ok: true } } : { status: 401, json: { error: 'invalid_token' } };
  });
  org = await hub.createOrg('oauth-lifecycle');
  await gql(SET_APP, {
    input: {
      integrationKey: 'oauth2', clientId: CODE_CLIENT.id, clientSecret: CODE_CLIENT.secret, scopes: ['openid', 'offline_access'],
      authorizationUrl: auth.urls.authorization, tokenUrl: auth.urls.token, revocationUrl: auth.urls.revocation,
    },
  });
}, 180_000);

afterAll(async () => {
  if (hub && org) await hub.db.prisma.organization.deleteMany({ where: { id: org.id } }).catch(() => undefined);
  await hub?.stop();
  await auth?.close();
  await resourceServer?.close();
});

describe('token lifecycle workflow', () => {
  it('refreshes at expiry on its own timer, and a run then succeeds with the new token', async () => {
    const conn = await connect('Timer');
    // Restart the workflow on a token about to expire (a new run: the id is reusable once ended).
    await conn.handle.signal('stop');
    expect(await conn.handle.result()).toEqual({ status: 'STOPPED' });
    const old = (await credentialsOf(conn.id))!;
    await killAccessToken(old.accessToken);
    await hub.db.prisma.connection.update({ where: { id: conn.id }, data: { expiresAt: new Date(Date.now() + 2_000) } });
    const before = refreshGrants;
    await startConnectionTokens(hub.hub.temporal, conn);
    const fresh = await until(async () => {
      const creds = await credentialsOf(conn.id);
      return creds && creds.accessToken !== old.accessToken && creds;
    });
    expect(fresh.accessToken).not.toBe(old.accessToken);
    expect(refreshGrants - before).toBe(1);
    expect(await runData(conn.globalId)).toMatchObject({ status: 'SUCCEEDED' });
    const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: conn.id } });
    expect(row.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 600_000);
  });

  it('20 concurrent runs on a token that just died all succeed, with exactly one refresh_token grant', async () => {
    const conn = await connect('Burst');
    const old = (await credentialsOf(conn.id))!;
    await killAccessToken(old.accessToken);
    const before = refreshGrants;
    const runs = await Promise.all(Array.from({ length: 20 }, () => runData(conn.globalId)));
    expect(runs.map((r) => r.status)).toEqual(Array(20).fill('SUCCEEDED'));
    expect(refreshGrants - before).toBe(1);
    expect((await credentialsOf(conn.id))!.accessToken).not.toBe(old.accessToken);
  }, 120_000);

  it('a refused refresh (invalid_grant) leaves the connection EXPIRED with connection.expired, and the workflow ends', async () => {
    const conn = await connect('Refused');
    const { refreshToken } = (await credentialsOf(conn.id))!;
    await (await auth.provider.RefreshToken.find(refreshToken!))!.destroy();
    await signalRefresh(hub.hub.temporal, conn);
    expect(await conn.handle.result()).toEqual({ status: 'EXPIRED' });
    const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: conn.id } });
    expect(row.status).toBe('EXPIRED');
    expect(row.lastError).toBeTruthy();
    const events = await hub.db.prisma.activityEvent.findMany({ where: { connectionId: conn.id, type: 'connection.expired' } });
    expect(events).toHaveLength(1);
  });

  it('delete revokes the token at the provider and completes the workflow', async () => {
    const conn = await connect('Deleted');
    const { accessToken } = (await credentialsOf(conn.id))!;
    expect(await auth.provider.AccessToken.find(accessToken)).toBeTruthy();
    await gql(DELETE, { id: conn.globalId });
    expect(await auth.provider.AccessToken.find(accessToken)).toBeUndefined();
    expect(['STOPPED', 'GONE']).toContain((await conn.handle.result()).status);
    expect(await hub.db.prisma.connection.findUnique({ where: { id: conn.id } })).toBeNull();
  });

  it('continues as new after its cycle limit, carrying its state', async () => {
    const conn = await connect('Bounded');
    await conn.handle.signal('stop');
    await conn.handle.result();
    await startConnectionTokens(hub.hub.temporal, conn, { maxCycles: 2 });
    const first = await conn.handle.describe();
    for (let i = 0; i < 2; i++) {
      const seen = (await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: conn.id } })).updatedAt;
      await signalRefresh(hub.hub.temporal, conn);
      await until(async () => (await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: conn.id } })).updatedAt > seen);
      await credentialsOf(conn.id);
    }
    const latest = await until(async () => {
      const d = await conn.handle.describe();
      return d.runId !== first.runId && d;
    });
    expect(latest.status.name).toBe('RUNNING');
    const history = await hub.hub.temporal.client.workflow.getHandle(connectionTokensWorkflowId(conn.id), first.runId).fetchHistory();
    expect(history.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(await conn.handle.query('lastRefresh')).toMatchObject({ refreshes: 2 });
    await conn.handle.signal('stop');
    await conn.handle.result();
  });

  it('no access or refresh token in any workflow history or activity event', async () => {
    expect(tokens.size).toBeGreaterThan(5);
    const texts: string[] = [];
    for (const workflowId of workflowIds) {
      for await (const execution of hub.hub.temporal.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        const history = await hub.hub.temporal.client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
        texts.push(JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'bigint' ? String(v) : v)));
      }
    }
    const events = await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id } });
    texts.push(JSON.stringify(events));
    const all = texts.join('\n');
    expect(all).toContain('connection-tokens/');
    for (const token of tokens) expect(all.includes(token), 'a token leaked').toBe(false);
  });
});

describe('refreshDelayMs', () => {
  const issued = '2026-01-01T00:00:00.000Z';
  const at = (iso: string) => Date.parse(iso);
  it('refreshes 5 minutes (±10 %) before a long-lived token expires, the same way every time', () => {
    const delay = refreshDelayMs('2026-01-01T01:00:00.000Z', issued, 'conn-a', at(issued))!;
    expect(delay).toBeGreaterThanOrEqual(55 * 60_000 - 30_000);
    expect(delay).toBeLessThanOrEqual(55 * 60_000 + 30_000);
    expect(refreshDelayMs('2026-01-01T01:00:00.000Z', issued, 'conn-a', at(issued))).toBe(delay);
    expect(refreshDelayMs('2026-01-01T01:00:00.000Z', issued, 'conn-b', at(issued))).not.toBe(delay);
  });
  it('uses 10 % of the lifetime for short-lived tokens, never a negative delay, none without expiry', () => {
    const delay = refreshDelayMs('2026-01-01T00:01:00.000Z', issued, 'conn-a', at(issued))!;
    expect(delay).toBeGreaterThanOrEqual(54_000 - 600);
    expect(delay).toBeLessThanOrEqual(54_000 + 600);
    expect(refreshDelayMs('2025-12-31T00:00:00.000Z', issued, 'conn-a', at(issued))).toBe(0);
    expect(refreshDelayMs(null, issued, 'conn-a', at(issued))).toBeNull();
  });
});
