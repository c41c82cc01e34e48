import { ActionInputError, AuthError, PermanentError, RateLimitError, TransientError, testAuth } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rehome } from '../client.ts';
import { startFakeTwilio, type FakeTwilio } from '../fake-twilio.ts';
import twilioPlugin from '../index.ts';

const ACCOUNT_SID = `AC${'a1b2c3d4'.repeat(4)}`;
const AUTH_TOKEN = 'twilio-auth-token-0123456789abcdef';
const SERVICE_SID = `MG${'0f'.repeat(16)}`;
let fake: FakeTwilio;

beforeAll(async () => {
  fake = await startFakeTwilio({ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, friendlyName: 'Acme Support' });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const send = (input: unknown, credentials: unknown = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, baseUrl = fake.url) =>
  runTestAction(twilioPlugin, 'send_sms', { mode: 'API_KEY', credentials, config: { baseUrl }, input });

describe('send_sms', () => {
  it('posts the message form-encoded with basic auth and returns the message', async () => {
    const output = await send({ to: '+14155550123', from: '+15005550006', body: 'Your code is 123456', statusCallback: 'https://example.com/status' });
    expect(output).toMatchObject({
      status: 'queued',
      to: '+14155550123',
      from: '+15005550006',
      body: 'Your code is 123456',
      messagingServiceSid: null,
      numSegments: 1,
      numMedia: 0,
      dateCreated: '2026-11-22T10:00:00.000Z',
      errorCode: null,
    });
    expect((output as { sid: string }).sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(`${req.method} ${req.url}`).toBe(`POST /2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(req.headers['user-agent']).toMatch(/^twilio-node\//);
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ To: '+14155550123', From: '+15005550006', Body: 'Your code is 123456', StatusCallback: 'https://example.com/status' });
  });

  it('sends through a Messaging Service and with media', async () => {
    const output = await send({ to: '+447700900123', messagingServiceSid: SERVICE_SID, body: 'Photo attached', mediaUrl: ['https://example.com/a.png', 'https://example.com/b.png'] });
    expect(output).toMatchObject({ status: 'accepted', from: null, messagingServiceSid: SERVICE_SID, numMedia: 2 });
    const form = new URLSearchParams(fake.requests[0]!.body);
    expect(form.get('MessagingServiceSid')).toBe(SERVICE_SID);
    expect(form.has('From')).toBe(false);
    expect(form.getAll('MediaUrl')).toEqual(['https://example.com/a.png', 'https://example.com/b.png']);
  });

  it('keeps a path prefix on the baseUrl (a proxy in front of Twilio)', async () => {
    expect(rehome(`https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?x=1`, 'http://proxy.internal:8080/twilio/')).toBe(
      `http://proxy.internal:8080/twilio/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?x=1`,
    );
  });

  it('checks E.164 on to and from, naming the field, before calling Twilio', async () => {
    const err = await failureOf(send({ to: '4155550123', from: '+1 500 555 0006', body: 'hi' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(['to', 'from']);
    expect(err.message).toContain('"to" must be a phone number in E.164 format');
    expect(err.message).toContain('"from" must be a phone number in E.164 format');
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a body over 1,600 characters with a clear error, and accepts exactly 1,600', async () => {
    const err = await failureOf(send({ to: '+14155550123', from: '+15005550006', body: 'x'.repeat(1601) }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect(err.message).toBe('Invalid input: body: "body" is too long: Twilio accepts at most 1600 characters per message');
    expect(fake.requests).toHaveLength(0);
    const ok = (await send({ to: '+14155550123', from: '+15005550006', body: 'x'.repeat(1600) })) as { numSegments: number };
    expect(ok.numSegments).toBe(11);
  });

  it('needs from or messagingServiceSid', async () => {
    const err = await failureOf(send({ to: '+14155550123', body: 'hi' }));
    expect((err as ActionInputError).issues).toEqual([{ path: 'from', message: 'give "from" (a Twilio number) or "messagingServiceSid"' }]);
  });

  it("maps Twilio's 21211 (invalid 'To') to PermanentError with Twilio's code and message", async () => {
    const err = await failureOf(send({ to: '+15005550001', from: '+15005550006', body: 'hi' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe(
      `POST /2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json answered 400: Twilio error 21211: The 'To' number +15005550001 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)`,
    );
    expect((err as PermanentError).details).toMatchObject({ status: 400, twilioCode: 21211 });
  });

  it('maps a wrong Auth Token (20003) to AuthError', async () => {
    const err = await failureOf(send({ to: '+14155550123', from: '+15005550006', body: 'hi' }, { accountSid: ACCOUNT_SID, authToken: 'wrong' }));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('Twilio error 20003: Authenticate');
  });

  it('maps 429 (20429) to RateLimitError with Retry-After, without retrying in twilio-node', async () => {
    fake.failNext('rate-limit', 3);
    const err = await failureOf(send({ to: '+14155550123', from: '+15005550006', body: 'hi' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(2_000);
    expect(err.message).toContain('Twilio error 20429: Too Many Requests');
    expect(fake.requests).toHaveLength(1);
  });

  it('maps 500 to TransientError, and a refused connection too', async () => {
    fake.failNext('server-error');
    expect(await failureOf(send({ to: '+14155550123', from: '+15005550006', body: 'hi' }))).toBeInstanceOf(TransientError);
    expect(await failureOf(send({ to: '+14155550123', from: '+15005550006', body: 'hi' }, undefined, 'http://127.0.0.1:1'))).toBeInstanceOf(TransientError);
  });
});

describe('connection test', () => {
  it('fetches the account with basic auth', async () => {
    const result = await testAuth({ plugin: twilioPlugin, mode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, config: { baseUrl: fake.url } });
    expect(result).toMatchObject({ ok: true, message: 'Connected to the Twilio account "Acme Support"' });
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /2010-04-01/Accounts/${ACCOUNT_SID}.json`]);
  });

  it('fails a wrong token, and a malformed Account SID without calling Twilio', async () => {
    const wrong = await testAuth({ plugin: twilioPlugin, mode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: 'nope' }, config: { baseUrl: fake.url } });
    expect(wrong.ok).toBe(false);
    expect(wrong.message).toContain('answered 401: Twilio error 20003: Authenticate');
    fake.reset();
    const malformed = await testAuth({ plugin: twilioPlugin, mode: 'API_KEY', credentials: { accountSid: 'SK123', authToken: AUTH_TOKEN }, config: { baseUrl: fake.url } });
    expect(malformed.ok).toBe(false);
    expect(malformed.message).toMatch(/accountSid: must be your Account SID/);
    expect(fake.requests).toHaveLength(0);
  });

  it('reports a suspended account', async () => {
    const suspended = await startFakeTwilio({ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, friendlyName: 'Old', status: 'suspended' });
    try {
      const result = await testAuth({ plugin: twilioPlugin, mode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, config: { baseUrl: suspended.url } });
      expect(result).toMatchObject({ ok: false, message: 'The Twilio account "Old" is suspended' });
    } finally {
      await suspended.close();
    }
  });
});
