// send_email through SendGrid: the real @sendgrid/mail client pointed (config.baseUrl) at a
// local server answering like SendGrid's v3 Mail Send API — 202 + X-Message-Id on success,
// `{ errors: [{ message, field, help }] }` on failure, X-RateLimit-Reset on 429.
import { PermanentError, RateLimitError, testAuth, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import emailPlugin from '../index.ts';
import { baseUrlFor, SENDGRID_BASE_URL, SENDGRID_EU_BASE_URL } from './sendgrid.ts';

const KEY = 'SG.test-key.sendgrid-4b7d1e';

let api: FakeServer;
let reply: (req: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

beforeAll(async () => {
  api = await startFakeServer((req) => {
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      return { status: 401, json: { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] } };
    }
    return reply(req);
  });
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  reply = (req) => {
    if (req.method === 'POST' && req.url === '/v3/mail/send') return { status: 202, headers: { 'x-message-id': 'W5fLk2abQ-ab12Cd34' }, body: '' };
    if (req.method === 'GET' && req.url === '/v3/scopes') return { json: { scopes: ['mail.send', 'user.profile.read'] } };
    return { status: 404, json: { errors: [{ message: 'resource not found', field: null }] } };
  };
});

const run = (input: Record<string, unknown>, apiKey = KEY, config: Record<string, unknown> = {}) =>
  runTestAction(emailPlugin, 'send_email', { mode: 'API_KEY', credentials: { apiKey }, config: { provider: 'sendgrid', baseUrl: api.url, ...config }, input });

