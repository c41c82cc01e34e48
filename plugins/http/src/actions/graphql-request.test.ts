import { ActionInputError, AuthError, PermanentError, RateLimitError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import httpPlugin from '../index.ts';

let server: FakeServer;
let reply: (req: RecordedRequest) => FakeResponse;

beforeAll(async () => {
  server = await startFakeServer((req) => reply(req));
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  reply = () => ({ json: { data: { ok: true } } });
});

const run = (input: unknown, options: { mode?: 'NONE' | 'API_KEY'; credentials?: unknown; config?: Record<string, unknown>; secrets?: Record<string, string> } = {}) =>
  runTestAction(httpPlugin, 'graphql_request', { mode: options.mode ?? 'NONE', credentials: options.credentials ?? {}, config: options.config ?? {}, secrets: options.secrets, input });

const QUERY = 'query Viewer($first: Int!) { viewer { login repositories(first: $first) { totalCount } } }';

describe('graphql_request', () => {
  it('POSTs query, variables and operationName as JSON and returns data', async () => {
    reply = () => ({ json: { data: { viewer: { login: 'ada', repositories: { totalCount: 3 } } } } });
    const out = await run({ url: `${server.url}/graphql`, query: QUERY, variables: { first: 5 }, operationName: 'Viewer', headers: { 'X-Github-Next-Global-ID': '1' } });
    expect(out).toEqual({ data: { viewer: { login: 'ada', repositories: { totalCount: 3 } } } });
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/graphql');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toContain('application/graphql-response+json');
    expect(req.headers['x-github-next-global-id']).toBe('1');
    expect(req.json).toEqual({ query: QUERY, variables: { first: 5 }, operationName: 'Viewer' });
  });

  it('defaults the endpoint to the connection baseUrl itself, with the API key applied', async () => {
    await run({ query: '{ viewer { login } }' }, { mode: 'API_KEY', credentials: { apiKey: 'ghp_1' }, config: { baseUrl: `${server.url}/graphql` } });
    const req = server.requests[0]!;
    expect(req.url).toBe('/graphql');
    expect(req.headers.authorization).toBe('Bearer ghp_1');
    expect(req.json).toEqual({ query: '{ viewer { login } }' });
  });

  it('resolves a relative url against the baseUrl', async () => {
    await run({ url: 'graphql', query: '{ a }' }, { config: { baseUrl: `${server.url}/api` } });
    expect(server.requests[0]!.url).toBe('/api/graphql');
  });

  it('needs a url or a baseUrl', async () => {
    const err = await failureOf(run({ query: '{ a }' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/needs a url/);
    expect(server.requests).toHaveLength(0);
  });

  it('returns partial data with its errors', async () => {
    reply = () => ({ json: { data: { a: 1, b: null }, errors: [{ message: 'b is forbidden', path: ['b'], extensions: { code: 'FORBIDDEN' } }] } });
    const out = await run({ url: `${server.url}/graphql`, query: '{ a b }' });
    expect(out).toEqual({ data: { a: 1, b: null }, errors: [{ message: 'b is forbidden', path: ['b'], extensions: { code: 'FORBIDDEN' } }] });
    expect(server.requests[0]!.json).toEqual({ query: '{ a b }' });
  });

  it('fails with the first message when errors come without data', async () => {
    reply = () => ({ json: { errors: [{ message: 'Cannot query field "nope" on type "Query".' }, { message: 'second' }] } });
    const err = await failureOf(run({ url: `${server.url}/graphql`, query: '{ nope }' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('Cannot query field "nope" on type "Query".');
    expect(err.message).toContain('and 1 more');
    expect(server.requests[0]!.json).toEqual({ query: '{ nope }' });
  });

  it('fails the same way when data is null', async () => {
    reply = () => ({ json: { data: null, errors: [{ message: 'Not found' }] } });
    const err = await failureOf(run({ url: `${server.url}/graphql`, query: '{ x }' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('Not found');
  });

  it('types a 400 by its status and carries the GraphQL message', async () => {
    reply = () => ({ status: 400, headers: { 'content-type': 'application/graphql-response+json' }, body: JSON.stringify({ errors: [{ message: 'Syntax Error: Unexpected Name "quer".' }] }) });
    const err = await failureOf(run({ url: `${server.url}/graphql`, query: 'quer { a }' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('400');
    expect(err.message).toContain('Syntax Error: Unexpected Name "quer".');
  });

  it('types 401, 429 and 503 responses', async () => {
    reply = () => ({ status: 401, json: { message: 'Bad credentials' } });
    const auth = await failureOf(run({ url: `${server.url}/graphql`, query: '{ a }' }));
    reply = () => ({ status: 429, headers: { 'retry-after': '7' }, json: { errors: [{ message: 'API rate limit exceeded' }] } });
    const limited = await failureOf(run({ url: `${server.url}/graphql`, query: '{ a }' }));
    reply = () => ({ status: 503, headers: { 'content-type': 'text/html' }, body: '<html>Service Unavailable</html>' });
    const down = await failureOf(run({ url: `${server.url}/graphql`, query: '{ a }' }));
    expect(auth).toBeInstanceOf(AuthError);
    expect(auth.message).toContain('Bad credentials');
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBe(7000);
    expect(limited.message).toContain('API rate limit exceeded');
    expect(down).toBeInstanceOf(TransientError);
    expect(server.requests).toHaveLength(3);
  });

  it('fails clearly when a 2xx answer is not a GraphQL response', async () => {
    reply = () => ({ headers: { 'content-type': 'text/html' }, body: '<html>login page</html>' });
    const err = await failureOf(run({ url: `${server.url}/graphql`, query: '{ a }' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/did not answer with a GraphQL response/);
  });

  it('validates its input', async () => {
    const err = await failureOf(run({ url: 'ws://example.com/graphql', query: '  ', variables: [1] }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['query', 'url', 'variables']);
    expect(server.requests).toHaveLength(0);
  });
});
