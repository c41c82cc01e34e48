// A manifest's `oauth` block end to end through GraphQL and real HTTP redirects: startManifestOAuth
// renders authenticate_url ({{ CLIENT_ID }}, {{ redirect_url }}, the state added), a fake provider
// consents and redirects to /oauth/callback, the manifest's access_token request (code appended to
// its URL, as ChiefOnboarding does) gets the tokens, stored encrypted as {{ oauth.* }}; execute
// requests send them (the fake API checks the Bearer token); the connection-tokens workflow runs
// the `refresh` request before expires_in runs out and when a request gets a 401; `without_code`;
// the state is single use; and no token, code or client secret shows up in GraphQL responses,
// logs, run rows, activity events or Temporal histories.
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vaultContext } from '@patchbay/db/vault';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { TestHub, type TestOrg } from './harness.ts';
import { consentAndReturn, fakeOAuthRoutes, gqlKit, manifestOAuthBlock, temporalHistoryText, waitForRun } from './manifest-helpers.ts';

const CLIENT_ID = 'mf-client-4411';
const CLIENT_SECRET = 'mf-client-secret-9a8b7c6d5e4f';
const APP_SECRET = 'install-app-secret-0f1e2d3c';
const REFRESH_TOKEN = 'mf-refresh-token-77ab01cd';

const REGISTER = `mutation Register($input: RegisterManifestInput!) { registerManifest(input: $input) { key authModes auth { mode } } }`;
const START = `mutation Start($input: StartManifestOAuthInput!) { startManifestOAuth(input: $input) { authorizationUrl connection { id status authMode name } } }`;
const CONNECT = `mutation Connect($input: ConnectManifestInput!) { connectManifest(input: $input) { id } }`;
const CONNECTION = `query Conn($id: ID!) { connection(id: $id) { id status authMode lastError expiresAt config } }`;
const RUN_MANIFEST = `mutation RunManifest($input: RunManifestInput!) { runManifest(input: $input) { id workflowId } }`;
const FEED = `query Feed($filter: ActivityFilter) { activity(filter: $filter, first: 100) { edges { node { type message data } } } }`;

let hub: TestHub;
let org: TestOrg;
let provider: FakeServer;
const { responses, call, data } = gqlKit(() => ({ hub, org }));
/** Tokens the fake API accepts; every token ever issued, for the leak scan. */
const valid = new Set<string>();
const issued: string[] = [];
let tokenCount = 0;
let firstExpiresIn = 3;

function issue(prefix: string): string {
  const token = `${prefix}-${++tokenCount}-${Math.random().toString(36).slice(2, 12)}`;
  valid.add(token);
  issued.push(token);
  return token;
}

const oauth = fakeOAuthRoutes({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, authorizePath: '/authorize', issue: () => issue('at'), firstExpiresIn: () => firstExpiresIn });


const oauthManifest = {
  oauth: manifestOAuthBlock('https://auth.example.com/authorize', 'https://auth.example.com/token'),
  headers: { Authorization: 'Bearer {{ oauth.access_token }}', 'Content-Type': 'application/json' },
  execute: [{ url: 'https://api.example.com/users', method: 'POST', data: { email: '{{ email }}', name: '{{ first_name }}' } }],
  initial_data_form: [
    { id: 'CLIENT_ID', name: 'Client ID' },
    { id: 'CLIENT_SECRET', name: 'Client secret' },
  ],
};

const withoutCodeManifest = {
  oauth: {
    authenticate_url: 'https://install.example.com/install?app={{ APP_ID }}&return_to={{ redirect_url }}',
    access_token: { url: 'https://install.example.com/app-token', method: 'POST', data: { app: '{{ APP_ID }}', secret: '{{ APP_SECRET }}' } },
    without_code: true,
  },
  headers: { Authorization: 'token {{ oauth.token }}' },
  execute: [{ url: 'https://api.example.com/installations/{{ oauth.installation }}/members', method: 'POST', data: { email: '{{ email }}' } }],
  initial_data_form: [
    { id: 'APP_ID', name: 'App ID' },
    { id: 'APP_SECRET', name: 'App secret' },
  ],
};

