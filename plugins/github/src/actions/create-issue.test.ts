import { generateKeyPairSync } from 'node:crypto';
import { ActionInputError, AuthError, PermanentError, RateLimitError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RATE_LIMIT_RESET, startFakeGithub, type FakeGithub } from '../fake-github.ts';
import githubPlugin from '../index.ts';

const TOKEN = 'ghp_createIssueTestToken0123456789abcdef';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const app = { id: 424242, slug: 'patchbay-test', publicKey: keys.publicKey, installationId: 77 };
let github: FakeGithub;

beforeAll(async () => {
  github = await startFakeGithub({ tokens: [TOKEN], app });
});
afterAll(() => github.close());
beforeEach(() => github.reset());

const createIssue = (input: unknown, credentials: unknown = { apiKey: TOKEN }, mode: 'API_KEY' | 'BOT_TOKEN' = 'API_KEY', baseUrl = github.baseUrl) =>
  runTestAction(githubPlugin, 'create_issue', { mode, credentials, config: { baseUrl }, input });

describe('create_issue with a token', () => {
  it('posts the issue with the token as "Authorization: token …" and returns the normalized issue', async () => {
    const output = await createIssue({ owner: 'acme', repo: 'widgets', title: 'Checkout is broken', body: 'Steps: …', labels: ['bug', 'p1'], assignees: ['octocat'] });
    expect(output).toEqual({
      id: 1001,
      number: 1,
      url: 'https://github.com/acme/widgets/issues/1',
      apiUrl: `${github.baseUrl}/repos/acme/widgets/issues/1`,
      state: 'open',
      title: 'Checkout is broken',
      labels: ['bug', 'p1'],
      assignees: ['octocat'],
      createdAt: '2026-11-22T10:00:00Z',
    });
    expect(github.requests).toHaveLength(1);
    const req = github.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/repos/acme/widgets/issues');
    expect(req.headers.authorization).toBe(`token ${TOKEN}`);
    expect(req.headers['user-agent']).toMatch(/^patchbay-plugin-github\/0\.1\.0 octokit-rest\.js/);
    expect(req.headers.accept).toBe('application/vnd.github.v3+json');
    expect(req.json).toEqual({ title: 'Checkout is broken', body: 'Steps: …', labels: ['bug', 'p1'], assignees: ['octocat'] });
  });

  it('omits optional fields it was not given', async () => {
    await createIssue({ owner: 'acme', repo: 'widgets', title: 'Just a title' });
    expect(github.requests[0]!.json).toEqual({ title: 'Just a title' });
  });

  it('works against a GitHub Enterprise Server style base URL (/api/v3)', async () => {
    const ghes = await startFakeGithub({ tokens: [TOKEN], prefix: '/api/v3' });
    try {
      const output = (await createIssue({ owner: 'corp', repo: 'infra', title: 'On GHES' }, { apiKey: TOKEN }, 'API_KEY', ghes.baseUrl)) as { apiUrl: string };
      expect(ghes.requests[0]!.url).toBe('/api/v3/repos/corp/infra/issues');
      expect(output.apiUrl).toBe(`${ghes.url}/api/v3/repos/corp/infra/issues/1`);
    } finally {
      await ghes.close();
    }
  });
});

describe('create_issue as a GitHub App installation', () => {
  it('signs an RS256 JWT, exchanges it for an installation token, then creates the issue with it', async () => {
    const credentials = { appId: String(app.id), privateKey: keys.privateKey, installationId: app.installationId };
    const output = (await createIssue({ owner: 'acme', repo: 'widgets', title: 'From the app' }, credentials, 'BOT_TOKEN')) as { number: number };
    expect(output.number).toBeGreaterThan(0);
    expect(github.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`POST /app/installations/${app.installationId}/access_tokens`, 'POST /repos/acme/widgets/issues']);
    const [exchange, create] = github.requests as [(typeof github.requests)[0], (typeof github.requests)[0]];
    expect(exchange.headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(create.headers.authorization).toBe(`token ${github.installationTokens.at(-1)}`);
    expect(github.issues.at(-1)).toMatchObject({ title: 'From the app' });
  });

  it('fails with AuthError when the private key is not the app’s', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'widgets', title: 'x' }, { appId: app.id, privateKey: other.privateKey, installationId: app.installationId }, 'BOT_TOKEN'));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/401.*JSON web token could not be decoded/);
  });

  it('rejects app credentials that are not a PEM key before any request', async () => {
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'widgets', title: 'x' }, { appId: app.id, privateKey: 'not a key', installationId: app.installationId }, 'BOT_TOKEN'));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/privateKey: must be the PEM private key/);
    expect(github.requests).toHaveLength(0);
  });
});

describe('create_issue failures', () => {
  it('validates input before calling GitHub, naming each bad field', async () => {
    const err = await failureOf(createIssue({ owner: 'not a login!', repo: 'widgets', title: '' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(['owner', 'title']);
    expect(github.requests).toHaveLength(0);
  });

  it('maps 401 Bad credentials to AuthError', async () => {
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'widgets', title: 'x' }, { apiKey: 'ghp_wrong' }));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('Bad credentials');
  });

  it("maps 404 to PermanentError with GitHub's message", async () => {
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'missing', title: 'x' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('POST /repos/acme/missing/issues answered 404: Not Found');
  });

  it("maps 422 Validation Failed to PermanentError with GitHub's field errors", async () => {
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'widgets', title: 'x', assignees: ['ghost'] }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('Validation Failed (Issue assignees invalid)');
  });

  it('maps the primary rate limit (403 + x-ratelimit-remaining: 0) to RateLimitError until x-ratelimit-reset', async () => {
    github.failNext('primary-rate-limit');
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'widgets', title: 'x' }));
    expect(err).toBeInstanceOf(RateLimitError);
    const wait = (err as RateLimitError).retryAfterMs!;
    expect(Math.abs(wait - (RATE_LIMIT_RESET * 1000 - Date.now()))).toBeLessThan(5_000);
    expect(err.message).toContain('API rate limit exceeded');
  });

  it('maps the secondary rate limit (403 + retry-after) to RateLimitError with retry-after', async () => {
    github.failNext('secondary-rate-limit');
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'widgets', title: 'x' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(30_000);
  });

  it('maps 5xx to TransientError and does not retry inside Octokit', async () => {
    github.failNext('server-error', 3);
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'widgets', title: 'x' }));
    expect(err).toBeInstanceOf(TransientError);
    expect(github.requests).toHaveLength(1);
  });

  it('maps a refused connection to TransientError', async () => {
    const err = await failureOf(createIssue({ owner: 'acme', repo: 'widgets', title: 'x' }, { apiKey: TOKEN }, 'API_KEY', 'http://127.0.0.1:1'));
    expect(err).toBeInstanceOf(TransientError);
  });
});
