import { describe, expect, it } from 'vitest';
import {
  ActionInputError,
  apiKey,
  applyMapping,
  AuthError,
  basic,
  botToken,
  defineAction,
  definePlugin,
  describePlugin,
  errorForResponse,
  headersRecord,
  executeAction,
  none,
  parseRetryAfter,
  PermanentError,
  RateLimitError,
  referencedSecrets,
  renderTemplate,
  testAuth,
  TransientError,
  validatePlugin,
  z,
} from './index.ts';
import { startFakeServer } from './testing.ts';

const echo = defineAction({
  key: 'echo',
  displayName: 'Echo',
  input: z.object({ text: z.string(), count: z.number().int().default(1) }),
  output: z.object({ text: z.string() }),
  run: async ({ input }) => ({ text: input.text.repeat(input.count) }),
});
const raw = defineAction({
  key: 'raw',
  displayName: 'Raw',
  input: z.object({ sql: z.string() }),
  renderInput: false,
  run: async ({ input }) => input,
});
const lies = defineAction({ key: 'lies', displayName: 'Lies', input: z.object({}), output: z.object({ id: z.string() }), run: async () => ({ id: 42 }) as never });
const plugin = definePlugin({ key: 'demo', displayName: 'Demo', category: 'test', auth: [none(), apiKey()], actions: [echo, raw, lies] });

describe('templates', () => {
  it('renders input, secrets, connection config and user metadata, deep inside objects', async () => {
    const out = await renderTemplate(
      { url: '{{ connection.config.baseUrl }}/x', headers: ['Bearer {{ secrets.TOKEN }}'], who: '{{ user.metadata.email }}', n: 3 },
      { secrets: { TOKEN: 't0k' }, connection: { config: { baseUrl: 'https://api' } }, user: { metadata: { email: 'a@b.c' } } },
    );
    expect(out).toEqual({ url: 'https://api/x', headers: ['Bearer t0k'], who: 'a@b.c', n: 3 });
  });

  it('names an unknown secret or variable, and lists the secrets a template uses', async () => {
    await expect(renderTemplate('{{ secrets.NOPE }}', { secrets: {} })).rejects.toThrow('Unknown secret "NOPE" in template');
    await expect(renderTemplate('{{ input.missing }}', { input: {} })).rejects.toThrow(/Unknown variable "input.missing"/);
    expect(referencedSecrets({ a: '{{ secrets.A }} and {{ secrets["B-2"] }}', b: ['{{secrets.A}}'] }).sort()).toEqual(['A', 'B-2']);
  });
});

describe('mappings', () => {
  const data = { id: 7, items: [{ n: 'a' }, { n: 'b' }], data: { lead: { id: 'L1' } } };
  it('maps single values, nested objects and lists (Engrami style)', () => {
    expect(applyMapping({ ticket_id: '$.id', meta: { lead_id: '$.data.lead.id' }, names: '$.items[*].n', missing: '$.nope', fixed: 'literal' }, data)).toEqual({
      ticket_id: 7,
      meta: { lead_id: 'L1' },
      names: ['a', 'b'],
      missing: null,
      fixed: 'literal',
    });
  });
  it('never evaluates scripts', () => {
    expect(() => applyMapping('$..[?(@.n === process.exit())]', data)).toThrow(PermanentError);
  });
});

