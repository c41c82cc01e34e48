// The Graph glue on its own, through a minimal plugin built on it: Microsoft identity URLs per
// tenant, the connection test (GET /me), Graph and non-Graph error bodies as typed errors,
// failures before any answer, query encoding and @odata.nextLink paging.
import { AuthError, defineAction, definePlugin, PermanentError, RateLimitError, TransientError, testAuth, z } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allPages, GRAPH_BASE_URL, graphCall, graphClient, graphPath, microsoftOAuth } from './index.ts';

const TOKEN = 'fake-graph-token';

const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers,
  json: { error: { code, message, innerError: { 'request-id': 'fake-request-id' } } },
});

/** Graph's wire format for what the tests need: /me, a paged /items collection, and error answers. */
function fakeGraph(req: RecordedRequest): FakeResponse {
  const url = new URL(req.url, `http://${req.headers.host}`);
  const path = url.pathname.replace(/^\/v1\.0(?=\/)/, '');
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
  if (path === '/me') return { json: { id: 'u1', displayName: 'Megan Bowen', userPrincipalName: 'MeganB@contoso.onmicrosoft.com' } };
  if (path === '/items') {
    const skip = Number(url.searchParams.get('$skip') ?? '0');
    const next = new URL(url);
    next.searchParams.set('$skip', String(skip + 2));
    return { json: { value: [skip, skip + 1].filter((i) => i < 5).map((i) => ({ id: `i${i}` })), ...(skip + 2 < 5 ? { '@odata.nextLink': next.toString() } : {}) } };
  }
  if (path === '/loop') return { json: { value: [], '@odata.nextLink': url.toString() } };
  if (path === '/throttled') return graphError(429, 'TooManyRequests', 'Slow down.', { 'retry-after': '7' });
  if (path === '/missing') return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  if (path === '/broken') return graphError(503, 'ServiceUnavailable', 'Try again later.');
  if (path === '/proxy-text') return { status: 403, headers: { 'content-type': 'text/plain' }, body: 'Forbidden by proxy policy' };
  if (path === '/proxy-json') return { status: 400, json: { message: 'gateway says no' } };
  return graphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop()}'.`);
}

const graphTest = definePlugin({
  key: 'graph-test',
  displayName: 'Graph test',
  category: 'test',
  baseUrl: GRAPH_BASE_URL,
  auth: [microsoftOAuth(['Test.Read'])],
  actions: [
    defineAction({
      key: 'get',
      displayName: 'GET a path',
      input: z.object({ path: z.string() }),
      run: (ctx) => graphCall(ctx, `GET ${ctx.input.path}`, () => graphClient(ctx).api(ctx.input.path).get()),
    }),
    defineAction({
      key: 'list',
      displayName: 'List a collection',
      input: z.object({ path: z.string(), max: z.number() }),
      run: (ctx) => allPages(ctx, ctx.input.path, { max: ctx.input.max }),
    }),
  ],
});

