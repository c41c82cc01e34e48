// send_email through Postmark: the real `postmark` client pointed (config.baseUrl) at a local
// server answering like Postmark's Email API — X-Postmark-Server-Token, PascalCase JSON,
// `{ ErrorCode, Message }` on every answer.
import { PermanentError, RateLimitError, testAuth, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import emailPlugin from '../index.ts';

const TOKEN = 'b3f1c2a4-postmark-server-token-77d1';

let api: FakeServer;
let reply: (req: RecordedRequest) => FakeResponse;

beforeAll(async () => {
  api = await startFakeServer((req) => {
    if (req.headers['x-postmark-server-token'] !== TOKEN) {
      return {
        status: 401,
        json: { ErrorCode: 10, Message: 'The Server Token you provided in the X-Postmark-Server-Token request header was invalid. Please verify that you are using a valid token.' },
      };
    }
    return reply(req);
  });
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  reply = (req) => {
    if (req.method === 'POST' && req.url === '/email') {
      const body = req.json as { To?: string };
      return { json: { To: body.To, SubmittedAt: '2026-11-22T13:15:00.1234567Z', MessageID: 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817', ErrorCode: 0, Message: 'OK' } };
    }
    if (req.method === 'GET' && req.url === '/server') return { json: { ID: 1234, Name: 'Acme transactional', Color: 'blue', DeliveryType: 'Live' } };
    return { status: 404, json: { ErrorCode: 404, Message: 'Not found' } };
  };
});

const run = (input: Record<string, unknown>, apiKey = TOKEN, config: Record<string, unknown> = {}) =>
  runTestAction(emailPlugin, 'send_email', { mode: 'API_KEY', credentials: { apiKey }, config: { provider: 'postmark', baseUrl: api.url, ...config }, input });

const minimal = { from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' };

describe('send_email through Postmark', () => {
  it('POSTs /email with X-Postmark-Server-Token and Postmark’s JSON, and returns its MessageID', async () => {
    const out = await run({
      from: 'Acme <hello@acme.test>',
      to: ['bob@example.com', 'Carol <carol@example.com>'],
      cc: 'dave@example.com',
      bcc: 'audit@acme.test',
      replyTo: 'support@acme.test',
      subject: 'Welcome',
      text: 'Hi there',
      html: '<p>Hi there</p>',
      headers: { 'X-Campaign': 'welcome' },
      attachments: [{ filename: 'logo.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64') }],
    });
    expect(out).toEqual({
      provider: 'postmark',
      messageId: 'b7bc2f4a-e38e-4336-af7d-e6c392c2f817',
      accepted: ['bob@example.com', 'carol@example.com', 'dave@example.com', 'audit@acme.test'],
      rejected: [],
      response: 'OK',
    });
    const req = api.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/email');
    expect(req.headers.accept).toMatch(/application\/json/);
    expect(req.headers['content-type']).toMatch(/application\/json/);
    expect(req.json).toEqual({
      From: 'Acme <hello@acme.test>',
      To: 'bob@example.com, Carol <carol@example.com>',
      Cc: 'dave@example.com',
      Bcc: 'audit@acme.test',
      ReplyTo: 'support@acme.test',
      Subject: 'Welcome',
      TextBody: 'Hi there',
      HtmlBody: '<p>Hi there</p>',
      Headers: [{ Name: 'X-Campaign', Value: 'welcome' }],
      Attachments: [{ Name: 'logo.png', Content: 'iVBORw==', ContentType: 'image/png', ContentID: null }],
    });
  });

  it('says the server token was rejected (401), permanently', async () => {
    const err = await failureOf(run(minimal, 'wrong-token'));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/Postmark rejected the API key \(401: The Server Token you provided/);
    expect(err.message).not.toContain('wrong-token');
  });

  it('passes Postmark’s 422 message and ErrorCode; 429 honours Retry-After; 5xx is transient', async () => {
    reply = () => ({ status: 422, json: { ErrorCode: 300, Message: "Invalid 'From' address: 'a@acme.test'." } });
    const invalid = await failureOf(run(minimal));
    expect(invalid).toBeInstanceOf(PermanentError);
    expect(invalid.message).toMatch(/Postmark API answered 422: Invalid 'From' address: 'a@acme\.test'\. \(ErrorCode 300\)/);

    reply = () => ({ status: 429, headers: { 'retry-after': '3' }, json: { ErrorCode: 429, Message: 'Rate limit exceeded' } });
    const limited = await failureOf(run(minimal));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBe(3000);

    reply = () => ({ status: 503, json: { ErrorCode: 503, Message: 'Service unavailable' } });
    expect(await failureOf(run(minimal))).toBeInstanceOf(TransientError);
  });

  it('treats an unreachable API as transient', async () => {
    const err = await failureOf(run(minimal, TOKEN, { baseUrl: 'http://127.0.0.1:9' }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/Postmark API could not be reached/);
  });
});

describe('Postmark connection test', () => {
  it('GETs /server with the token; a rejected token fails', async () => {
    const ok = await testAuth({ plugin: emailPlugin, mode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { provider: 'postmark', baseUrl: api.url } });
    expect(ok).toMatchObject({ ok: true, message: 'Postmark accepted the server token (server "Acme transactional")' });
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /server']);
    const bad = await testAuth({ plugin: emailPlugin, mode: 'API_KEY', credentials: { apiKey: 'nope' }, config: { provider: 'postmark', baseUrl: api.url } });
    expect(bad).toMatchObject({ ok: false });
    expect(bad.message).toMatch(/Postmark rejected the API key/);
  });
});