describe('provider errors', () => {
  it.each([
    [401, {}, AuthError],
    [429, { 'retry-after': '7' }, RateLimitError],
    [404, {}, PermanentError],
    [422, {}, PermanentError],
    [500, {}, TransientError],
    [503, { 'retry-after': '2' }, RateLimitError],
  ])('maps %i to its typed error', (status, headers, type) => {
    expect(errorForResponse({ status, headers, text: '{"message":"nope"}' }, 'GET /x')).toBeInstanceOf(type);
  });
  it('carries the provider message and Retry-After', () => {
    const err = errorForResponse({ status: 429, headers: { 'retry-after': '7' }, text: '{"error":{"message":"slow down"}}' }) as RateLimitError;
    expect(err.message).toMatch(/answered 429: slow down/);
    expect(err.retryAfterMs).toBe(7000);
    expect(parseRetryAfter(new Date(Date.now() + 5_000).toUTCString())).toBeGreaterThan(3_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
  it('takes a message the caller already read, and more details', () => {
    const err = errorForResponse({ status: 404, headers: {}, text: '{"message":"from the body"}' }, 'GET /x', { message: 'Not found (code 10003)', details: { providerCode: 10003 } });
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('GET /x answered 404: Not found (code 10003)');
    expect(err.details).toEqual({ status: 404, providerCode: 10003 });
    expect(errorForResponse({ status: 400, headers: {} }, 'GET /x', { message: '' }).message).toBe('GET /x answered 400');
  });
  it('reads headers from a fetch Headers or a plain object of any case', () => {
    expect(headersRecord(new Headers({ 'Retry-After': '3' }))).toEqual({ 'retry-after': '3' });
    expect(headersRecord({ 'Retry-After': 3, 'Set-Cookie': ['a=1', 'b=2'], 'X-Gone': undefined })).toEqual({ 'retry-after': '3', 'set-cookie': 'a=1, b=2' });
    expect(headersRecord(undefined)).toEqual({});
  });
});

describe('auth kinds', () => {
  it('put credentials where they belong', () => {
    expect(apiKey().authorize({ apiKey: 'k' }, {})).toEqual({ headers: { Authorization: 'Bearer k' } });
    expect(apiKey({ placement: { in: 'query', name: 'key' } }).authorize({ apiKey: 'k' }, {})).toEqual({ query: { key: 'k' } });
    expect(apiKey({ placement: (c) => ({ in: 'header', name: String(c.header) }) }).authorize({ apiKey: 'k' }, { header: 'X-Key' })).toEqual({ headers: { 'X-Key': 'k' } });
    expect(basic().authorize({ username: 'u', password: 'p' }, {})).toEqual({ headers: { Authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } });
    expect(botToken({ scheme: 'Bot' }).authorize({ botToken: 't' }, {})).toEqual({ headers: { Authorization: 'Bot t' } });
  });

  it('tests credentials with the test hook, against a real server', async () => {
    const server = await startFakeServer((req) => (req.headers.authorization === 'Bearer good' ? { json: { me: 1 } } : { status: 401, json: { message: 'bad key' } }));
    const checked = definePlugin({
      key: 'checked', displayName: 'Checked', category: 'test', actions: [],
      auth: [apiKey({ test: async ({ http }) => { await http.get('/me'); return { ok: true }; } })],
    });
    expect(await testAuth({ plugin: checked, mode: 'API_KEY', credentials: { apiKey: 'good' }, config: { baseUrl: server.url } })).toMatchObject({ ok: true });
    const bad = await testAuth({ plugin: checked, mode: 'API_KEY', credentials: { apiKey: 'bad' }, config: { baseUrl: server.url } });
    expect(bad).toMatchObject({ ok: false, message: expect.stringMatching(/401: bad key/) });
    expect(await testAuth({ plugin: checked, mode: 'API_KEY', credentials: {}, config: {} })).toMatchObject({ ok: false, message: expect.stringMatching(/apiKey/) });
    await server.close();
  });
});

describe('executeAction', () => {
  it('renders templates, validates input (with defaults) and output', async () => {
    expect(await executeAction({ plugin, mode: 'NONE', credentials: {}, action: 'echo', input: { text: '{{ secrets.W }}' }, secrets: { W: 'ha' } })).toEqual({ text: 'ha' });
  });
  it('reports every bad input path', async () => {
    const err = await executeAction({ plugin, mode: 'NONE', credentials: {}, action: 'echo', input: { count: 'x' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['count', 'text']);
  });
  it('leaves the input as written when the action opts out of rendering', async () => {
    expect(await executeAction({ plugin, mode: 'NONE', credentials: {}, action: 'raw', input: { sql: "SELECT '{{1,2}}'" } })).toEqual({ sql: "SELECT '{{1,2}}'" });
  });
  it('rejects output that breaks the declared schema, and unsupported auth modes', async () => {
    await expect(executeAction({ plugin, mode: 'NONE', credentials: {}, action: 'lies', input: {} })).rejects.toThrow(/returned invalid output/);
    await expect(executeAction({ plugin, mode: 'BASIC', credentials: {}, action: 'echo', input: { text: 'x' } })).rejects.toThrow(/does not support BASIC/);
    await expect(executeAction({ plugin, mode: 'API_KEY', credentials: {}, action: 'echo', input: { text: 'x' } })).rejects.toThrow(/Invalid connection credentials: apiKey/);
  });
});

describe('plugin shape', () => {
  it.each([
    [{ ...plugin, key: 'Bad Key' }, 'key must be kebab-case'],
    [{ ...plugin, auth: [] }, 'auth needs at least one auth method'],
    [{ ...plugin, actions: [echo, echo] }, 'actions has two actions with the same key'],
    [{ ...plugin, actions: [{ ...echo, key: 'BadKey' }] }, 'actions.0.key must be snake_case'],
    [{ ...plugin, actions: [{ ...echo, run: 'no' }] }, 'actions.0.run must be a function'],
    [null, 'the plugin'],
  ])('names the problem', (value, message) => {
    expect(() => validatePlugin(value)).toThrow(message);
  });

  it('describes itself for the catalog as JSON Schema', () => {
    const description = describePlugin(plugin);
    expect(description.authModes).toEqual(['NONE', 'API_KEY']);
    expect(description.auth[1]!.credentialsSchema).toMatchObject({ type: 'object', properties: { apiKey: { type: 'string' } }, required: ['apiKey'] });
    expect(description.auth[1]!.configSchema).toMatchObject({ properties: { baseUrl: { type: 'string' } } });
    expect(description.actions[0]).toMatchObject({ key: 'echo', inputSchema: { properties: { text: { type: 'string' }, count: { type: 'integer', default: 1 } }, required: ['text'] } });
  });
});