beforeAll(async () => {
  provider = await startFakeServer((req) => {
    const url = new URL(req.url, 'http://fake');
    const body = (req.json ?? {}) as Record<string, string>;
    const oauthAnswer = oauth.handle(req);
    if (oauthAnswer) return oauthAnswer;
    if (req.method === 'GET' && url.pathname === '/install') {
      const back = new URL(url.searchParams.get('return_to')!);
      back.searchParams.set('state', url.searchParams.get('state')!);
      back.searchParams.set('installation_id', '77');
      return { status: 302, headers: { location: back.toString() } };
    }
    if (req.method === 'POST' && url.pathname === '/app-token') {
      if (body.secret !== APP_SECRET) return { status: 401, json: { error: 'bad secret' } };
      return { json: { token: issue('inst'), installation: 'inst-77' } };
    }
    if (req.method === 'POST' && url.pathname === '/users') {
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!token || !valid.has(token)) return { status: 401, json: { error: 'invalid_token' } };
      return { status: 201, json: { id: `u-${body.email}`, email: body.email } };
    }
    if (req.method === 'POST' && url.pathname === '/installations/inst-77/members') {
      const token = /^token (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!token || !valid.has(token)) return { status: 401, json: { error: 'invalid_token' } };
      return { json: { ok: true, member: body.email } };
    }
    return { status: 404, json: { error: 'no route' } };
  });
  hub = await TestHub.start();
  org = await hub.createOrg('manifest-oauth');
  await data(REGISTER, { input: { key: 'hris', displayName: 'HRIS', manifest: oauthManifest } });
  await data(REGISTER, { input: { key: 'installer', displayName: 'Installer app', manifest: withoutCodeManifest } });
});

afterAll(async () => {
  await hub?.stop();
  await provider?.close();
});

const overrides = () => ({ hostOverrides: { 'auth.example.com': provider.url, 'api.example.com': provider.url, 'install.example.com': provider.url } });


let connectionId: string;

