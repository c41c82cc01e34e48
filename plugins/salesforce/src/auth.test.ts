import { testAuth } from '@patchbay/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromTokenResponse, oauthUrls } from './auth.ts';
import { startFakeSalesforce, type RunningFakeSalesforce } from './fake-salesforce.ts';
import salesforcePlugin from './index.ts';

const TOKEN = '00D5g000004Xyz!AQ4AQFake.auth.session';
let org: RunningFakeSalesforce;

beforeAll(async () => {
  org = await startFakeSalesforce({ tokens: [TOKEN] });
});
afterAll(() => org.close());

describe('Salesforce OAuth settings', () => {
  const method = salesforcePlugin.auth[0]!;

  it('is the web server flow with PKCE and a refresh token', () => {
    expect(method.mode).toBe('OAUTH2');
    expect(method.scopes).toEqual(['api', 'refresh_token']);
    expect(method.oauth).toMatchObject({
      authorizationUrl: 'https://login.salesforce.com/services/oauth2/authorize',
      tokenUrl: 'https://login.salesforce.com/services/oauth2/token',
      revocationUrl: 'https://login.salesforce.com/services/oauth2/revoke',
      pkce: true,
      refresh: true,
    });
  });

  it('takes its OAuth endpoints from loginUrl: production, sandbox or My Domain', () => {
    expect(method.oauth!.urlsFromConfig!({})).toEqual(oauthUrls({ loginUrl: 'https://login.salesforce.com' }));
    expect(method.oauth!.urlsFromConfig!({ loginUrl: 'https://test.salesforce.com' })).toEqual({
      authorizationUrl: 'https://test.salesforce.com/services/oauth2/authorize',
      tokenUrl: 'https://test.salesforce.com/services/oauth2/token',
      revocationUrl: 'https://test.salesforce.com/services/oauth2/revoke',
    });
    expect(method.oauth!.urlsFromConfig!({ loginUrl: 'https://acme.my.salesforce.com/' }).tokenUrl).toBe('https://acme.my.salesforce.com/services/oauth2/token');
  });

  it('keeps instance_url as baseUrl and the identity URL from the token response, nothing else', () => {
    expect(
      configFromTokenResponse({
        instance_url: 'https://acme.my.salesforce.com',
        id: 'https://login.salesforce.com/id/00D5g000004XyzAAA/0055g00000AbCdEAAV',
        signature: 'c2lnbmF0dXJl',
        issued_at: '1700000000000',
        token_type: 'Bearer',
      }),
    ).toEqual({ baseUrl: 'https://acme.my.salesforce.com', identityUrl: 'https://login.salesforce.com/id/00D5g000004XyzAAA/0055g00000AbCdEAAV' });
    expect(configFromTokenResponse({ instance_url: 'javascript:alert(1)' })).toEqual({});
  });

  it('validates loginUrl and apiVersion in the connection config', () => {
    expect(method.config.safeParse({ loginUrl: 'not a url' }).success).toBe(false);
    expect(method.config.safeParse({ apiVersion: 'latest' }).success).toBe(false);
    expect(method.config.parse({})).toMatchObject({ loginUrl: 'https://login.salesforce.com', apiVersion: '59.0' });
  });
});

describe('connection test', () => {
  it('reads /limits on the instance with the access token', async () => {
    const result = await testAuth({ plugin: salesforcePlugin, mode: 'OAUTH2', credentials: { accessToken: TOKEN }, config: { baseUrl: org.url } });
    expect(result).toMatchObject({ ok: true, message: `Connected to ${org.url}: 1/15000 API requests used today` });
    const req = org.requests.at(-1)!;
    expect(req.url).toBe('/services/data/v59.0/limits');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('fails on a rejected session, with Salesforce\'s message', async () => {
    const result = await testAuth({ plugin: salesforcePlugin, mode: 'OAUTH2', credentials: { accessToken: 'revoked' }, config: { baseUrl: org.url } });
    expect(result.ok).toBe(false);
    expect(result.message).toContain('INVALID_SESSION_ID: Session expired or invalid');
    expect(result.message).not.toContain('revoked');
  });
});
