import { ActionInputError, AuthError, PermanentError, RateLimitError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import httpPlugin from '../index.ts';

let server: FakeServer;
let reply: (req: RecordedRequest) => FakeResponse | Promise<FakeResponse>;
const pending: Array<() => void> = [];

beforeAll(async () => {
  server = await startFakeServer((req) => reply(req));
});
afterAll(async () => {
  pending.forEach((release) => release());
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  reply = () => ({ json: { ok: true } });
});

const run = (input: unknown, options: { mode?: 'NONE' | 'API_KEY' | 'BASIC'; credentials?: unknown; config?: Record<string, unknown>; secrets?: Record<string, string> } = {}) =>
  runTestAction(httpPlugin, 'http_request', { mode: options.mode ?? 'NONE', credentials: options.credentials ?? {}, config: options.config ?? {}, secrets: options.secrets, input });

const only = () => {
  expect(server.requests).toHaveLength(1);
  return server.requests[0]!;
};

describe('http_request bodies', () => {
  it('sends JSON as application/json', async () => {
    await run({ method: 'POST', url: `${server.url}/tickets`, body: { type: 'json', value: { subject: 'Help', tags: ['a', 1, null] } } });
    const req = only();
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/tickets');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toBe('{"subject":"Help","tags":["a",1,null]}');
  });

  it('sends a form as application/x-www-form-urlencoded', async () => {
    await run({ method: 'POST', url: `${server.url}/form`, body: { type: 'form', value: { name: 'Ada Lovelace', n: 3, ok: true, sym: 'a&b=c' } } });
    const req = only();
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(req.body).toBe('name=Ada+Lovelace&n=3&ok=true&sym=a%26b%3Dc');
  });

  it('sends XML as application/xml, byte for byte', async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<order id="7"><item>Café</item></order>';
    await run({ method: 'PUT', url: `${server.url}/orders/7`, body: { type: 'xml', value: xml } });
    const req = only();
    expect(req.method).toBe('PUT');
    expect(req.headers['content-type']).toBe('application/xml');
    expect(req.body).toBe(xml);
  });

  it('sends text as text/plain', async () => {
    await run({ method: 'PATCH', url: `${server.url}/note`, body: { type: 'text', value: 'line one\nline two ✓' } });
    const req = only();
    expect(req.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(req.body).toBe('line one\nline two ✓');
  });

  it("keeps the caller's content-type over the body type's default", async () => {
    await run({ method: 'POST', url: `${server.url}/soap`, headers: { 'Content-Type': 'text/xml; charset=utf-8' }, body: { type: 'xml', value: '<a/>' } });
    expect(only().headers['content-type']).toBe('text/xml; charset=utf-8');
  });

  it('sends no body on a plain GET', async () => {
    await run({ url: `${server.url}/items` });
    const req = only();
    expect(req.method).toBe('GET');
    expect(req.body).toBe('');
    expect(req.headers['content-type']).toBeUndefined();
  });
});

describe('http_request query, headers and URLs', () => {
  it('merges query parameters with those already in the URL, and sends custom headers', async () => {
    await run({
      url: `${server.url}/search?q=shoes`,
      query: { page: 2, tag: ['red', 'blue'], active: true, skip: null },
      headers: { 'X-Request-Id': 'req-1', Accept: 'application/vnd.acme+json' },
    });
    const req = only();
    const url = new URL(req.url, server.url);
    expect(url.pathname).toBe('/search');
    expect(url.searchParams.get('q')).toBe('shoes');
    expect(url.searchParams.get('page')).toBe('2');
    expect(url.searchParams.getAll('tag')).toEqual(['red', 'blue']);
    expect(url.searchParams.get('active')).toBe('true');
    expect(url.searchParams.has('skip')).toBe(false);
    expect(req.headers['x-request-id']).toBe('req-1');
    expect(req.headers.accept).toBe('application/vnd.acme+json');
    expect(req.headers['user-agent']).toMatch(/^patchbay-plugin-http\//);
  });

  it('resolves a relative URL against the connection baseUrl', async () => {
    await run({ url: '/tickets/42', query: { expand: 'owner' } }, { config: { baseUrl: `${server.url}/api/v2` } });
    expect(only().url).toBe('/api/v2/tickets/42?expand=owner');
  });

  it('refuses a relative URL when the connection has no baseUrl', async () => {
    const err = await failureOf(run({ url: 'tickets' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/baseUrl/);
    expect(server.requests).toHaveLength(0);
  });

  it('renders {{ secrets.NAME }} in headers before sending', async () => {
    await run({ url: `${server.url}/me`, headers: { 'X-Token': '{{ secrets.TOKEN }}', Authorization: 'Bearer {{ secrets.TOKEN }}' } }, { secrets: { TOKEN: 'x' } });
    const req = only();
    expect(req.headers['x-token']).toBe('x');
    expect(req.headers.authorization).toBe('Bearer x');
  });

  it('sends HEAD and OPTIONS', async () => {
    reply = () => ({ status: 204, headers: { allow: 'GET, POST' } });
    const head = (await run({ method: 'HEAD', url: `${server.url}/h` })) as { status: number };
    const options = (await run({ method: 'OPTIONS', url: `${server.url}/h` })) as { status: number; headers: Record<string, string> };
    expect(server.requests.map((r) => r.method)).toEqual(['HEAD', 'OPTIONS']);
    expect(head.status).toBe(204);
    expect(options.headers.allow).toBe('GET, POST');
  });
});

describe('http_request auth', () => {
  const key = { apiKey: 'k-123' };

  it('sends an API key as a Bearer token by default', async () => {
    await run({ url: '/me' }, { mode: 'API_KEY', credentials: key, config: { baseUrl: server.url } });
    expect(only().headers.authorization).toBe('Bearer k-123');
  });

  it('sends an API key in a custom header without a prefix', async () => {
    await run({ url: '/me' }, { mode: 'API_KEY', credentials: key, config: { baseUrl: server.url, apiKeyName: 'X-API-Key' } });
    const req = only();
    expect(req.headers['x-api-key']).toBe('k-123');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('uses a configured prefix, adding the space after a word', async () => {
    await run({ url: '/me' }, { mode: 'API_KEY', credentials: key, config: { baseUrl: server.url, apiKeyPrefix: 'Token' } });
    expect(only().headers.authorization).toBe('Token k-123');
  });

  it('sends an API key as a query parameter', async () => {
    await run({ url: '/me?x=1' }, { mode: 'API_KEY', credentials: key, config: { baseUrl: server.url, apiKeyIn: 'query', apiKeyName: 'api_key' } });
    const req = only();
    const url = new URL(req.url, server.url);
    expect(url.searchParams.get('api_key')).toBe('k-123');
    expect(url.searchParams.get('x')).toBe('1');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('keeps the credentials over a header or query parameter of the same name', async () => {
    await run({ url: '/me', headers: { authorization: 'Bearer forged' } }, { mode: 'API_KEY', credentials: key, config: { baseUrl: server.url } });
    await run({ url: '/me', query: { api_key: 'forged' } }, { mode: 'API_KEY', credentials: key, config: { baseUrl: server.url, apiKeyIn: 'query' } });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer k-123');
    expect(new URL(server.requests[1]!.url, server.url).searchParams.getAll('api_key')).toEqual(['k-123']);
  });

  it('sends HTTP basic credentials', async () => {
    await run({ url: '/me' }, { mode: 'BASIC', credentials: { username: 'ada', password: 'p:ss wörd' }, config: { baseUrl: server.url } });
    const header = only().headers.authorization!;
    expect(header).toMatch(/^Basic /);
    expect(Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8')).toBe('ada:p:ss wörd');
  });

  it("refuses to send a connection's credentials to a host other than its baseUrl", async () => {
    const other = await startFakeServer(() => ({ json: {} }));
    try {
      const err = await failureOf(run({ url: `${other.url}/steal` }, { mode: 'API_KEY', credentials: key, config: { baseUrl: server.url } }));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toMatch(/^Refused to send this connection's credentials to http:\/\/127\.0\.0\.1:\d+:/);
      expect(other.requests).toHaveLength(0);
      // An absolute URL on the baseUrl's own origin is fine.
      await run({ url: `${server.url}/me` }, { mode: 'API_KEY', credentials: key, config: { baseUrl: `${server.url}/api` } });
      expect(only().headers.authorization).toBe('Bearer k-123');
    } finally {
      await other.close();
    }
  });
});

describe('http_request responses', () => {
  it('returns status, lower-cased headers without set-cookie, and the parsed body', async () => {
    reply = () => ({ status: 201, headers: { 'X-Rate-Remaining': '99', 'Set-Cookie': 'session=secret; HttpOnly' }, json: { id: 't_1' } });
    const out = (await run({ method: 'POST', url: `${server.url}/tickets`, body: { type: 'json', value: {} } })) as Record<string, any>;
    expect(out.status).toBe(201);
    expect(out.body).toEqual({ id: 't_1' });
    expect(out.headers['x-rate-remaining']).toBe('99');
    expect(out.headers['content-type']).toBe('application/json');
    expect(Object.keys(out.headers).some((h) => h.toLowerCase().includes('cookie'))).toBe(false);
    expect(Object.keys(out.headers).every((h) => h === h.toLowerCase())).toBe(true);
    expect(out).not.toHaveProperty('mapped');
  });

  it('applies an output mapping to the body', async () => {
    reply = () => ({ status: 201, json: { id: 'tk_9', web_url: 'https://help.example.com/tk_9', tags: [{ name: 'a' }, { name: 'b' }] } });
    const out = (await run({
      method: 'POST',
      url: `${server.url}/api/tickets`,
      body: { type: 'json', value: { subject: 'Broken' } },
      outputMapping: { ticket_id: '$.id', ticket_url: '$.web_url', links: { tags: '$.tags[*].name' }, missing: '$.nope' },
    })) as Record<string, unknown>;
    expect(only().json).toEqual({ subject: 'Broken' });
    expect(out.mapped).toEqual({ ticket_id: 'tk_9', ticket_url: 'https://help.example.com/tk_9', links: { tags: ['a', 'b'] }, missing: null });
  });

  it('returns text bodies as text, and parses JSON on request', async () => {
    reply = () => ({ headers: { 'content-type': 'text/plain' }, body: '{"n":1}' });
    const auto = (await run({ url: `${server.url}/t` })) as { body: unknown };
    const json = (await run({ url: `${server.url}/t`, responseType: 'json' })) as { body: unknown };
    expect(auto.body).toBe('{"n":1}');
    expect(json.body).toEqual({ n: 1 });
    expect(server.requests).toHaveLength(2);
  });
});

describe('http_request failures', () => {
  it("turns 404 into a PermanentError with the provider's message", async () => {
    reply = () => ({ status: 404, json: { message: 'Ticket 42 does not exist' } });
    const err = await failureOf(run({ url: `${server.url}/tickets/42` }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('404');
    expect(err.message).toContain('Ticket 42 does not exist');
    expect(only().url).toBe('/tickets/42');
  });

  it('turns 401 into an AuthError', async () => {
    reply = () => ({ status: 401, json: { error: 'invalid_token' } });
    const err = await failureOf(run({ url: `${server.url}/me` }));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('invalid_token');
  });

  it('turns 429 with Retry-After into a RateLimitError', async () => {
    reply = () => ({ status: 429, headers: { 'Retry-After': '7' }, json: { message: 'slow down' } });
    const err = await failureOf(run({ url: `${server.url}/busy` }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(7000);
    expect(only().url).toBe('/busy');
  });

  it('turns 503 into a TransientError', async () => {
    reply = () => ({ status: 503, body: 'upstream unavailable' });
    const err = await failureOf(run({ url: `${server.url}/down` }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('upstream unavailable');
    expect(only().method).toBe('GET');
  });

  it('turns a timeout into a TransientError', async () => {
    reply = () => new Promise<FakeResponse>((resolve) => pending.push(() => resolve({ json: { late: true } })));
    const started = Date.now();
    const err = await failureOf(run({ url: `${server.url}/slow`, timeoutMs: 200 }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(only().url).toBe('/slow');
    pending.splice(0).forEach((release) => release());
  });

  it('returns a 4xx response when failOnHttpError is false', async () => {
    reply = () => ({ status: 422, json: { errors: { email: ['is invalid'] } } });
    const out = (await run({ method: 'POST', url: `${server.url}/users`, body: { type: 'json', value: { email: 'x' } }, failOnHttpError: false })) as Record<string, unknown>;
    expect(out.status).toBe(422);
    expect(out.body).toEqual({ errors: { email: ['is invalid'] } });
    expect(only().json).toEqual({ email: 'x' });
  });
});

describe('http_request input validation', () => {
  it('rejects a bad method, listing the path', async () => {
    const err = await failureOf(run({ method: 'FETCH', url: `${server.url}/x` }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(['method']);
    expect(server.requests).toHaveLength(0);
  });

  it('lists every bad path at once', async () => {
    const err = await failureOf(run({ url: 'ftp://files.example.com/x', timeoutMs: 0, body: { type: 'yaml', value: 'a: 1' }, headers: { 'Bad Header': 'v', ok: 'line\r\nInjected: 1' } }));
    expect(err).toBeInstanceOf(ActionInputError);
    const paths = (err as ActionInputError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['url', 'timeoutMs', 'body.type', 'headers.Bad Header', 'headers.ok']));
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a body on GET', async () => {
    const err = await failureOf(run({ method: 'GET', url: `${server.url}/x`, body: { type: 'text', value: 'hi' } }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues).toEqual([{ path: 'body', message: 'a GET request cannot have a body' }]);
    expect(server.requests).toHaveLength(0);
  });
});
