// Two ways to connect: a private app's access token (HubSpot → Settings → Integrations →
// Private apps), sent as a Bearer token, or OAuth 2.0 for a public app. Both are checked with a
// one-record contacts read, which also proves the contacts scope is granted.
import { apiKey, oauth2, type AuthTestContext, type TestResult } from '@patchbay/sdk';
import { baseUrlOf, DEFAULT_BASE_URL, HubSpotClient } from './client.ts';

export const SCOPES = ['oauth', 'crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.objects.deals.read', 'crm.objects.deals.write'];

/** GET /crm/v3/objects/contacts?limit=1 with the token. */
export async function testConnection(ctx: AuthTestContext<unknown>, mode: 'API_KEY' | 'OAUTH2'): Promise<TestResult> {
  const client = new HubSpotClient({ auth: { mode, credentials: ctx.credentials }, config: ctx.config, signal: ctx.signal });
  await client.call('Read contacts', (c) => c.crm.contacts.basicApi.getPage(1));
  return { ok: true, message: `Connected to ${baseUrlOf(ctx.config)}` };
}

export const privateAppAuth = apiKey({
  label: 'Private app access token',
  test: (ctx) => testConnection(ctx, 'API_KEY'),
});

export const hubspotOAuth = oauth2({
  authorizationUrl: 'https://app.hubspot.com/oauth/authorize',
  tokenUrl: `${DEFAULT_BASE_URL}/oauth/v1/token`,
  scopes: SCOPES,
  // HubSpot's authorization server does not use PKCE.
  pkce: false,
  // The token endpoint lives on the API host, so a regional or proxied baseUrl moves it too.
  urlsFromConfig: (config) => ({ tokenUrl: `${baseUrlOf(config)}/oauth/v1/token` }),
  test: (ctx) => testConnection(ctx, 'OAUTH2'),
});