describe('oauth: authorization code', () => {
  it('describes the manifest as an OAUTH2 integration and refuses connectManifest for it', async () => {
    const { registerManifest } = await data(REGISTER, { input: { key: 'hris', displayName: 'HRIS', manifest: oauthManifest } });
    expect(registerManifest.authModes).toEqual(['OAUTH2']);
    const refused = await call(CONNECT, { input: { integrationKey: 'hris', name: 'HRIS', initialData: { CLIENT_ID, CLIENT_SECRET } } });
    expect(refused.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.integrationKey', message: expect.stringContaining('startManifestOAuth') }]);
  });

  it('starts the flow: a PENDING connection and the rendered authenticate_url with the state added', async () => {
    const { startManifestOAuth } = await data(START, {
      input: { integrationKey: 'hris', name: 'HRIS', initialData: { CLIENT_ID, CLIENT_SECRET }, config: overrides(), redirectUrl: 'https://app.example.com/connected' },
    });
    expect(startManifestOAuth.connection).toMatchObject({ status: 'PENDING', authMode: 'OAUTH2', name: 'HRIS' });
    const url = new URL(startManifestOAuth.authorizationUrl);
    expect(`${url.protocol}//${url.host}`).toBe(provider.url); // host override applied
    expect(url.pathname).toBe('/authorize');
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('redirect_uri')).toBe(`${hub.hub.config.publicUrl}/oauth/callback`);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{40,}$/);
    connectionId = startManifestOAuth.connection.id;

    const { callback, callbackUrl } = await consentAndReturn(hub.url, startManifestOAuth.authorizationUrl);
    expect(callback.status).toBe(302);
    const back = new URL(callback.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe('https://app.example.com/connected');
    expect(back.searchParams.get('connection_id')).toBe(connectionId);
    expect(back.searchParams.get('status')).toBe('ACTIVE');

    // The access_token request: the code appended to its URL, the rendered body.
    const exchange = provider.requests.find((r) => r.url.startsWith('/token?code='))!;
    expect(new URL(exchange.url, 'http://x').searchParams.get('code')).toBe(callbackUrl.searchParams.get('code'));
    expect(exchange.json).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: `${hub.hub.config.publicUrl}/oauth/callback`, grant_type: 'authorization_code' });

    const { connection } = await data(CONNECTION, { id: connectionId });
    expect(connection).toMatchObject({ status: 'ACTIVE', authMode: 'OAUTH2', lastError: null });
    expect(connection.expiresAt).not.toBeNull();

    // Stored encrypted: the ciphertext holds no token; decrypted, it is the token answer as {{ oauth }}.
    const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: decodeGlobalID(connectionId).id } });
    expect(row.credentials).not.toContain(issued[0]!);
    expect(row.credentials).not.toContain(REFRESH_TOKEN);
    const stored = hub.hub.vault.decryptJson<{ initialData: Record<string, string>; oauth: Record<string, unknown> }>(row.credentials!, vaultContext.connection(row.id));
    expect(stored.initialData).toEqual({ CLIENT_ID, CLIENT_SECRET });
    expect(stored.oauth).toMatchObject({ access_token: issued[0], refresh_token: REFRESH_TOKEN, token_type: 'Bearer' });

    // The state is single use: a replay of the same callback fails and leaves the connection alone.
    const replay = await fetch(`${hub.url}${callbackUrl.pathname}${callbackUrl.search}`, { redirect: 'manual' });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already used');
    expect((await data(CONNECTION, { id: connectionId })).connection.status).toBe('ACTIVE');
  });

  it('sends the token on execute requests ({{ oauth.access_token }})', async () => {
    const { runManifest } = await data(RUN_MANIFEST, { input: { connectionId, action: 'EXECUTE', subject: { email: 'ada@example.com', first_name: 'Ada' } } });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(run.output).toMatchObject({ responses: [{ id: 'u-ada@example.com' }] });
    const sent = provider.requests.filter((r) => r.url === '/users').at(-1)!;
    expect(valid.has(String(sent.headers.authorization).slice('Bearer '.length))).toBe(true);
  });

  it('refreshes before expires_in runs out, through the connection-tokens workflow and the refresh request', async () => {
    const deadline = Date.now() + 30_000;
    while (!provider.requests.some((r) => r.url === '/token' && (r.json as { grant_type?: string })?.grant_type === 'refresh_token')) {
      if (Date.now() > deadline) throw new Error('no refresh request within 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const refresh = provider.requests.find((r) => r.url === '/token' && (r.json as { grant_type?: string })?.grant_type === 'refresh_token')!;
    expect(refresh.json).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: REFRESH_TOKEN, grant_type: 'refresh_token' });
    // The stored token changes (the refresh answer merged into {{ oauth }}, keeping the refresh token).
    let stored: { oauth: Record<string, unknown> } | undefined;
    while (Date.now() < deadline) {
      const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: decodeGlobalID(connectionId).id } });
      stored = hub.hub.vault.decryptJson(row.credentials!, vaultContext.connection(row.id));
      if (stored!.oauth.access_token === issued[1]) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(stored!.oauth).toMatchObject({ access_token: issued[1], refresh_token: REFRESH_TOKEN, expires_in: 3600 });
    const { connection } = await data(CONNECTION, { id: connectionId });
    expect(connection.status).toBe('ACTIVE');
    expect(new Date(connection.expiresAt).getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    const feed = await data(FEED, { filter: {} });
    expect(feed.activity.edges.map((e: { node: { type: string } }) => e.node.type)).toContain('connection.refreshed');
  });

  it('refreshes when an execute request gets a 401, then retries it with the new token', async () => {
    const current = issued.at(-1)!;
    valid.delete(current); // the provider revoked it before its expiry
    const before = issued.length;
    const { runManifest } = await data(RUN_MANIFEST, { input: { connectionId, action: 'EXECUTE', subject: { email: 'grace@example.com', first_name: 'Grace' } } });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id, 60_000);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(issued.length).toBe(before + 1);
    const calls = provider.requests.filter((r) => r.url === '/users' && (r.json as { email?: string })?.email === 'grace@example.com');
    expect(calls.map((c) => c.headers.authorization)).toEqual([`Bearer ${current}`, `Bearer ${issued.at(-1)}`]);
  });
});

