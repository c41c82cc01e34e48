// OAuth2 connections against a real authorization server (oidc-provider on loopback), through
// GraphQL and HTTP only: an org registers its OAuth app, starts the code flow, the "browser"
// signs in and consents on the provider's own pages, the provider redirects to the hub's
// /oauth/callback, and the connection's access token then works in an http_request run.
// Failure paths (denied consent, bad/expired/reused state, token endpoint errors), client
// credentials, refresh, and a scan proving no token, code, verifier, state or client secret
// shows up in responses, pages, logs, the activity feed or the database in clear.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { vaultContext } from '@patchbay/db/vault';
import { revokeStoredTokens } from '@patchbay/workflows/oauth-connections';
import { oauthVaultContext } from '@patchbay/workflows/oauth';
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { TestHub, type GqlResult, type TestOrg } from './harness.ts';
import { authorizeInBrowser, CODE_CLIENT, freePort, MACHINE_CLIENT, startAuthServer, type TestAuthServer } from './oauth-provider.ts';

const SetOAuthApp = graphql(`
  mutation SetOAuthApp($input: SetOAuthAppInput!) {
    setOAuthApp(input: $input) { id integrationKey clientId scopes authorizationUrl tokenUrl revocationUrl }
  }
`);
const OAuthApps = graphql(`query OAuthApps { oauthApps { id integrationKey clientId scopes } }`);
const StartOAuth = graphql(`
  mutation StartOAuth($input: StartOAuthInput!) {
    startOAuth(input: $input) { authorizationUrl connection { id name status authMode config } }
  }
`);
const ConnectionById = graphql(`query OAuthConnection($id: ID!) { connection(id: $id) { id status authMode expiresAt lastError config } }`);
const RefreshConnection = graphql(`mutation RefreshOAuthConnection($id: ID!) { refreshConnection(id: $id) { id status expiresAt lastError } }`);
const CreateConnection = graphql(`
  mutation CreateOAuthConnection($input: CreateConnectionInput!) { createConnection(input: $input) { id status authMode expiresAt lastError } }
`);
const RunAction = graphql(`mutation RunOAuthAction($input: RunActionInput!) { runAction(input: $input) { id workflowId status } }`);
const RunById = graphql(`query OAuthRun($id: ID!) { run(id: $id) { id status output error } }`);
const Feed = graphql(`query OAuthFeed { activity(first: 200) { edges { node { type level message data connectionId } } } }`);

let hub: TestHub;
let org: TestOrg;
let auth: TestAuthServer;
let resourceServer: FakeServer;
/** Everything the hub said to a client: GraphQL results and callback responses. */
const said: string[] = [];
/** Every state the hub handed out (they are in authorizationUrl by design, and must be nowhere else). */
const states: string[] = [];
/** Every authorization code the provider sent to the callback. */
const codes: string[] = [];
/** Organizations this file made (scanned for leaks, then deleted). */
const orgIds: string[] = [];

async function newOrg(label: string) {
  const created = await hub.createOrg(label);
  orgIds.push(created.id);
  return created;
}

