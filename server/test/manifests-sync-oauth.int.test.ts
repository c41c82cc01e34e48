// A sync-users manifest that signs in with an `oauth` block (Google Workspace style), end to end
// through GraphQL and real HTTP redirects: startManifestOAuth + /oauth/callback store the token
// answer encrypted as {{ oauth }}, the sync sends {{ oauth.access_token }} on every page (token
// pagination); a page answered 401 gets the token renewed once through the manifest's `refresh`
// request (the connection-tokens workflow, as for execute requests) and is sent again; a refused
// refresh fails the sync and leaves the connection EXPIRED. Then updateManifestConnection: the
// initial data and the post_execute_notification sender edited (and used by the next run),
// validation paths, roles and tenancy. No token, code or secret shows up anywhere.
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { vaultContext } from '@patchbay/db/vault';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../../plugins/email/src/fake-smtp.ts';
import { TestHub, type TestOrg } from './harness.ts';
import { consentAndReturn, fakeOAuthRoutes, gqlKit, manifestOAuthBlock, temporalHistoryText, waitForRun } from './manifest-helpers.ts';

const CLIENT_ID = 'gw-client-5521';
const CLIENT_SECRET = 'gw-client-secret-1c2d3e4f5a';
const REFRESH_TOKEN = 'gw-refresh-token-88cd12ef';
const API_TOKEN = 'accounts-token-old-7788';
const NEW_API_TOKEN = 'accounts-token-new-9911';
const SMTP_USER = 'hr-sync-mailer';
const SMTP_PASSWORD = 'smtp-pass-sync-4d3c2b1a';

const REGISTER = `mutation Register($input: RegisterManifestInput!) { registerManifest(input: $input) { key authModes syncs { key model } } }`;
const START = `mutation Start($input: StartManifestOAuthInput!) { startManifestOAuth(input: $input) { authorizationUrl connection { id status authMode } } }`;
const CONNECTION = `query Conn($id: ID!) { connection(id: $id) { id status authMode lastError config } }`;
const START_SYNC = `mutation StartSync($id: ID!, $sync: String!) { startSync(connectionId: $id, sync: $sync) { id workflowId } }`;
const SYNCS = `query Syncs($id: ID!) { syncs(connectionId: $id) { sync model running lastResult } }`;
const RECORDS = `query Records($id: ID!) { records(connectionId: $id, model: "user", first: 100) { edges { node { externalId data } } } }`;
const FEED = `query Feed($filter: ActivityFilter) { activity(filter: $filter, first: 100) { edges { node { type message data } } } }`;
const CREATE = `mutation Create($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }`;
const CONNECT = `mutation Connect($input: ConnectManifestInput!) { connectManifest(input: $input) { id config } }`;
const UPDATE = `mutation Update($input: UpdateManifestConnectionInput!) { updateManifestConnection(input: $input) { id name status config } }`;
const RUN_MANIFEST = `mutation RunManifest($input: RunManifestInput!) { runManifest(input: $input) { id } }`;

let hub: TestHub;
let org: TestOrg;
let other: TestOrg;
let provider: FakeServer;
let smtp: SmtpSink;
const { responses, call, data } = gqlKit(() => ({ hub, org }));
const valid = new Set<string>();
const issued: string[] = [];
let refuseRefresh = false;

const directory = Array.from({ length: 5 }, (_, i) => ({ primaryEmail: `person${i + 1}@acme.test`, name: { givenName: `Given${i + 1}`, familyName: `Family${i + 1}` } }));

function issue(): string {
  const token = `gw-at-${issued.length + 1}-${Math.random().toString(36).slice(2, 12)}`;
  valid.add(token);
  issued.push(token);
  return token;
}

const oauth = fakeOAuthRoutes({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, refreshToken: REFRESH_TOKEN, authorizePath: '/o/oauth2/auth', issue, refuseRefresh: () => refuseRefresh });

