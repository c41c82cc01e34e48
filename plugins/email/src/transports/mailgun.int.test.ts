// send_email through Mailgun: the real mailgun.js client pointed (config.baseUrl) at a local
// server answering like Mailgun's Messages API — multipart/form-data in, basic `api:<key>`,
// `{ id, message }` on success, `{ message }` or a bare "Forbidden" on failure.
import { PermanentError, RateLimitError, testAuth, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import emailPlugin from '../index.ts';

const KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const DOMAIN = 'mg.acme.test';
const BASIC = `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`;

let api: FakeServer;
let reply: (req: RecordedRequest) => FakeResponse;

beforeAll(async () => {
  api = await startFakeServer((req) => {
    if (req.headers.authorization !== BASIC) return { status: 401, headers: { 'content-type': 'text/plain' }, body: 'Forbidden' };
    return reply(req);
  });
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  reply = (req) => {
    if (req.method === 'POST' && req.url === `/v3/${DOMAIN}/messages`) return { json: { id: '<20261122131500.1.ABCDEF@mg.acme.test>', message: 'Queued. Thank you.' } };
    if (req.method === 'GET' && req.url === `/v4/domains/${DOMAIN}`) {
      return { json: { domain: { name: DOMAIN, state: 'active', created_at: 'Sun, 22 Nov 2026 10:00:00 GMT', type: 'custom' }, receiving_dns_records: [], sending_dns_records: [] } };
    }
    return { status: 404, json: { message: 'Domain not found' } };
  };
});

const run = (input: Record<string, unknown>, apiKey = KEY, config: Record<string, unknown> = {}) =>
  runTestAction(emailPlugin, 'send_email', { mode: 'API_KEY', credentials: { apiKey }, config: { provider: 'mailgun', domain: DOMAIN, baseUrl: api.url, ...config }, input });

/** The multipart body as the fake server received it, parsed by undici's own multipart parser. */
async function form(req: RecordedRequest): Promise<FormData> {
  return new Response(req.body, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
}

describe('send_email through Mailgun', () => {
  it('POSTs multipart form data to /v3/<domain>/messages with basic api:<key>, and returns Mailgun’s id', async () => {
    const out = await run({
      from: 'Acme <hello@acme.test>',
      to: 'bob@example.com, Carol <carol@example.com>',
      cc: ['dave@example.com'],
      bcc: ['audit@acme.test'],
      replyTo: 'support@acme.test',
      subject: 'Welcome',
      text: 'Hi there',
      html: '<p>Hi there</p>',
      headers: { 'X-Campaign': 'welcome' },
      attachments: [{ filename: 'terms.txt', text: 'Terms and conditions', contentType: 'text/plain' }],
    });
    expect(out).toEqual({
      provider: 'mailgun',
      messageId: '<20261122131500.1.ABCDEF@mg.acme.test>',
      accepted: ['bob@example.com', 'carol@example.com', 'dave@example.com', 'audit@acme.test'],
      rejected: [],
      response: 'Queued. Thank you.',
    });
    const req = api.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`/v3/${DOMAIN}/messages`);
    expect(req.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const fields = await form(req);
    expect(fields.get('from')).toBe('Acme <hello@acme.test>');
    expect(fields.getAll('to')).toEqual(['bob@example.com', 'Carol <carol@example.com>']);
    expect(fields.getAll('cc')).toEqual(['dave@example.com']);
    expect(fields.getAll('bcc')).toEqual(['audit@acme.test']);
    expect(fields.get('h:Reply-To')).toBe('support@acme.test');
    expect(fields.get('h:X-Campaign')).toBe('welcome');
    expect(fields.get('subject')).toBe('Welcome');
    expect(fields.get('text')).toBe('Hi there');
    expect(fields.get('html')).toBe('<p>Hi there</p>');
    const file = fields.get('attachment') as File;
    expect(file.name).toBe('terms.txt');
    expect(file.type).toMatch(/^text\/plain/);
    expect(await file.text()).toBe('Terms and conditions');
  });

  it('says the API key was rejected when Mailgun answers 401 Forbidden', async () => {
    const err = await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }, 'key-wrong'));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/Mailgun rejected the API key \(401: Forbidden/);
    expect(err.message).not.toContain('key-wrong');
  });

  it('passes Mailgun’s message for a 400; 429 is a rate limit; 5xx is transient', async () => {
    reply = () => ({ status: 400, json: { message: "'from' parameter is not a valid address. please check documentation" } });
    const bad = await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }));
    expect(bad).toBeInstanceOf(PermanentError);
    expect(bad.message).toMatch(/Mailgun API answered 400: 'from' parameter is not a valid address/);

    reply = () => ({ status: 429, headers: { 'retry-after': '3' }, json: { message: 'Too many requests' } });
    expect(await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }))).toBeInstanceOf(RateLimitError);

    reply = () => ({ status: 500, json: { message: 'Internal Server Error' } });
    expect(await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }))).toBeInstanceOf(TransientError);
  });

  it('treats an unreachable API as transient (mailgun.js reports it as a 400 with the socket error)', async () => {
    const err = await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }, KEY, { baseUrl: 'http://127.0.0.1:9' }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/Mailgun API could not be reached: ECONNREFUSED/);
  });

  it('needs the sending domain', async () => {
    const err = await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }, KEY, { domain: undefined }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/config\.domain/);
    expect(api.requests).toHaveLength(0);
  });
});

describe('Mailgun connection test', () => {
  it('GETs /v4/domains/<domain> with the key; a rejected key fails', async () => {
    const ok = await testAuth({ plugin: emailPlugin, mode: 'API_KEY', credentials: { apiKey: KEY }, config: { provider: 'mailgun', domain: DOMAIN, baseUrl: api.url } });
    expect(ok).toMatchObject({ ok: true, message: `Mailgun accepted the API key for ${DOMAIN}` });
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /v4/domains/${DOMAIN}`]);
    const bad = await testAuth({ plugin: emailPlugin, mode: 'API_KEY', credentials: { apiKey: 'key-nope' }, config: { provider: 'mailgun', domain: DOMAIN, baseUrl: api.url } });
    expect(bad).toMatchObject({ ok: false });
    expect(bad.message).toMatch(/Mailgun rejected the API key/);
  });
});