async function call<T, V>(doc: TypedDocumentNode<T, V>, variables: V, token = org.tokens.ADMIN): Promise<GqlResult<T>> {
  const result = await hub.gql(doc, variables, token);
  // startOAuth's authorizationUrl carries the state on purpose; it is scanned apart.
  said.push(JSON.stringify(result).replace(/"authorizationUrl":"[^"]*"/g, '"authorizationUrl":"…"'));
  return result;
}

async function data<T, V>(doc: TypedDocumentNode<T, V>, variables: V, token = org.tokens.ADMIN): Promise<T> {
  const result = await call(doc, variables, token);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

async function setCodeApp(clientSecret = CODE_CLIENT.secret) {
  return data(SetOAuthApp, {
    input: {
      integrationKey: 'oauth2',
      clientId: CODE_CLIENT.id,
      clientSecret,
      scopes: ['openid', 'offline_access'],
      authorizationUrl: auth.urls.authorization,
      tokenUrl: auth.urls.token,
      revocationUrl: auth.urls.revocation,
    },
  });
}

/** startOAuth for the generic oauth2 integration, asking for a refresh token (offline_access needs prompt=consent). */
async function startFlow(name: string, redirectUrl?: string) {
  const started = await data(StartOAuth, {
    input: { integrationKey: 'oauth2', name, redirectUrl, config: { baseUrl: auth.issuer, authorizeParams: { prompt: 'consent' } } },
  });
  const state = new URL(started.startOAuth.authorizationUrl).searchParams.get('state')!;
  states.push(state);
  return { ...started.startOAuth, state, localId: decodeGlobalID(started.startOAuth.connection.id).id };
}

async function browse(authorizationUrl: string, options?: Parameters<typeof authorizeInBrowser>[1]) {
  const result = await authorizeInBrowser(authorizationUrl, options);
  const code = new URL(result.callbackUrl).searchParams.get('code');
  if (code) codes.push(code);
  said.push(result.body, result.response.headers.get('location') ?? '');
  return result;
}

async function storedCredentials(connectionId: string) {
  const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
  return row.credentials ? hub.hub.vault.decryptJson<Record<string, string>>(row.credentials, vaultContext.connection(row.id)) : null;
}

async function runToEnd(connectionId: string, input: unknown) {
  const started = await data(RunAction, { input: { connectionId, action: 'http_request', input } }, org.tokens.MEMBER);
  await hub.hub.temporal.client.workflow.getHandle(started.runAction.workflowId).result().catch(() => undefined);
  return (await data(RunById, { id: started.runAction.id })).run!;
}

beforeAll(async () => {
  // The provider must know the callback URL before the hub's port is known, so the port is chosen first.
  const port = await freePort();
  hub = await TestHub.start({ env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` } });
  auth = await startAuthServer(`${hub.url}/oauth/callback`);
  // A resource server that accepts only live tokens the authorization server issued.
  resourceServer = await startFakeServer(async (req) => {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const known = token && ((await auth.provider.ClientCredentials.find(token)) ?? (await auth.provider.AccessToken.find(token)));
    return known ? { json: { ok: true, clientId: known.clientId } } : { status: 401, json: { error: 'invalid_token' } };
  });
  org = await newOrg('oauth');
}, 180_000);

afterAll(async () => {
  // A shared PostgreSQL keeps only what other test files need: this file's organizations go (with everything they own).
  if (hub) await hub.db.prisma.organization.deleteMany({ where: { id: { in: orgIds } } }).catch(() => undefined);
  await hub?.stop();
  await auth?.close();
  await resourceServer?.close();
});

describe('OAuth apps', () => {
  it('setOAuthApp stores the client secret encrypted, never returns it, and is ADMIN only', async () => {
    const denied = await call(SetOAuthApp, { input: { integrationKey: 'oauth2', clientId: 'x', clientSecret: 'y', tokenUrl: auth.urls.token } }, org.tokens.MEMBER);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const app = (await setCodeApp()).setOAuthApp;
    expect(app).toMatchObject({ integrationKey: 'oauth2', clientId: CODE_CLIENT.id, scopes: ['openid', 'offline_access'], tokenUrl: auth.urls.token });
    const again = (await setCodeApp()).setOAuthApp;
    expect(again.id).toBe(app.id); // one app per (org, integration)

    const row = await hub.db.prisma.oAuthApp.findUniqueOrThrow({ where: { id: decodeGlobalID(app.id).id } });
    expect(row.clientSecret).toMatch(/^pbv1\./);
    expect(hub.hub.vault.decrypt(row.clientSecret, oauthVaultContext.app(row.id))).toBe(CODE_CLIENT.secret);
    const listed = await data(OAuthApps, {}, org.tokens.VIEWER);
    expect(listed.oauthApps.map((a) => a.clientId)).toEqual([CODE_CLIENT.id]);
  });

  it('refuses apps the integration cannot use, naming the problem', async () => {
    const cases = [
      [{ integrationKey: 'no-such-plugin', clientId: 'a', clientSecret: 'b' }, /Unknown integration/],
      [{ integrationKey: 'http', clientId: 'a', clientSecret: 'b' }, /does not connect with OAuth2/],
      [{ integrationKey: 'oauth2', clientId: 'a', clientSecret: 'b' }, /tokenUrl: is required/],
      [{ integrationKey: 'oauth2', clientId: 'a', clientSecret: 'b', tokenUrl: 'http://idp.example.com/token' }, /tokenUrl: must use https/],
      [{ integrationKey: 'oauth2', clientId: 'a', clientSecret: 'b', tokenUrl: 'not a url' }, /tokenUrl: must be an absolute http\(s\) URL/],
    ] as const;
    for (const [input, message] of cases) {
      const result = await call(SetOAuthApp, { input });
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(result.errors?.[0]?.message).toMatch(message);
    }
  });
});

describe('authorization code + PKCE', () => {
  let connectionId: string;
  let localId: string;
  let firstCallbackUrl: string;

  it('connects through the provider login and consent pages, then the token works in an http_request run', async () => {
    const flow = await startFlow('Provider account', 'https://app.example/connected?from=test');
    expect(flow.connection).toMatchObject({ name: 'Provider account', status: 'PENDING', authMode: 'OAUTH2' });
    const url = new URL(flow.authorizationUrl);
    expect(url.origin + url.pathname).toBe(auth.urls.authorization);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CODE_CLIENT.id,
      redirect_uri: `${hub.url}/oauth/callback`,
      scope: 'openid offline_access',
      code_challenge_method: 'S256',
      prompt: 'consent',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);

    const { response, callbackUrl } = await browse(flow.authorizationUrl);
    firstCallbackUrl = callbackUrl;
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get('location')!);
    expect(back.origin + back.pathname).toBe('https://app.example/connected');
    expect(Object.fromEntries(back.searchParams)).toEqual({ from: 'test', connection_id: flow.connection.id, status: 'ACTIVE' });
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');

    connectionId = flow.connection.id;
    localId = flow.localId;
    const connection = (await data(ConnectionById, { id: connectionId })).connection!;
    expect(connection).toMatchObject({ status: 'ACTIVE', authMode: 'OAUTH2', lastError: null });
    expect(new Date(connection.expiresAt!).getTime()).toBeGreaterThan(Date.now() + 600_000);
    const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: localId } });
    expect(row.scopes).toEqual(['openid', 'offline_access']);
    const credentials = (await storedCredentials(localId))!;
    expect(credentials).toMatchObject({ tokenType: 'Bearer', scope: 'openid offline_access', expiresAt: connection.expiresAt });
    expect(credentials.accessToken).toBeTruthy();
    expect(credentials.refreshToken).toBeTruthy();

    // The access token against the provider's own userinfo endpoint, through the generic plugin's http_request.
    const run = await runToEnd(connectionId, { url: '/me' });
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { status: 200, body: { sub: 'alice' } } });
    const feed = await data(Feed, {});
    expect(feed.activity.edges.map((e) => e.node)).toContainEqual(expect.objectContaining({ type: 'connection.created', connectionId }));
  });

  it('popup flow: the callback page posts the result to window.opener on the hub origin and closes', async () => {
    const flow = await startFlow('Popup account');
    const { response, body } = await browse(flow.authorizationUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'nonce-[^']+'/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body).toContain(`{"type":"patchbay:oauth","connectionId":"${flow.connection.id}","status":"ACTIVE"}`);
    expect(body).toContain(`window.opener.postMessage(message, "${hub.url}")`);
    expect(body).not.toContain("'*'");
    expect(body).toContain('window.close()');
    expect((await data(ConnectionById, { id: flow.connection.id })).connection!.status).toBe('ACTIVE');
  });

  it('a replayed callback gets the error page and leaves the working connection alone', async () => {
    const res = await fetch(firstCallbackUrl, { redirect: 'manual' });
    const body = await res.text();
    said.push(body);
    expect(res.status).toBe(400);
    expect(body).toContain('already used');
    expect((await data(ConnectionById, { id: connectionId })).connection).toMatchObject({ status: 'ACTIVE', lastError: null });
  });

  it('refreshConnection gets a new access token with the refresh token', async () => {
    const before = (await storedCredentials(localId))!;
    const refreshed = (await data(RefreshConnection, { id: connectionId }, org.tokens.MEMBER)).refreshConnection;
    expect(refreshed).toMatchObject({ status: 'ACTIVE', lastError: null });
    const after = (await storedCredentials(localId))!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).toBeTruthy();
    expect(await auth.provider.AccessToken.find(after.accessToken!)).toBeTruthy();
    const run = await runToEnd(connectionId, { url: '/me' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { body: { sub: 'alice' } } });
    const feed = await data(Feed, {});
    expect(feed.activity.edges.map((e) => e.node)).toContainEqual(expect.objectContaining({ type: 'connection.refreshed', connectionId }));
  });

  it('revokes at the provider (RFC 7009), after which a refresh is refused: EXPIRED with the reason', async () => {
    const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: localId } });
    const { refreshToken } = (await storedCredentials(localId))!;
    expect(await auth.provider.RefreshToken.find(refreshToken!)).toBeTruthy();
    expect(await revokeStoredTokens(hub.hub, row)).toBe(true);
    expect(await auth.provider.RefreshToken.find(refreshToken!)).toBeUndefined();

    const expired = (await data(RefreshConnection, { id: connectionId })).refreshConnection;
    expect(expired.status).toBe('EXPIRED');
    expect(expired.lastError).toMatch(/invalid_grant/);
    const feed = await data(Feed, {});
    expect(feed.activity.edges.map((e) => e.node)).toContainEqual(expect.objectContaining({ type: 'connection.expired', level: 'warn', connectionId }));
  });
});

describe('failed authorizations: ERROR with a human reason, an error page, nothing stored', () => {
  it('denied consent', async () => {
    const flow = await startFlow('Denied account', 'https://app.example/connected');
    const { response, body } = await browse(flow.authorizationUrl, { consent: 'deny' });
    expect(response.status).toBe(400);
    expect(body).toContain('Access was denied at the provider');
    expect(body).toContain(`https://app.example/connected?connection_id=${encodeURIComponent(flow.connection.id)}&amp;status=ERROR`);
    const connection = (await data(ConnectionById, { id: flow.connection.id })).connection!;
    expect(connection.status).toBe('ERROR');
    expect(connection.lastError).toMatch(/^Access was denied at the provider/);
    expect(await storedCredentials(flow.localId)).toBeNull();
  });

  it('unknown and expired states', async () => {
    const unknown = await fetch(`${hub.url}/oauth/callback?code=made-up-code&state=made-up-state`);
    const unknownBody = await unknown.text();
    said.push(unknownBody);
    expect(unknown.status).toBe(400);
    expect(unknownBody).toContain('unknown');

    const missing = await fetch(`${hub.url}/oauth/callback?code=made-up-code`);
    expect(missing.status).toBe(400);

    const flow = await startFlow('Slow account');
    await hub.db.prisma.oAuthState.updateMany({ where: { connectionId: flow.localId }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    const { response, body } = await browse(flow.authorizationUrl);
    expect(response.status).toBe(400);
    expect(body).toContain('took longer than 10 minutes');
    const connection = (await data(ConnectionById, { id: flow.connection.id })).connection!;
    expect(connection).toMatchObject({ status: 'ERROR', lastError: expect.stringContaining('took longer than 10 minutes') });
    expect(await storedCredentials(flow.localId)).toBeNull();
  });

  it('a token endpoint error (the provider refuses the client)', async () => {
    const flow = await startFlow('Misconfigured account');
    await setCodeApp('a-wrong-client-secret-for-the-test');
    try {
      const { response, body } = await browse(flow.authorizationUrl);
      expect(response.status).toBe(400);
      expect(body).toContain('invalid_client');
      const connection = (await data(ConnectionById, { id: flow.connection.id })).connection!;
      expect(connection.status).toBe('ERROR');
      expect(connection.lastError).toMatch(/token endpoint .*invalid_client/);
      expect(await storedCredentials(flow.localId)).toBeNull();
    } finally {
      await setCodeApp();
    }
  });

  it('startOAuth refuses integrations and apps that cannot run the flow', async () => {
    const other = await newOrg('oauth-no-app');
    const noApp = await hub.gql(StartOAuth, { input: { integrationKey: 'oauth2', name: 'x' } }, other.tokens.ADMIN);
    expect(noApp.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('setOAuthApp') });
    const notOAuth = await call(StartOAuth, { input: { integrationKey: 'http', name: 'x' } });
    expect(notOAuth.errors?.[0]?.message).toMatch(/does not support OAUTH2/);
    const member = await call(StartOAuth, { input: { integrationKey: 'oauth2', name: 'x' } }, org.tokens.MEMBER);
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('client credentials', () => {
  it("uses the org's OAuth app: ACTIVE with a token at creation, used by http_request, re-fetched by refreshConnection", async () => {
    const machineOrg = await newOrg('oauth-machine');
    const set = await hub.gql(SetOAuthApp, { input: { integrationKey: 'oauth2', clientId: MACHINE_CLIENT.id, clientSecret: MACHINE_CLIENT.secret, scopes: ['api:read'], tokenUrl: auth.urls.token } }, machineOrg.tokens.OWNER);
    said.push(JSON.stringify(set));
    expect(set.errors).toBeUndefined();
    const created = await hub.gql(CreateConnection, {
      input: { integrationKey: 'oauth2', name: 'Machine', authMode: 'OAUTH2_CLIENT_CREDENTIALS', config: { baseUrl: resourceServer.url, tokenEndpointAuthMethod: 'client_secret_basic' } },
    }, machineOrg.tokens.ADMIN);
    said.push(JSON.stringify(created));
    expect(created.errors).toBeUndefined();
    const connection = created.data!.createConnection;
    expect(connection).toMatchObject({ status: 'ACTIVE', authMode: 'OAUTH2_CLIENT_CREDENTIALS', lastError: null });
    expect(new Date(connection.expiresAt!).getTime()).toBeGreaterThan(Date.now());
    const localId = decodeGlobalID(connection.id).id;
    const first = (await storedCredentials(localId))!;
    expect(first).toMatchObject({ tokenType: 'Bearer', scope: 'api:read' });
    expect((await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: localId } })).scopes).toEqual(['api:read']);

    const started = await hub.gql(RunAction, { input: { connectionId: connection.id, action: 'http_request', input: { url: '/data' } } }, machineOrg.tokens.MEMBER);
    await hub.hub.temporal.client.workflow.getHandle(started.data!.runAction.workflowId).result().catch(() => undefined);
    const run = await hub.gql(RunById, { id: started.data!.runAction.id }, machineOrg.tokens.MEMBER);
    said.push(JSON.stringify(run));
    expect(run.data!.run).toMatchObject({ status: 'SUCCEEDED', output: { body: { ok: true, clientId: MACHINE_CLIENT.id } } });

    const refreshed = await hub.gql(RefreshConnection, { id: connection.id }, machineOrg.tokens.MEMBER);
    said.push(JSON.stringify(refreshed));
    expect(refreshed.data!.refreshConnection).toMatchObject({ status: 'ACTIVE', lastError: null });
    const second = (await storedCredentials(localId))!;
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(await auth.provider.ClientCredentials.find(second.accessToken!)).toBeTruthy();
  });

  it("uses the connection's own client id and secret when given; a refused client leaves it ERROR", async () => {
    const created = (await data(CreateConnection, {
      input: {
        integrationKey: 'oauth2', name: 'Own client', authMode: 'OAUTH2_CLIENT_CREDENTIALS',
        credentials: { clientId: MACHINE_CLIENT.id, clientSecret: MACHINE_CLIENT.secret },
        config: { baseUrl: resourceServer.url, tokenEndpointAuthMethod: 'client_secret_basic', scopes: ['api:read'] },
      },
    })).createConnection;
    expect(created).toMatchObject({ status: 'ACTIVE' });
    const run = await runToEnd(created.id, { url: '/data' });
    // The connection's own client id is stored with its credentials, so run outputs redact it like any credential.
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { body: { ok: true, clientId: '[redacted]' } } });

    const refused = (await data(CreateConnection, {
      input: {
        integrationKey: 'oauth2', name: 'Wrong secret', authMode: 'OAUTH2_CLIENT_CREDENTIALS',
        credentials: { clientId: MACHINE_CLIENT.id, clientSecret: 'definitely-not-the-secret' },
        config: { tokenEndpointAuthMethod: 'client_secret_basic', scopes: ['api:read'] },
      },
    })).createConnection;
    expect(refused.status).toBe('ERROR');
    expect(refused.lastError).toMatch(/invalid_client/);

    const half = await call(CreateConnection, { input: { integrationKey: 'oauth2', name: 'x', authMode: 'OAUTH2_CLIENT_CREDENTIALS', credentials: { clientId: 'only-an-id' } } });
    expect(half.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('credentials.clientSecret') });
    const code = await call(CreateConnection, { input: { integrationKey: 'oauth2', name: 'x', authMode: 'OAUTH2' } });
    expect(code.errors?.[0]?.message).toMatch(/startOAuth/);
  });
});

describe('secrets never leak', () => {
  it('no token, code, verifier, state or client secret in responses, pages, logs, the activity feed or clear database columns', async () => {
    const { prisma } = hub.db;
    const connections = await prisma.connection.findMany({ where: { orgId: { in: orgIds } } });
    const oauthStates = await prisma.oAuthState.findMany({ where: { orgId: { in: orgIds } } });
    const tokens = connections.flatMap((c) => {
      const creds = c.credentials ? hub.hub.vault.decryptJson<Record<string, string>>(c.credentials, vaultContext.connection(c.id)) : {};
      return [creds.accessToken, creds.refreshToken].filter(Boolean) as string[];
    });
    const verifiers = oauthStates.map((s) => hub.hub.vault.decrypt(s.codeVerifier, oauthVaultContext.state(s.id)));
    const secrets = {
      token: tokens,
      code: codes,
      verifier: verifiers,
      state: states,
      clientSecret: [CODE_CLIENT.secret, MACHINE_CLIENT.secret],
    };
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    expect(codes.length).toBeGreaterThanOrEqual(4);
    expect(verifiers.length).toBe(states.length);

    const activity = await prisma.activityEvent.findMany({ where: { orgId: { in: orgIds } } });
    const runs = await prisma.run.findMany({ where: { orgId: { in: orgIds } } });
    const apps = await prisma.oAuthApp.findMany({ where: { orgId: { in: orgIds } }, omit: { clientSecret: true } });
    const clearColumns = {
      connections: connections.map(({ credentials: _ciphertext, ...clear }) => clear),
      states: oauthStates.map(({ codeVerifier: _ciphertext, ...clear }) => clear),
      apps,
      runs,
    };
    const places: Record<string, string> = {
      'GraphQL responses and callback pages': said.join('\n'),
      'hub logs': hub.logs.join('\n'),
      'activity feed': JSON.stringify(activity),
      'database (clear columns)': JSON.stringify(clearColumns),
    };
    const leaks: string[] = [];
    for (const [place, text] of Object.entries(places)) {
      for (const [kind, values] of Object.entries(secrets)) {
        for (const value of values) if (text.includes(value)) leaks.push(`${kind} in ${place}`);
      }
    }
    expect(leaks).toEqual([]);
    // The scan saw real material: callback pages, logs of the flows, the feed.
    expect(places['hub logs']).toContain('OAuth connection completed');
    expect(activity.map((a) => a.type)).toEqual(expect.arrayContaining(['connection.created', 'connection.failed', 'connection.refreshed', 'connection.expired', 'oauth_app.set']));
  });
});