describe('oauth: without_code', () => {
  it('completes a callback that has no code, and uses the token answer as {{ oauth.* }}', async () => {
    const { startManifestOAuth } = await data(START, { input: { integrationKey: 'installer', name: 'Installer', initialData: { APP_ID: 'app-5', APP_SECRET }, config: overrides() } });
    const { callback, callbackUrl } = await consentAndReturn(hub.url, startManifestOAuth.authorizationUrl);
    expect(callbackUrl.searchParams.has('code')).toBe(false);
    expect(callback.status).toBe(200); // no redirectUrl: the page posts the result to window.opener
    expect(await callback.text()).toContain('Connected');
    const exchange = provider.requests.filter((r) => r.url.startsWith('/app-token')).at(-1)!;
    expect(exchange.url).toBe('/app-token'); // no code appended
    const id = startManifestOAuth.connection.id;
    const { connection } = await data(CONNECTION, { id });
    expect(connection).toMatchObject({ status: 'ACTIVE', expiresAt: null }); // no refresh request: the token is permanent

    const { runManifest } = await data(RUN_MANIFEST, { input: { connectionId: id, action: 'EXECUTE', subject: { email: 'lin@example.com' } } });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { responses: [{ ok: true, member: 'lin@example.com' }] } });
  });
});

describe('oauth: failures', () => {
  it('fails a callback without a code (when one is needed) and leaves the connection ERROR', async () => {
    const { startManifestOAuth } = await data(START, { input: { integrationKey: 'hris', name: 'HRIS 2', initialData: { CLIENT_ID, CLIENT_SECRET }, config: overrides() } });
    const state = new URL(startManifestOAuth.authorizationUrl).searchParams.get('state')!;
    const res = await fetch(`${hub.url}/oauth/callback?state=${encodeURIComponent(state)}`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('no code');
    const { connection } = await data(CONNECTION, { id: startManifestOAuth.connection.id });
    expect(connection).toMatchObject({ status: 'ERROR', lastError: expect.stringContaining('no code') });
  });

  it('reports a refused access_token request without echoing the answer', async () => {
    const { startManifestOAuth } = await data(START, { input: { integrationKey: 'hris', name: 'HRIS 3', initialData: { CLIENT_ID, CLIENT_SECRET }, config: overrides() } });
    const state = new URL(startManifestOAuth.authorizationUrl).searchParams.get('state')!;
    const res = await fetch(`${hub.url}/oauth/callback?state=${encodeURIComponent(state)}&code=not-a-real-code`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    const { connection } = await data(CONNECTION, { id: startManifestOAuth.connection.id });
    expect(connection).toMatchObject({ status: 'ERROR', lastError: 'The oauth.access_token request was refused (HTTP 400 invalid_grant)' });
  });

  it('refuses an unknown state', async () => {
    const res = await fetch(`${hub.url}/oauth/callback?state=forged-state&code=x`, { redirect: 'manual' });
    expect(res.status).toBe(400);
  });

  it('validates startManifestOAuth input with exact paths', async () => {
    const missing = await call(START, { input: { integrationKey: 'hris', name: 'HRIS', initialData: { CLIENT_ID } } });
    expect(missing.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.initialData.CLIENT_SECRET', message: 'Client secret: a non-empty string is required' }]);
    await data(REGISTER, { input: { key: 'plain', displayName: 'Plain', manifest: { execute: [{ url: 'https://api.example.com/x' }] } } });
    const plain = await call(START, { input: { integrationKey: 'plain', name: 'Plain' } });
    expect(plain.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.integrationKey', message: '"plain" has no oauth block: connect it with connectManifest' }]);
    const member = await call(START, { input: { integrationKey: 'hris', name: 'HRIS', initialData: { CLIENT_ID, CLIENT_SECRET } } }, org.tokens.MEMBER);
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('secrets', () => {
  it('shows no token, code or client secret in GraphQL responses, logs, run rows, activity events or Temporal histories', async () => {
    const secrets = [...issued, REFRESH_TOKEN, CLIENT_SECRET, APP_SECRET, ...oauth.codes];
    expect(issued.length).toBeGreaterThanOrEqual(4);
    const feed = await data(FEED, { filter: {} });
    const runs = await hub.db.prisma.run.findMany({ where: { orgId: org.id } });
    const events = await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id } });
    const histories = await Promise.all(runs.map((r) => temporalHistoryText(hub, `run/${r.id}`).catch(() => '')));
    const tokenHistory = await temporalHistoryText(hub, `connection-tokens/${decodeGlobalID(connectionId).id}`).catch(() => '');
    const everything = JSON.stringify([responses, feed, runs, events, hub.logs, histories, tokenHistory]);
    expect(histories.join('').length).toBeGreaterThan(0);
    for (const secret of secrets) expect(everything, `leaked ${secret.slice(0, 6)}…`).not.toContain(secret);
  });
});
