import { testAuth } from '@patchbay/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHubSpot, type RunningFakeHubSpot } from './fake-hubspot.ts';
import hubspotPlugin from './index.ts';

const PRIVATE_APP_TOKEN = 'pat-na1-11111111-2222-3333-4444-auth00000001';
const OAUTH_TOKEN = 'CKDn7-auth-test-oauth-access-token';
let portal: RunningFakeHubSpot;

beforeAll(async () => {
  portal = await startFakeHubSpot({ tokens: [PRIVATE_APP_TOKEN, OAUTH_TOKEN] });
});
afterAll(() => portal.close());

describe('HubSpot auth', () => {
  it('offers a private-app token and OAuth (no PKCE), with the contacts and deals scopes', () => {
    expect(hubspotPlugin.baseUrl).toBe('https://api.hubapi.com');
    expect(hubspotPlugin.auth.map((a) => a.mode)).toEqual(['API_KEY', 'OAUTH2']);
    const oauth = hubspotPlugin.auth[1]!;
    expect(oauth.oauth).toMatchObject({ authorizationUrl: 'https://app.hubspot.com/oauth/authorize', tokenUrl: 'https://api.hubapi.com/oauth/v1/token', pkce: false });
    expect(oauth.scopes).toEqual(expect.arrayContaining(['crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.objects.deals.write']));
    expect(oauth.oauth!.urlsFromConfig!({ baseUrl: 'https://api-eu1.hubapi.com/' })).toEqual({ tokenUrl: 'https://api-eu1.hubapi.com/oauth/v1/token' });
    expect(oauth.oauth!.urlsFromConfig!({})).toEqual({ tokenUrl: 'https://api.hubapi.com/oauth/v1/token' });
  });

  it('tests a private-app token with a one-contact read, sent as a Bearer', async () => {
    const result = await testAuth({ plugin: hubspotPlugin, mode: 'API_KEY', credentials: { apiKey: PRIVATE_APP_TOKEN }, config: { baseUrl: portal.url } });
    expect(result).toMatchObject({ ok: true, message: `Connected to ${portal.url}` });
    const req = portal.requests.at(-1)!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/crm/v3/objects/contacts?limit=1');
    expect(req.headers.authorization).toBe(`Bearer ${PRIVATE_APP_TOKEN}`);
  });

  it('tests an OAuth connection the same way', async () => {
    const result = await testAuth({ plugin: hubspotPlugin, mode: 'OAUTH2', credentials: { accessToken: OAUTH_TOKEN }, config: { baseUrl: portal.url } });
    expect(result.ok).toBe(true);
    expect(portal.requests.at(-1)!.headers.authorization).toBe(`Bearer ${OAUTH_TOKEN}`);
  });

  it("reports a refused token with HubSpot's message and without the token", async () => {
    const result = await testAuth({ plugin: hubspotPlugin, mode: 'API_KEY', credentials: { apiKey: 'pat-na1-wrong-token' }, config: { baseUrl: portal.url } });
    expect(result.ok).toBe(false);
    expect(result.message).toContain('answered 401: Authentication credentials not found');
    expect(result.message).not.toContain('pat-na1-wrong-token');
  });
});
