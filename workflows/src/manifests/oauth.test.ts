import { describe, expect, it } from 'vitest';
import { OAuthProviderError } from '../runtime/oauth.ts';
import { credentialScopeExtra, manifestAuthorizationUrl, manifestSecretValues } from './oauth.ts';

const oauth = (authenticate_url: string) => ({ authenticate_url, access_token: { url: 'https://x.test/token', method: 'POST' as const }, without_code: false });

describe('manifestAuthorizationUrl', () => {
  it('renders the initial data and redirect_url, and adds the state when the template does not place it', async () => {
    const url = new URL(
      await manifestAuthorizationUrl(oauth('https://auth.example.com/authorize?client_id={{ CLIENT_ID }}&redirect_uri={{ redirect_url }}'), {
        initialData: { CLIENT_ID: 'c-1' },
        redirectUrl: 'https://hub.example.com/oauth/callback',
        state: 'state-abc-123',
      }),
    );
    expect(url.searchParams.get('client_id')).toBe('c-1');
    expect(url.searchParams.get('redirect_uri')).toBe('https://hub.example.com/oauth/callback');
    expect(url.searchParams.get('state')).toBe('state-abc-123');
  });

  it('keeps a state the template places itself, and applies host overrides', async () => {
    const url = await manifestAuthorizationUrl(oauth('https://auth.example.com/a?st={{ state }}'), {
      initialData: {},
      redirectUrl: 'https://hub.example.com/oauth/callback',
      state: 'state-xyz-789',
      config: { hostOverrides: { 'auth.example.com': 'http://127.0.0.1:9999' } },
    });
    expect(url).toBe('http://127.0.0.1:9999/a?st=state-xyz-789');
  });

  it('refuses a template that does not render to an http(s) URL', async () => {
    await expect(manifestAuthorizationUrl(oauth('{{ BASE }}/authorize'), { initialData: { BASE: 'javascript:alert(1)//' }, redirectUrl: 'x', state: 's-1234' })).rejects.toBeInstanceOf(OAuthProviderError);
  });
});

describe('credentials in templates', () => {
  it('exposes the token answer as oauth and hides token-like values only', () => {
    const credentials = { initialData: { CLIENT_SECRET: 'secret-1234' }, oauth: { access_token: 'at-abcdef', token_type: 'Bearer', refresh_token: 'rt-abcdef', instance_url: 'https://eu1.example.com' }, redirectUrl: 'https://hub/oauth/callback' };
    expect(credentialScopeExtra(credentials)).toEqual({ oauth: credentials.oauth, redirect_url: 'https://hub/oauth/callback' });
    const hidden = manifestSecretValues(credentials);
    expect(hidden).toEqual(expect.arrayContaining(['secret-1234', 'at-abcdef', 'rt-abcdef']));
    expect(hidden).not.toContain('Bearer');
    expect(hidden).not.toContain('https://eu1.example.com');
  });
});