const syncManifest = {
  oauth: manifestOAuthBlock('https://accounts.example.com/o/oauth2/auth', 'https://oauth2.example.com/token'),
  headers: { Authorization: 'Bearer {{ oauth.access_token }}' },
  execute: [{ url: 'https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer&maxResults=2', method: 'GET' }],
  action: 'create',
  data_from: 'users',
  data_structure: { email: 'primaryEmail', first_name: 'name.givenName', last_name: 'name.familyName' },
  next_page: 'https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer&maxResults=2&pageToken={{ NEXT_PAGE_TOKEN }}',
  next_page_token_from: 'nextPageToken',
  amount_pages_to_fetch: 10,
  initial_data_form: [
    { id: 'CLIENT_ID', name: 'Client ID' },
    { id: 'CLIENT_SECRET', name: 'Client secret' },
  ],
};

const accountsManifest = {
  execute: [{ url: 'https://accounts.example.com/accounts', method: 'POST', data: { email: '{{ email }}' } }],
  headers: { Authorization: 'Token {{ API_TOKEN }}' },
  initial_data_form: [{ id: 'API_TOKEN', name: 'API token' }],
  post_execute_notification: { type: 'email', to: '{{ manager_email }}', subject: 'Account for {{ first_name }}', message: '{{ first_name }} has account {{ responses.0.id }}.' },
};

const bearer = (req: { headers: Record<string, unknown> }) => /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
const pageRequests = () => provider.requests.filter((r) => r.url.startsWith('/admin/directory/v1/users'));
const refreshGrants = () => provider.requests.filter((r) => r.url === '/token' && (r.json as { grant_type?: string })?.grant_type === 'refresh_token');
const overrides = () => ({ hostOverrides: { 'accounts.example.com': provider.url, 'oauth2.example.com': provider.url, 'admin.googleapis.com': provider.url } });

