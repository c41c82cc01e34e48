// OAuth 2.0 web server flow (with PKCE) against the connection's login host: production
// (login.salesforce.com), sandbox (test.salesforce.com) or a My Domain. The token response's
// instance_url becomes the connection's baseUrl, so every API call goes to the org's own host.
import { oauth2, z, type AuthTestContext, type OAuth2Credentials, type TestResult } from '@patchbay/sdk';
import { DEFAULT_API_VERSION, DEFAULT_LOGIN_URL, SalesforceClient } from './client.ts';

export const salesforceConfig = z.object({
  loginUrl: z
    .url({ message: 'loginUrl must be an absolute URL, e.g. https://login.salesforce.com' })
    .default(DEFAULT_LOGIN_URL)
    .describe('Where users sign in: https://login.salesforce.com (production), https://test.salesforce.com (sandbox) or your My Domain URL'),
  apiVersion: z
    .string()
    .regex(/^v?\d+\.\d$/, 'apiVersion looks like 59.0')
    .default(DEFAULT_API_VERSION)
    .describe('REST API version used for every call, e.g. 59.0'),
});

function loginUrlOf(config: Record<string, unknown>): string {
  const value = typeof config.loginUrl === 'string' && config.loginUrl.trim() ? config.loginUrl.trim() : DEFAULT_LOGIN_URL;
  return value.replace(/\/+$/, '');
}

/** The OAuth endpoints of the connection's login host. */
export function oauthUrls(config: Record<string, unknown>) {
  const login = loginUrlOf(config);
  return {
    authorizationUrl: `${login}/services/oauth2/authorize`,
    tokenUrl: `${login}/services/oauth2/token`,
    revocationUrl: `${login}/services/oauth2/revoke`,
  };
}

/** Keeps the org's instance URL (and identity URL) from a token response; never a token. */
export function configFromTokenResponse(response: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  if (typeof response.instance_url === 'string' && /^https?:\/\//.test(response.instance_url)) kept.baseUrl = response.instance_url;
  if (typeof response.id === 'string' && /^https?:\/\//.test(response.id)) kept.identityUrl = response.id;
  return kept;
}

/** The connection test: GET /services/data/vXX.X/limits, a cheap call every API user may make. */
export async function testConnection({ credentials, config, signal }: AuthTestContext<OAuth2Credentials>): Promise<TestResult> {
  const client = await SalesforceClient.create({ accessToken: credentials.accessToken, config, signal });
  const limits = await client.call('Read org limits', (conn) => conn.limits());
  const daily = limits.DailyApiRequests;
  return { ok: true, message: daily ? `Connected to ${client.instanceUrl}: ${daily.Max - daily.Remaining}/${daily.Max} API requests used today` : `Connected to ${client.instanceUrl}` };
}

export const salesforceOAuth = oauth2({
  ...oauthUrls({}),
  // api: REST access; refresh_token: a refresh token, so the hub can renew the session.
  scopes: ['api', 'refresh_token'],
  urlsFromConfig: oauthUrls,
  configFromTokenResponse,
  config: salesforceConfig,
  test: testConnection,
});
