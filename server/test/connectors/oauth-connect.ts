// For connector tests: an OAUTH2 connection made through the real flow (setOAuthApp →
// startOAuth → the provider's authorize redirect → /oauth/callback → token exchange) against a
// connector's fake provider server, which answers the two OAuth routes with fakeOAuthRoutes.
import type { FakeResponse, RecordedRequest } from '@patchbay/sdk/testing';
import type { TestHub, TestOrg } from '../harness.ts';

export interface FakeTokens {
  accessToken: string;
  refreshToken?: string;
  expiresIn?: number;
  scope?: string;
  /** Extra fields of the token response (Salesforce's instance_url, Slack's team, …). */
  extra?: Record<string, unknown>;
}

/**
 * The authorization server half of a fake provider: `GET /oauth/authorize` consents at once
 * (302 back to redirect_uri with a code and the state), `POST /oauth/token` issues `tokens`.
 * Returns undefined for any other request, so a handler can fall through to the API routes.
 */
export function fakeOAuthRoutes(req: RecordedRequest, tokens: FakeTokens): FakeResponse | undefined {
  const url = new URL(req.url, 'http://fake');
  if (req.method === 'GET' && url.pathname === '/oauth/authorize') {
    const back = new URL(url.searchParams.get('redirect_uri')!);
    back.searchParams.set('code', `code-${Date.now()}`);
    back.searchParams.set('state', url.searchParams.get('state')!);
    return { status: 302, headers: { location: back.toString() } };
  }
  if (req.method === 'POST' && url.pathname === '/oauth/token') {
    return {
      json: {
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn ?? 3600,
        ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
        ...(tokens.scope ? { scope: tokens.scope } : {}),
        ...tokens.extra,
      },
    };
  }
  return undefined;
}

/** Connects `integrationKey` through the whole OAuth flow; resolves with the ACTIVE connection's id. */
export async function connectOAuth(
  hub: TestHub,
  org: TestOrg,
  options: { integrationKey: string; providerUrl: string; name?: string; config?: Record<string, unknown>; scopes?: string[] },
): Promise<string> {
  const token = org.tokens.ADMIN;
  const set = await hub.gql(
    `mutation($input: SetOAuthAppInput!) { setOAuthApp(input: $input) { id } }`,
    {
      input: {
        integrationKey: options.integrationKey,
        clientId: 'fake-client',
        clientSecret: 'fake-client-secret',
        authorizationUrl: `${options.providerUrl}/oauth/authorize`,
        tokenUrl: `${options.providerUrl}/oauth/token`,
        ...(options.scopes ? { scopes: options.scopes } : {}),
      },
    },
    token,
  );
  if (set.errors?.length) throw new Error(`setOAuthApp: ${JSON.stringify(set.errors)}`);
  const started = await hub.gql<{ startOAuth: { authorizationUrl: string; connection: { id: string } } }, unknown>(
    `mutation($input: StartOAuthInput!) { startOAuth(input: $input) { authorizationUrl connection { id } } }`,
    { input: { integrationKey: options.integrationKey, name: options.name ?? `${options.integrationKey} via OAuth`, config: { baseUrl: options.providerUrl, ...options.config } } },
    token,
  );
  if (started.errors?.length || !started.data) throw new Error(`startOAuth: ${JSON.stringify(started.errors)}`);
  const consent = await fetch(started.data.startOAuth.authorizationUrl, { redirect: 'manual' });
  const callback = consent.headers.get('location');
  if (!callback) throw new Error(`the fake provider did not redirect (status ${consent.status})`);
  // The callback URL is PUBLIC_URL's; a test hub listens on a port of its own.
  const path = new URL(callback);
  const done = await fetch(`${hub.url}${path.pathname}${path.search}`, { redirect: 'manual' });
  await done.text();
  const id = started.data.startOAuth.connection.id;
  const status = await hub.gql<{ connection: { status: string; lastError: string | null } }, unknown>(`query($id: ID!) { connection(id: $id) { status lastError } }`, { id }, token);
  if (status.data?.connection.status !== 'ACTIVE') throw new Error(`OAuth connection is ${status.data?.connection.status}: ${status.data?.connection.lastError}`);
  return id;
}
