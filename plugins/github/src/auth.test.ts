import { generateKeyPairSync } from 'node:crypto';
import { AuthError, PermanentError, RateLimitError, TransientError, testAuth } from '@patchbay/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubError } from './client.ts';
import { startFakeGithub, type FakeGithub } from './fake-github.ts';
import githubPlugin from './index.ts';

const TOKEN = 'ghp_authTestToken_abcdef0123456789';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const app = { id: 31337, slug: 'patchbay-auth', publicKey: keys.publicKey, installationId: 9 };
let github: FakeGithub;

beforeAll(async () => {
  github = await startFakeGithub({ tokens: [TOKEN], app });
});
afterAll(() => github.close());

describe('connection tests', () => {
  it('checks a token with GET /user', async () => {
    github.reset();
    const result = await testAuth({ plugin: githubPlugin, mode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { baseUrl: github.baseUrl } });
    expect(result).toMatchObject({ ok: true, message: 'Connected as octocat' });
    expect(github.requests.map((r) => `${r.method} ${r.url} ${r.headers.authorization}`)).toEqual([`GET /user token ${TOKEN}`]);
  });

  it('fails a wrong token with GitHub’s message', async () => {
    const result = await testAuth({ plugin: githubPlugin, mode: 'API_KEY', credentials: { apiKey: 'ghp_nope' }, config: { baseUrl: github.baseUrl } });
    expect(result.ok).toBe(false);
    expect(result.message).toBe('GET /user answered 401: Bad credentials');
  });

  it('checks a GitHub App with GET /app, signed with an RS256 JWT the fake verifies', async () => {
    github.reset();
    const result = await testAuth({ plugin: githubPlugin, mode: 'BOT_TOKEN', credentials: { appId: app.id, privateKey: keys.privateKey, installationId: app.installationId }, config: { baseUrl: github.baseUrl } });
    expect(result).toMatchObject({ ok: true, message: 'Authenticated as the GitHub App patchbay-auth' });
    expect(github.requests).toHaveLength(1);
    expect(github.requests[0]!.url).toBe('/app');
    expect(github.requests[0]!.headers.authorization).toMatch(/^bearer eyJ/);
  });

  it('fails a GitHub App whose id does not match its key', async () => {
    const result = await testAuth({ plugin: githubPlugin, mode: 'BOT_TOKEN', credentials: { appId: 1, privateKey: keys.privateKey, installationId: app.installationId }, config: { baseUrl: github.baseUrl } });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/GET \/app answered 401/);
  });

  it('defaults to api.github.com and declares both modes', () => {
    expect(githubPlugin.baseUrl).toBe('https://api.github.com');
    expect(githubPlugin.auth.map((a) => a.mode)).toEqual(['API_KEY', 'BOT_TOKEN']);
  });
});

describe('githubError', () => {
  const failure = (status: number, headers: Record<string, string>, data: unknown) => Object.assign(new Error('HttpError'), { status, response: { headers, data } });

  it('maps 429 with retry-after to RateLimitError', () => {
    const err = githubError(failure(429, { 'retry-after': '12' }, { message: 'slow down' }), 'GET /x');
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(12_000);
  });

  it('waits a minute on a secondary rate limit without retry-after', () => {
    const err = githubError(failure(403, {}, { message: 'You have exceeded a secondary rate limit.' }), 'GET /x');
    expect((err as RateLimitError).retryAfterMs).toBe(60_000);
  });

  it('keeps a plain 403 permanent', () => {
    const err = githubError(failure(403, { 'x-ratelimit-remaining': '4000' }, { message: 'Resource not accessible by integration' }), 'GET /x');
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('GET /x answered 403: Resource not accessible by integration');
  });

  it('maps 401 to AuthError and a missing status to TransientError', () => {
    expect(githubError(failure(401, {}, { message: 'Bad credentials' }), 'GET /x')).toBeInstanceOf(AuthError);
    expect(githubError(new Error('socket hang up'), 'GET /x')).toBeInstanceOf(TransientError);
  });
});