let server: FakeServer;
let baseUrl: string;
beforeAll(async () => {
  server = await startFakeServer(fakeGraph);
  baseUrl = `${server.url}/v1.0`;
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const run = (action: string, input: unknown, options: { signal?: AbortSignal; beforeRequest?: () => void; baseUrl?: string } = {}): Promise<any> =>
  runTestAction(graphTest, action, {
    mode: 'OAUTH2',
    credentials: { accessToken: TOKEN },
    config: { baseUrl: options.baseUrl ?? baseUrl },
    signal: options.signal,
    http: options.beforeRequest ? { beforeRequest: options.beforeRequest } : undefined,
    input,
  });

describe('microsoftOAuth', () => {
  it('is OAuth2 with PKCE, offline_access, User.Read and the given scopes, on the tenant from config', () => {
    const [auth] = graphTest.auth;
    expect(auth!.mode).toBe('OAUTH2');
    expect(auth!.oauth).toMatchObject({
      pkce: true,
      refresh: true,
      authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    });
    expect(auth!.scopes).toEqual(['openid', 'profile', 'offline_access', 'User.Read', 'Test.Read']);
    expect(auth!.oauth!.urlsFromConfig!({ tenant: 'contoso.onmicrosoft.com' })).toEqual({
      authorizationUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    });
    expect(auth!.oauth!.urlsFromConfig!({ tenant: 'organizations', loginBaseUrl: 'https://login.microsoftonline.us/' }).tokenUrl).toBe('https://login.microsoftonline.us/organizations/oauth2/v2.0/token');
    expect(auth!.config.parse({}).tenant).toBe('common');
    expect(auth!.config.safeParse({ tenant: 'evil/../x' }).success).toBe(false);
  });

  it('tests a connection with GET /me on the configured baseUrl', async () => {
    const ok = await testAuth({ plugin: graphTest, mode: 'OAUTH2', credentials: { accessToken: TOKEN }, config: { baseUrl } });
    expect(ok).toMatchObject({ ok: true, message: 'Signed in as MeganB@contoso.onmicrosoft.com' });
    expect(server.requests.at(-1)!.url).toBe('/v1.0/me?$select=id,displayName,userPrincipalName');
    const bad = await testAuth({ plugin: graphTest, mode: 'OAUTH2', credentials: { accessToken: 'wrong' }, config: { baseUrl } });
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain('GET /me answered 401: Access token has expired or is not yet valid. (InvalidAuthenticationToken)');
  });
});

describe('graphCall', () => {
  it('maps Graph error bodies to typed errors with Graph\'s message and code', async () => {
    const throttled = await failureOf(run('get', { path: '/throttled' }));
    expect(throttled).toBeInstanceOf(RateLimitError);
    expect((throttled as RateLimitError).retryAfterMs).toBe(7000);
    const missing = await failureOf(run('get', { path: '/missing' }));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toBe('Microsoft Graph GET /missing answered 404: The specified object was not found in the store. (ErrorItemNotFound)');
    expect(await failureOf(run('get', { path: '/broken' }))).toBeInstanceOf(TransientError);
    const expired = await failureOf(runTestAction(graphTest, 'get', { mode: 'OAUTH2', credentials: { accessToken: 'old' }, config: { baseUrl }, input: { path: '/me' } }));
    expect(expired).toBeInstanceOf(AuthError);
  });

  it('reads a plain-text 4xx and a JSON body of another shape', async () => {
    const text = await failureOf(run('get', { path: '/proxy-text' }));
    expect(text).toBeInstanceOf(PermanentError);
    expect(text.message).toBe('Microsoft Graph GET /proxy-text answered 403: Forbidden by proxy policy');
    const json = await failureOf(run('get', { path: '/proxy-json' }));
    expect(json.message).toBe('Microsoft Graph GET /proxy-json answered 400: gateway says no');
  });

  it('turns a refused connection into a TransientError', async () => {
    const err = await failureOf(run('get', { path: '/me' }, { baseUrl: 'http://127.0.0.1:9/v1.0' }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/^Microsoft Graph GET \/me failed: /);
  });

  it('keeps a PermanentError from the hub HTTP client (e.g. its network guard) permanent', async () => {
    const refuse = () => {
      throw new PermanentError('Refused to call 10.0.0.1: private address');
    };
    const err = await failureOf(run('get', { path: '/me' }, { beforeRequest: refuse }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('Refused to call 10.0.0.1');
  });

  it('passes the cancellation reason through', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    const err = await failureOf(run('get', { path: '/me' }, { signal: controller.signal }));
    expect(err.message).toBe('run cancelled');
  });
});

describe('graphPath', () => {
  it('encodes query values and leaves out undefined ones', () => {
    expect(graphPath('/me/events', { $filter: "startswith(subject,'a b')", $top: 5, $skip: undefined })).toBe("/me/events?$filter=startswith(subject%2C'a%20b')&$top=5");
    expect(graphPath('/me', {})).toBe('/me');
  });
});

describe('allPages', () => {
  it('follows @odata.nextLink on the connection\'s baseUrl to the end', async () => {
    expect(await run('list', { path: '/items', max: 100 })).toEqual({ items: ['i0', 'i1', 'i2', 'i3', 'i4'].map((id) => ({ id })), truncated: false });
    expect(server.requests.map((r) => r.url)).toEqual(['/v1.0/items', '/v1.0/items?%24skip=2', '/v1.0/items?%24skip=4']);
  });

  it('stops at max and says whether more was left', async () => {
    expect(await run('list', { path: '/items', max: 3 })).toEqual({ items: ['i0', 'i1', 'i2'].map((id) => ({ id })), truncated: true });
    expect(await run('list', { path: '/items', max: 5 })).toEqual({ items: ['i0', 'i1', 'i2', 'i3', 'i4'].map((id) => ({ id })), truncated: false });
  });

  it('stops a provider that links a page to itself after 500 pages', async () => {
    expect(await run('list', { path: '/loop', max: 10 })).toEqual({ items: [], truncated: true });
    expect(server.requests).toHaveLength(500);
  });
});
