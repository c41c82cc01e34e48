import { startFakeServer } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { buildAuthorizationRequest, fetchClientCredentialsToken, isInsecureAllowed, OAuthProviderError, refreshAccessToken, splitScopes } from './oauth.ts';

const app = { clientId: 'client-1', clientSecret: 'client-secret-1', authorizationUrl: 'https://idp.example/authorize?tenant=t1', tokenUrl: 'https://idp.example/token' };

describe('authorization requests', () => {
  it('puts state, PKCE S256 and scopes on the URL; extra parameters never replace the flow\'s own', async () => {
    const request = await buildAuthorizationRequest({
      app: { ...app, scopeSeparator: ',' },
      redirectUri: 'https://hub.example/oauth/callback',
      scopes: ['read', 'write'],
      extraParams: { prompt: 'consent', state: 'attacker', redirect_uri: 'https://evil.example', code_challenge: 'x' },
    });
    const url = new URL(request.url);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      tenant: 't1', prompt: 'consent', response_type: 'code', client_id: 'client-1', scope: 'read,write',
      redirect_uri: 'https://hub.example/oauth/callback', state: request.state, code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('code_challenge')).not.toBe('x');
    expect(request.url).not.toContain(request.codeVerifier);
    const again = await buildAuthorizationRequest({ app, redirectUri: 'https://hub.example/cb', scopes: [], pkce: false });
    expect(again.state).not.toBe(request.state);
    expect(new URL(again.url).searchParams.has('code_challenge')).toBe(false);
    expect(new URL(again.url).searchParams.has('scope')).toBe(false);
  });

  it('splits granted scopes and allows plain http only on loopback', () => {
    expect(splitScopes('a  b\tc')).toEqual(['a', 'b', 'c']);
    expect(splitScopes('a, b', ',')).toEqual(['a', 'b']);
    expect(isInsecureAllowed('http://127.0.0.1:9/token')).toBe(true);
    expect(isInsecureAllowed('http://localhost/token')).toBe(true);
    expect(isInsecureAllowed('http://idp.example/token')).toBe(false);
  });
});

describe('provider failures', () => {
  it('become OAuthProviderErrors with a human message and no secret, even when the provider echoes one', async () => {
    const server = await startFakeServer((req) => {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') === 'refresh_token') return { status: 400, json: { error: 'invalid_grant', error_description: `refresh token ${form.get('refresh_token')} is revoked` } };
      return { status: 503, body: 'maintenance' };
    });
    try {
      const local = { ...app, tokenUrl: `${server.url}/token` };
      const refresh = refreshAccessToken({ app: local, previous: { accessToken: 'at-old-123', refreshToken: 'rt-secret-456' } });
      await expect(refresh).rejects.toMatchObject({ kind: 'rejected', error: 'invalid_grant' });
      const message = ((await refresh.catch((err: unknown) => err)) as OAuthProviderError).message;
      expect(message).toMatch(/answered 400 invalid_grant: refresh token \[redacted\] is revoked/);
      expect(message).not.toContain('rt-secret-456');
      await expect(fetchClientCredentialsToken({ app: local, scopes: [] })).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('HTTP 503') });
      await expect(fetchClientCredentialsToken({ app: { ...app, tokenUrl: 'http://idp.example/token' }, scopes: [] })).rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('https') });
    } finally {
      await server.close();
    }
  });
});

describe("providers' own habits (Slack's oauth.v2.access)", () => {
  it('accepts token_type "bot" as a bearer token, splits comma-joined scopes, and keeps other fields as extra', async () => {
    const server = await startFakeServer(() => ({
      json: { ok: true, access_token: 'xoxb-fake-bot-token', token_type: 'bot', scope: 'chat:write,channels:read', bot_user_id: 'U0BOT', team: { id: 'T1', name: 'Acme' }, authed_user: { id: 'U1', access_token: 'xoxp-user' } },
    }));
    try {
      const grant = await fetchClientCredentialsToken({ app: { ...app, tokenUrl: `${server.url}/api/oauth.v2.access`, scopeSeparator: ',' }, scopes: ['chat:write'] });
      expect(grant.credentials).toMatchObject({ accessToken: 'xoxb-fake-bot-token', tokenType: 'Bearer', scope: 'chat:write channels:read' });
      expect(grant.scopes).toEqual(['chat:write', 'channels:read']);
      expect(grant.extra).toEqual({ ok: true, bot_user_id: 'U0BOT', team: { id: 'T1', name: 'Acme' } });
    } finally {
      await server.close();
    }
  });

  it("turns Slack's HTTP 200 { ok: false, error } into a rejection naming Slack's error", async () => {
    const server = await startFakeServer(() => ({ json: { ok: false, error: 'invalid_refresh_token' } }));
    try {
      const failure = await refreshAccessToken({ app: { ...app, tokenUrl: `${server.url}/api/oauth.v2.access` }, previous: { accessToken: 'old', refreshToken: 'xoxe-1-refresh' } }).catch((e) => e);
      expect(failure).toBeInstanceOf(OAuthProviderError);
      expect(failure).toMatchObject({ kind: 'rejected', error: 'invalid_refresh_token' });
    } finally {
      await server.close();
    }
  });
});