describe('send_email through SendGrid', () => {
  it('POSTs /v3/mail/send with a Bearer key and SendGrid’s JSON shape, and returns X-Message-Id', async () => {
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
      attachments: [{ filename: 'terms.pdf', content: Buffer.from('%PDF-1.4 terms').toString('base64') }],
    });
    expect(out).toEqual({ provider: 'sendgrid', messageId: 'W5fLk2abQ-ab12Cd34', accepted: ['bob@example.com', 'carol@example.com', 'dave@example.com', 'audit@acme.test'], rejected: [], response: '202 Accepted' });
    expect(api.requests).toHaveLength(1);
    const req = api.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v3/mail/send');
    expect(req.headers['content-type']).toMatch(/application\/json/);
    expect(req.json).toEqual({
      from: { email: 'hello@acme.test', name: 'Acme' },
      subject: 'Welcome',
      personalizations: [{ to: [{ email: 'bob@example.com' }, { email: 'carol@example.com', name: 'Carol' }], cc: [{ email: 'dave@example.com' }], bcc: [{ email: 'audit@acme.test' }] }],
      reply_to: { email: 'support@acme.test' },
      content: [
        { type: 'text/plain', value: 'Hi there' },
        { type: 'text/html', value: '<p>Hi there</p>' },
      ],
      headers: { 'X-Campaign': 'welcome' },
      attachments: [{ filename: 'terms.pdf', content: Buffer.from('%PDF-1.4 terms').toString('base64'), type: 'application/pdf', disposition: 'attachment' }],
    });
  });

  it('says the API key was rejected (401), permanently', async () => {
    const err = await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }, 'SG.revoked-key'));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/SendGrid rejected the API key \(401: The provided authorization grant is invalid/);
    expect(err.message).not.toContain('SG.revoked-key');
  });

  it('passes SendGrid’s own message for a 400, naming the field', async () => {
    reply = () => ({ status: 400, json: { errors: [{ message: 'The from address does not match a verified Sender Identity.', field: 'from', help: 'https://sendgrid.com/docs/for-developers/sending-email/sender-identity/' }] } });
    const err = await failureOf(run({ from: 'unverified@acme.test', to: 'b@example.com', subject: 's', text: 't' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/answered 400: The from address does not match a verified Sender Identity\. \(from\)/);

    // SendGrid answers 403 for an unverified sender too: not "the key was rejected".
    reply = () => ({ status: 403, json: { errors: [{ message: 'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.', field: 'from', help: null }] } });
    const forbidden = await failureOf(run({ from: 'unverified@acme.test', to: 'b@example.com', subject: 's', text: 't' }));
    expect(forbidden).toBeInstanceOf(PermanentError);
    expect(forbidden.message).toMatch(/^SendGrid refused the request \(403: The from address does not match a verified Sender Identity/);
    expect(forbidden.message).toMatch(/sender is not verified/);
  });

  it('honours the rate-limit reset on 429 and retries 5xx', async () => {
    const reset = Math.floor(Date.now() / 1000) + 20;
    reply = () => ({ status: 429, headers: { 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, json: { errors: [{ message: 'too many requests', field: null }] } });
    const limited = await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBeGreaterThan(15_000);
    expect((limited as RateLimitError).retryAfterMs).toBeLessThanOrEqual(20_000);

    reply = () => ({ status: 429, headers: { 'retry-after': '4' }, json: { errors: [{ message: 'too many requests', field: null }] } });
    expect(((await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }))) as RateLimitError).retryAfterMs).toBe(4000);

    reply = () => ({ status: 503, body: 'upstream connect error' });
    expect(await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }))).toBeInstanceOf(TransientError);
  });

  it('treats an unreachable API as transient', async () => {
    const err = await failureOf(run({ from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' }, KEY, { baseUrl: 'http://127.0.0.1:9' }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/SendGrid API could not be reached/);
  });

  it('stops waiting when the run is cancelled', async () => {
    let release!: () => void;
    reply = () => new Promise<FakeResponse>((resolve) => (release = () => resolve({ status: 202, body: '' })));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 200);
    const err = await failureOf(
      runTestAction(emailPlugin, 'send_email', {
        mode: 'API_KEY',
        credentials: { apiKey: KEY },
        config: { provider: 'sendgrid', baseUrl: api.url },
        input: { from: 'a@acme.test', to: 'b@example.com', subject: 's', text: 't' },
        signal: controller.signal,
      }),
    );
    release();
    expect(err.message).toBe('run cancelled');
  });

  it('defaults to SendGrid’s global or EU address', () => {
    expect(baseUrlFor({ provider: 'sendgrid', region: 'us' })).toBe(SENDGRID_BASE_URL);
    expect(baseUrlFor({ provider: 'sendgrid', region: 'eu' })).toBe(SENDGRID_EU_BASE_URL);
    expect(baseUrlFor({ provider: 'sendgrid', region: 'eu', baseUrl: 'http://proxy.local' })).toBe('http://proxy.local');
  });
});

describe('SendGrid connection test', () => {
  it('GETs /v3/scopes with the key; a rejected key fails with a clear message', async () => {
    const ok = await testAuth({ plugin: emailPlugin, mode: 'API_KEY', credentials: { apiKey: KEY }, config: { provider: 'sendgrid', baseUrl: api.url } });
    expect(ok).toMatchObject({ ok: true, message: 'SendGrid accepted the API key' });
    expect(api.requests.map((r) => `${r.method} ${r.url} ${r.headers.authorization}`)).toEqual([`GET /v3/scopes Bearer ${KEY}`]);

    const bad = await testAuth({ plugin: emailPlugin, mode: 'API_KEY', credentials: { apiKey: 'SG.bad' }, config: { provider: 'sendgrid', baseUrl: api.url } });
    expect(bad).toMatchObject({ ok: false });
    expect(bad.message).toMatch(/SendGrid rejected the API key/);

    reply = () => ({ json: { scopes: ['user.profile.read'] } });
    const readOnly = await testAuth({ plugin: emailPlugin, mode: 'API_KEY', credentials: { apiKey: KEY }, config: { provider: 'sendgrid', baseUrl: api.url } });
    expect(readOnly).toMatchObject({ ok: false, message: 'SendGrid accepted the API key, but it lacks the mail.send permission' });
  });
});