beforeAll(async () => {
  provider = await startFakeServer((req) => {
    const url = new URL(req.url, 'http://fake');
    const body = (req.json ?? {}) as Record<string, string>;
    const oauthAnswer = oauth.handle(req);
    if (oauthAnswer) return oauthAnswer;
    if (req.method === 'GET' && url.pathname === '/admin/directory/v1/users') {
      const token = bearer(req);
      if (!token || !valid.has(token)) return { status: 401, json: { error: { code: 401, message: `Invalid Credentials: ${token}` } } };
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const users = directory.slice(start, start + 2);
      return { json: { kind: 'admin#directory#users', users, ...(start + 2 < directory.length ? { nextPageToken: String(start + 2) } : {}) } };
    }
    if (req.method === 'POST' && url.pathname === '/accounts') {
      const token = /^Token (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (token !== API_TOKEN && token !== NEW_API_TOKEN) return { status: 401, json: { message: 'bad token' } };
      return { status: 201, json: { id: `acct-${(body.email ?? '').split('@')[0]}` } };
    }
    return { status: 404, json: { error: 'no route' } };
  });
  smtp = await startSmtpSink({ users: { [SMTP_USER]: SMTP_PASSWORD } });
  hub = await TestHub.start();
  org = await hub.createOrg('manifest-sync-oauth');
  other = await hub.createOrg('manifest-sync-oauth-other');
  await data(REGISTER, { input: { key: 'gworkspace', displayName: 'Google Workspace', manifest: syncManifest } });
  await data(REGISTER, { input: { key: 'accounts', displayName: 'Accounts', manifest: accountsManifest } });
});

afterAll(async () => {
  await hub?.stop();
  await provider?.close();
  await smtp?.close();
});

const rowOf = (gid: string) => hub.db.prisma.connection.findUniqueOrThrow({ where: { id: decodeGlobalID(gid).id } });
async function storedOAuth(gid: string) {
  const row = await rowOf(gid);
  return hub.hub.vault.decryptJson<{ initialData: Record<string, string>; oauth: Record<string, unknown> }>(row.credentials!, vaultContext.connection(row.id));
}

async function syncNow(connectionId: string) {
  const { startSync } = await data(START_SYNC, { id: connectionId, sync: 'users' });
  return waitForRun(hub, org.tokens.ADMIN, startSync.id, 60_000, responses);
}

let connectionId: string;

describe('a sync-users manifest with an oauth block', () => {
  it('connects through startManifestOAuth and the callback, with its users sync ready', async () => {
    const { registerManifest } = await data(REGISTER, { input: { key: 'gworkspace', displayName: 'Google Workspace', manifest: syncManifest } });
    expect(registerManifest).toMatchObject({ authModes: ['OAUTH2'], syncs: [{ key: 'users', model: 'user' }] });
    const { startManifestOAuth } = await data(START, { input: { integrationKey: 'gworkspace', name: 'Workspace', initialData: { CLIENT_ID, CLIENT_SECRET }, config: overrides() } });
    expect(startManifestOAuth.connection).toMatchObject({ status: 'PENDING', authMode: 'OAUTH2' });
    connectionId = startManifestOAuth.connection.id;
    const { callback } = await consentAndReturn(hub.url, startManifestOAuth.authorizationUrl);
    expect(callback.status).toBe(200);
    expect((await data(CONNECTION, { id: connectionId })).connection).toMatchObject({ status: 'ACTIVE', authMode: 'OAUTH2', lastError: null });
    const row = await rowOf(connectionId);
    expect(row.credentials).not.toContain(issued[0]!);
    expect((await storedOAuth(connectionId)).oauth).toMatchObject({ access_token: issued[0], refresh_token: REFRESH_TOKEN });
    // The callback set the sync up (before any sync query would create it on first use).
    expect(await hub.db.prisma.syncState.count({ where: { connectionId: row.id, syncKey: 'users' } })).toBe(1);
    expect((await data(SYNCS, { id: connectionId })).syncs).toEqual([{ sync: 'users', model: 'user', running: false, lastResult: null }]);
  });

  it('imports the users page by page with the bearer token', async () => {
    const run = await syncNow(connectionId);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null, output: { pages: 3, added: 5, updated: 0, deleted: 0, model: 'user' } });
    expect(pageRequests().map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/admin/directory/v1/users?customer=my_customer&maxResults=2', `Bearer ${issued[0]}`],
      ['/admin/directory/v1/users?customer=my_customer&maxResults=2&pageToken=2', `Bearer ${issued[0]}`],
      ['/admin/directory/v1/users?customer=my_customer&maxResults=2&pageToken=4', `Bearer ${issued[0]}`],
    ]);
    const { records } = await data(RECORDS, { id: connectionId });
    expect(records.edges.map((e: { node: { externalId: string } }) => e.node.externalId).sort()).toEqual(directory.map((u) => u.primaryEmail));
    expect(records.edges.find((e: { node: { externalId: string } }) => e.node.externalId === 'person1@acme.test').node.data).toEqual({ email: 'person1@acme.test', first_name: 'Given1', last_name: 'Family1' });
  });

  it('renews a token the API rejects (401) once through the refresh request, stores it and sends the page again', async () => {
    valid.delete(issued[0]!);
    const seen = pageRequests().length;
    directory[0] = { ...directory[0]!, name: { givenName: 'Renamed', familyName: 'Family1' } };
    const run = await syncNow(connectionId);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null, output: { pages: 3, added: 0, updated: 1, deleted: 0 } });
    expect(refreshGrants()).toHaveLength(1);
    expect(refreshGrants()[0]!.json).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, refresh_token: REFRESH_TOKEN, grant_type: 'refresh_token' });
    expect(issued).toHaveLength(2);
    expect(pageRequests().slice(seen).map((r) => r.headers.authorization)).toEqual([`Bearer ${issued[0]}`, `Bearer ${issued[1]}`, `Bearer ${issued[1]}`, `Bearer ${issued[1]}`]);
    expect((await storedOAuth(connectionId)).oauth).toMatchObject({ access_token: issued[1], refresh_token: REFRESH_TOKEN, expires_in: 3600 });
    expect((await data(CONNECTION, { id: connectionId })).connection).toMatchObject({ status: 'ACTIVE', lastError: null });
    const feed = await data(FEED, { filter: {} });
    expect(feed.activity.edges.map((e: { node: { type: string } }) => e.node.type)).toContain('connection.refreshed');
  });

  it('fails the sync and leaves the connection EXPIRED when the refresh is refused', async () => {
    refuseRefresh = true;
    valid.delete(issued[1]!);
    const refreshes = refreshGrants().length;
    const run = await syncNow(connectionId);
    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('401');
    expect(run.error).toContain('the token could not be renewed');
    expect(refreshGrants()).toHaveLength(refreshes + 1);
    const { connection } = await data(CONNECTION, { id: connectionId });
    expect(connection).toMatchObject({ status: 'EXPIRED', lastError: 'The oauth.refresh request was refused (HTTP 400 invalid_grant)' });
    const feed = await data(FEED, { filter: { types: ['connection.expired'] } });
    expect(feed.activity.edges).toHaveLength(1);
    const refused = await call(START_SYNC, { id: connectionId, sync: 'users' });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('updateManifestConnection', () => {
  let accounts: string;
  let mailer: string;

  beforeAll(async () => {
    mailer = (
      await data(CREATE, {
        input: { integrationKey: 'email', name: 'HR mail', authMode: 'BASIC', credentials: { username: SMTP_USER, password: SMTP_PASSWORD }, config: { host: smtp.host, port: smtp.port, secure: false } },
      })
    ).createConnection.id;
    accounts = (await data(CONNECT, { input: { integrationKey: 'accounts', name: 'Accounts', initialData: { API_TOKEN }, config: { hostOverrides: { 'accounts.example.com': provider.url } } } })).connectManifest.id;
  });

  it('edits the name, the initial data and the notification sender; the next run uses them', async () => {
    const { updateManifestConnection } = await data(UPDATE, {
      input: { connectionId: accounts, name: 'Accounts (HR)', initialData: { API_TOKEN: NEW_API_TOKEN }, notificationConnectionId: mailer, notificationFrom: 'HR <hr@acme.test>' },
    });
    expect(updateManifestConnection).toMatchObject({ id: accounts, name: 'Accounts (HR)', status: 'ACTIVE' });
    // The sender is stored as the local id; hostOverrides are kept (config is merged).
    expect(updateManifestConnection.config).toEqual({ hostOverrides: { 'accounts.example.com': provider.url }, notificationConnectionId: decodeGlobalID(mailer).id, notificationFrom: 'HR <hr@acme.test>' });
    expect(JSON.stringify(updateManifestConnection)).not.toContain(NEW_API_TOKEN);
    const row = await rowOf(accounts);
    expect(row.credentials).not.toContain(NEW_API_TOKEN);
    expect(hub.hub.vault.decryptJson(row.credentials!, vaultContext.connection(row.id))).toEqual({ initialData: { API_TOKEN: NEW_API_TOKEN } });

    const { runManifest } = await data(RUN_MANIFEST, { input: { connectionId: accounts, action: 'EXECUTE', subject: { email: 'ada@acme.test', first_name: 'Ada', manager_email: 'boss@acme.test' } } });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id, 45_000, responses);
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { responses: [{ id: 'acct-ada' }], notification: { status: 'SENT', to: 'boss@acme.test' } } });
    expect(provider.requests.filter((r) => r.url === '/accounts').at(-1)!.headers.authorization).toBe(`Token ${NEW_API_TOKEN}`);
    const mail = smtp.messages.at(-1)!;
    expect(mail.from).toBe('hr@acme.test');
    expect(mail.recipients).toEqual(['boss@acme.test']);

    const feed = await data(FEED, { filter: { types: ['connection.updated'] } });
    expect(feed.activity.edges[0].node.data).toEqual({
      integrationKey: 'accounts',
      changed: ['name', 'config.notificationConnectionId', 'config.notificationFrom', 'initialData.API_TOKEN'],
    });

    // null removes a setting; the others stay.
    const cleared = await data(UPDATE, { input: { connectionId: accounts, config: { notificationConnectionId: null, notificationFrom: null } } });
    expect(cleared.updateManifestConnection.config).toEqual({ hostOverrides: { 'accounts.example.com': provider.url } });
  });

  it('reports invalid input at its path and changes nothing', async () => {
    const before = await rowOf(accounts);
    const bad = await call(UPDATE, {
      input: { connectionId: accounts, initialData: { API_TOKEN: '', NOPE: 'x' }, notificationConnectionId: mailer, notificationFrom: 'not an address', config: { hostOverrides: { 'accounts.example.com': 'nowhere' } } },
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.extensions?.issues).toEqual(
      expect.arrayContaining([
        { path: 'input.config.hostOverrides.accounts.example.com', message: 'must be a URL' },
        { path: 'input.initialData.API_TOKEN', message: 'API token: a non-empty string is required' },
        { path: 'input.initialData.NOPE', message: "not in the manifest's initial_data_form" },
      ]),
    );
    const sender = await call(UPDATE, { input: { connectionId: accounts, notificationConnectionId: mailer, notificationFrom: 'not an address' } });
    expect(sender.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.notificationFrom', message: 'must be an email address like hr@example.com or "HR <hr@example.com>"' }]);
    const wrongKind = await call(UPDATE, { input: { connectionId: accounts, config: { notificationConnectionId: accounts, notificationFrom: 'hr@acme.test' } } });
    expect(wrongKind.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.config.notificationConnectionId', message: 'a email notification is sent through an "email" connection, not accounts' }]);
    const after = await rowOf(accounts);
    expect(after.updatedAt).toEqual(before.updatedAt);
    expect(after.credentials).toBe(before.credentials);
  });

  it('refuses members and other organizations', async () => {
    const member = await call(UPDATE, { input: { connectionId: accounts, name: 'Mine' } }, org.tokens.MEMBER);
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const foreign = await call(UPDATE, { input: { connectionId: accounts, name: 'Mine', initialData: { API_TOKEN: 'stolen' } } }, other.tokens.ADMIN);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await rowOf(accounts)).name).toBe('Accounts (HR)');
    // A sender of another organization is no sender.
    const theirs = (
      await data(CREATE, { input: { integrationKey: 'email', name: 'Their mail', authMode: 'BASIC', credentials: { username: SMTP_USER, password: SMTP_PASSWORD }, config: { host: smtp.host, port: smtp.port, secure: false } } }, other.tokens.ADMIN)
    ).createConnection.id;
    const borrowed = await call(UPDATE, { input: { connectionId: accounts, notificationConnectionId: theirs, notificationFrom: 'hr@acme.test' } });
    expect(borrowed.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.notificationConnectionId', message: 'no such connection in this organization' }]);
  });
});

describe('secrets', () => {
  it('shows no token, code or secret in GraphQL answers, logs, run and sync rows, activity events or Temporal histories', async () => {
    const secrets = [...issued, REFRESH_TOKEN, CLIENT_SECRET, API_TOKEN, NEW_API_TOKEN, SMTP_PASSWORD, ...oauth.codes];
    expect(issued.length).toBe(2);
    const runs = await hub.db.prisma.run.findMany({ where: { orgId: org.id } });
    const syncStates = await hub.db.prisma.syncState.findMany({ where: { orgId: org.id } });
    const records = await hub.db.prisma.syncRecord.findMany({ where: { orgId: org.id } });
    const events = await hub.db.prisma.activityEvent.findMany({ where: { orgId: { in: [org.id, other.id] } } });
    const histories = await Promise.all(runs.map((r) => temporalHistoryText(hub, `run/${r.id}`).catch(() => '')));
    const tokenHistory = await temporalHistoryText(hub, `connection-tokens/${decodeGlobalID(connectionId).id}`).catch(() => '');
    const everything = JSON.stringify([responses, runs, syncStates, records, events, hub.logs, histories, tokenHistory]);
    expect(histories.join('').length).toBeGreaterThan(0);
    expect(tokenHistory.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(everything, `leaked ${secret.slice(0, 8)}…`).not.toContain(secret);
  });
});
