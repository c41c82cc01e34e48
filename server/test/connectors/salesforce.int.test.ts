// Salesforce end to end: an OAUTH2 connection made through the real flow against the fake org
// (instance_url kept as baseUrl), create_record and query run through runAction → Temporal →
// the plugin → jsforce → the fake org, the expired-session path (401 INVALID_SESSION_ID →
// AuthError → the hub refreshes with the refresh_token grant → Temporal retries with the new
// token), and no token anywhere in GraphQL or the logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSalesforce, type RunningFakeSalesforce } from '../../../plugins/salesforce/src/fake-salesforce.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';
import { connectOAuth, fakeOAuthRoutes } from './oauth-connect.ts';

const FIRST_TOKEN = '00D5g000004E2E!AQ4AQ.first-session-7d1e9c';
const REFRESHED_TOKEN = '00D5g000004E2E!AQ4AQ.refreshed-session-3b8a2f';
const REFRESH_TOKEN = '5Aep861E2eRefreshToken.Secret4c9d';
const SECRETS = [FIRST_TOKEN, REFRESHED_TOKEN, REFRESH_TOKEN, 'fake-client-secret'];

const ConnectionQuery = `query($id: ID!) { connection(id: $id) { id status authMode config } }`;

let hub: TestHub;
let org: TestOrg;
let salesforce: RunningFakeSalesforce;
let connectionId: string;
const grants: URLSearchParams[] = [];
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  salesforce = await startFakeSalesforce({ pageSize: 2 }, (req, sf) => {
    // The authorization server: the code grant issues the first session, a refresh_token grant a new one.
    let accessToken = FIRST_TOKEN;
    if (req.method === 'POST' && req.url === '/oauth/token') {
      const form = new URLSearchParams(req.body);
      grants.push(form);
      if (form.get('grant_type') === 'refresh_token') accessToken = REFRESHED_TOKEN;
      sf.acceptToken(accessToken);
    }
    return fakeOAuthRoutes(req, {
      accessToken,
      refreshToken: REFRESH_TOKEN,
      scope: 'api refresh_token',
      extra: { instance_url: salesforce.url, id: `${salesforce.url}/id/00D5g000004E2EAAA/0055g00000E2EUSAA`, signature: 'c2lnbmVk', issued_at: String(Date.now()) },
    });
  });
  hub = await TestHub.start();
  org = await hub.createOrg('salesforce');
});

afterAll(async () => {
  await stopHub();
  await salesforce?.close();
});

describe('Salesforce through the hub', () => {
  it('connects through OAuth (code grant with PKCE) and keeps instance_url as baseUrl', async () => {
    // The connection starts on the login host; the token response names the org's instance.
    connectionId = await connectOAuth(hub, org, { integrationKey: 'salesforce', providerUrl: salesforce.url, scopes: ['api', 'refresh_token'] });
    const { connection } = await gql<{ connection: { status: string; authMode: string; config: Record<string, unknown> } }>(ConnectionQuery, { id: connectionId });
    expect(connection).toMatchObject({
      status: 'ACTIVE',
      authMode: 'OAUTH2',
      config: { baseUrl: salesforce.url, identityUrl: `${salesforce.url}/id/00D5g000004E2EAAA/0055g00000E2EUSAA` },
    });
    const authorize = salesforce.requests.find((r) => r.url.startsWith('/oauth/authorize'))!;
    const params = new URL(authorize.url, 'http://fake').searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('scope')).toBe('api refresh_token');
    expect(grants[0]!.get('grant_type')).toBe('authorization_code');
    expect(grants[0]!.get('code_verifier')).toBeTruthy();
  });

  it('runs create_record: SUCCEEDED with the new id, and the fake org got the POST with the session', async () => {
    const before = salesforce.requests.length;
    const run = await runToEnd(connectionId, 'create_record', { sobject: 'Account', fields: { Name: 'Patchbay E2E Ltd', Industry: 'Technology' } });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const output = run.output as { id: string };
    expect(output).toEqual({ id: expect.stringMatching(/^001/), success: true, sobject: 'Account' });
    expect(salesforce.sf.get('Account', output.id)).toMatchObject({ Name: 'Patchbay E2E Ltd', Industry: 'Technology' });
    const upstream = salesforce.requests.slice(before);
    expect(upstream.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /services/data/v59.0/sobjects/Account']);
    expect(upstream[0]!.headers.authorization).toBe(`Bearer ${FIRST_TOKEN}`);
    expect(upstream[0]!.json).toEqual({ Name: 'Patchbay E2E Ltd', Industry: 'Technology' });
  });

  it('refreshes an expired session and retries: 401 INVALID_SESSION_ID → refresh_token grant → SUCCEEDED with the new token', async () => {
    salesforce.sf.insert('Account', { Name: 'Second Account' });
    salesforce.sf.insert('Account', { Name: 'Third Account' });
    salesforce.sf.revokeToken(FIRST_TOKEN);
    const before = salesforce.requests.length;
    const run = await runToEnd(connectionId, 'query', { soql: 'SELECT Id, Name FROM Account' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    const output = run.output as { totalSize: number; done: boolean; records: Array<{ Name: string }> };
    expect(output).toMatchObject({ totalSize: 3, done: true });
    expect(output.records.map((r) => r.Name)).toEqual(['Patchbay E2E Ltd', 'Second Account', 'Third Account']);

    const upstream = salesforce.requests.slice(before);
    const refresh = upstream.filter((r) => r.url === '/oauth/token');
    expect(refresh).toHaveLength(1);
    const form = new URLSearchParams(refresh[0]!.body);
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('refresh_token')).toBe(REFRESH_TOKEN);
    const api = upstream.filter((r) => r.url.startsWith('/services/data/'));
    // The first attempt with the expired session, then two pages with the new one.
    expect(api.map((r) => r.headers.authorization)).toEqual([`Bearer ${FIRST_TOKEN}`, `Bearer ${REFRESHED_TOKEN}`, `Bearer ${REFRESHED_TOKEN}`]);
    expect(api[2]!.url).toMatch(/^\/services\/data\/v59\.0\/query\/01g[A-Za-z0-9]+-2$/);

    const { connection } = await gql<{ connection: { status: string; config: Record<string, unknown> } }>(ConnectionQuery, { id: connectionId });
    expect(connection).toMatchObject({ status: 'ACTIVE', config: { baseUrl: salesforce.url } });
  });

  it("fails a bad request at once with Salesforce's message", async () => {
    const before = salesforce.requests.length;
    const run = await runToEnd(connectionId, 'update_record', { sobject: 'Account', id: '001D000000IqhSLIAZ', fields: { Name: 'Nobody' } });
    expect(run).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(run.error).toContain('NOT_FOUND: The requested resource does not exist');
    expect(salesforce.requests.length - before).toBe(1);
  });

  it('never shows a token or the client secret in GraphQL responses or the logs', () => {
    expect(hub.logs.length).toBeGreaterThan(0);
    const graphql = JSON.stringify(responses);
    const logs = hub.logs.join('\n');
    for (const secret of SECRETS) {
      expect(graphql).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
