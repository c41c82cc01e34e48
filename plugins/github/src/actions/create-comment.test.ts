import { ActionInputError, AuthError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGithub, type FakeGithub } from '../fake-github.ts';
import githubPlugin from '../index.ts';

const TOKEN = 'github_pat_11AAcommentTest_0123456789';
let github: FakeGithub;

beforeAll(async () => {
  github = await startFakeGithub({ tokens: [TOKEN] });
  await runTestAction(githubPlugin, 'create_issue', { mode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { baseUrl: github.baseUrl }, input: { owner: 'acme', repo: 'widgets', title: 'Seed' } });
});
afterAll(() => github.close());
beforeEach(() => github.reset());

const comment = (input: unknown, apiKey = TOKEN) => runTestAction(githubPlugin, 'create_comment', { mode: 'API_KEY', credentials: { apiKey }, config: { baseUrl: github.baseUrl }, input });

describe('create_comment', () => {
  it('posts the comment to the issue with the token and returns it', async () => {
    const output = await comment({ owner: 'acme', repo: 'widgets', issue_number: 1, body: 'Reproduced on **main**.' });
    expect(output).toEqual({
      id: 5001,
      url: 'https://github.com/acme/widgets/issues/1#issuecomment-5001',
      apiUrl: `${github.baseUrl}/repos/acme/widgets/issues/comments/5001`,
      issueUrl: `${github.baseUrl}/repos/acme/widgets/issues/1`,
      author: 'octocat',
      createdAt: '2026-11-22T10:05:00Z',
    });
    const req = github.requests[0]!;
    expect(`${req.method} ${req.url}`).toBe('POST /repos/acme/widgets/issues/1/comments');
    expect(req.headers.authorization).toBe(`token ${TOKEN}`);
    expect(req.json).toEqual({ body: 'Reproduced on **main**.' });
    expect(github.comments.at(-1)).toMatchObject({ issue_number: 1, body: 'Reproduced on **main**.' });
  });

  it('accepts the issue number as a string (templated inputs render to strings)', async () => {
    await comment({ owner: 'acme', repo: 'widgets', issue_number: '1', body: 'From a template' });
    expect(github.requests[0]!.url).toBe('/repos/acme/widgets/issues/1/comments');
  });

  it('validates the issue number and body before calling GitHub', async () => {
    const err = await failureOf(comment({ owner: 'acme', repo: 'widgets', issue_number: 0, body: '   ' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues).toEqual([
      { path: 'issue_number', message: 'must be a positive issue number' },
      { path: 'body', message: 'is required' },
    ]);
    expect(github.requests).toHaveLength(0);
  });

  it('maps a missing issue (404) to PermanentError', async () => {
    const err = await failureOf(comment({ owner: 'acme', repo: 'widgets', issue_number: 999, body: 'hello' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('POST /repos/acme/widgets/issues/999/comments answered 404: Not Found');
  });

  it('maps a rejected token (401) to AuthError', async () => {
    expect(await failureOf(comment({ owner: 'acme', repo: 'widgets', issue_number: 1, body: 'hello' }, 'ghp_revoked'))).toBeInstanceOf(AuthError);
  });

  it('maps the secondary rate limit to RateLimitError', async () => {
    github.failNext('secondary-rate-limit');
    const err = await failureOf(comment({ owner: 'acme', repo: 'widgets', issue_number: 1, body: 'hello' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(30_000);
  });
});
