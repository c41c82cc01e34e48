// A real OAuth2/OIDC authorization server for tests: oidc-provider in-process on loopback, with
// a code + PKCE + refresh_token client and a client_credentials client, and a "browser" that
// drives its development login and consent pages over plain HTTP with a cookie jar.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const CODE_CLIENT = { id: 'patchbay-code-client', secret: 'code-client-secret-5d1f0a9c7e3b' };
export const MACHINE_CLIENT = { id: 'patchbay-machine-client', secret: 'machine-client-secret-8b2e4c6a0d' };

export interface TestAuthServer {
  issuer: string;
  provider: Provider;
  urls: { authorization: string; token: string; revocation: string; userinfo: string };
  close(): Promise<void>;
}

export async function startAuthServer(redirectUri: string): Promise<TestAuthServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CODE_CLIENT.id,
        client_secret: CODE_CLIENT.secret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: MACHINE_CLIENT.id,
        client_secret: MACHINE_CLIENT.secret,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'api:read',
      },
    ],
    scopes: ['openid', 'offline_access', 'api:read'],
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
    },
    pkce: { required: () => true },
    ttl: { AccessToken: 900, ClientCredentials: 900 },
    cookies: { keys: ['oauth-int-test-cookie-key'] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  });
  server.on('request', provider.callback());
  return {
    issuer,
    provider,
    urls: { authorization: `${issuer}/auth`, token: `${issuer}/token`, revocation: `${issuer}/token/revocation`, userinfo: `${issuer}/me` },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface BrowserResult {
  /** The first response not served by the authorization server (the hub's callback). */
  response: Response;
  body: string;
  /** The callback URL the provider redirected to (holds code and state). */
  callbackUrl: string;
}

/**
 * Follows `authorizationUrl` like a browser: redirects by hand, cookies kept for the
 * authorization server, its login form filled with `login`, then its consent form submitted
 * (`consent: 'deny'` aborts the interaction instead, which the provider reports as access_denied).
 * Stops at the first response from another origin: the hub's /oauth/callback.
 */
export async function authorizeInBrowser(authorizationUrl: string, options: { login?: string; consent?: 'allow' | 'deny' } = {}): Promise<BrowserResult> {
  const origin = new URL(authorizationUrl).origin;
  const jar = new Map<string, string>();
  let request: { url: string; method: string; body?: URLSearchParams } = { url: authorizationUrl, method: 'GET' };
  for (let step = 0; step < 20; step++) {
    const target = new URL(request.url);
    const own = target.origin === origin;
    const res = await fetch(target, {
      method: request.method,
      redirect: 'manual',
      headers: own && jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {},
      body: request.body,
    });
    if (!own) return { response: res, body: await res.text(), callbackUrl: target.toString() };
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair!.split('=');
      if (/expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name!.trim());
      else jar.set(name!.trim(), value.join('='));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      request = { url: new URL(location, target).toString(), method: 'GET' };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`authorization server answered ${res.status} at ${target.pathname}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`unexpected page at ${target.pathname}: ${html.slice(0, 500)}`);
    const submit = new URL(action.replace(/&amp;/g, '&'), target);
    if (prompt === 'consent' && options.consent === 'deny') {
      request = { url: `${submit.toString().replace(/\/$/, '')}/abort`, method: 'GET' };
      continue;
    }
    const body = new URLSearchParams(prompt === 'login' ? { prompt, login: options.login ?? 'alice', password: 'any' } : { prompt });
    request = { url: submit.toString(), method: 'POST', body };
  }
  throw new Error('too many redirects while authorizing');
}

/** A free loopback port (the hub must know its public URL before it starts). */
export async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
