// Every scheme accepts what its real signer produces and rejects a wrong secret, a tampered
// body, a missing header and (where the scheme signs time) a stale timestamp. Signatures come
// from the providers' own libraries where one exists (standardwebhooks, @octokit/webhooks-methods);
// Slack, Twilio and the generic HMAC vectors are computed here independently of the verifiers.
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign as edSign } from 'node:crypto';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { StandardWebhook, verifiers, type VerifyRequest } from './index.ts';
import { safeEqual } from './safe-equal.ts';

const body = JSON.stringify({ event: 'lead.created', data: { id: 'lead_123', description: 'Interested in enterprise plan' } });

function request(partial: Partial<VerifyRequest>): VerifyRequest {
  return {
    rawBody: Buffer.from(body),
    headers: {},
    url: 'https://hub.example.com/hooks/ep_1',
    secret: null,
    headerName: null,
    options: {},
    now: Date.now(),
    ...partial,
  };
}

const lower = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

describe('safeEqual', () => {
  it('compares by value whatever the lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});

describe('STANDARD_WEBHOOKS (signed by the standardwebhooks library)', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const signer = new Webhook(secret);
  const headersAt = (at: Date, id = 'msg_1', payload = body) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signer.sign(id, at, payload),
  });
  const verify = (headers: Record<string, string>, s = secret, raw = body) =>
    verifiers.STANDARD_WEBHOOKS.verify(request({ headers, secret: s, rawBody: Buffer.from(raw) }));

  it('accepts a fresh signature', async () => {
    expect(await verify(headersAt(new Date()))).toEqual({ ok: true, outcome: 'verified (STANDARD_WEBHOOKS)' });
  });

  it('accepts when one of several signatures matches (secret rotation)', async () => {
    const headers = headersAt(new Date());
    const other = new Webhook(`whsec_${randomBytes(24).toString('base64')}`).sign('msg_1', new Date(), body);
    headers['webhook-signature'] = `${other} ${headers['webhook-signature']}`;
    expect((await verify(headers)).ok).toBe(true);
  });

  it('rejects a wrong secret, a tampered body, a stale or future timestamp, missing headers', async () => {
    expect(await verify(headersAt(new Date()), `whsec_${randomBytes(24).toString('base64')}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/no v1 signature/) });
    expect(await verify(headersAt(new Date()), secret, body.replace('lead_123', 'lead_999'))).toMatchObject({ ok: false });
    expect(await verify(headersAt(new Date(Date.now() - 6 * 60_000)))).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 5 minutes old/) });
    expect(await verify(headersAt(new Date(Date.now() + 6 * 60_000)))).toMatchObject({ ok: false, reason: expect.stringMatching(/in the future/) });
    expect(await verify({})).toMatchObject({ ok: false, reason: expect.stringMatching(/missing webhook-id/) });
  });
});

describe('StandardWebhook (the library with Node’s HMAC)', () => {
  it('signs byte for byte as the library does: any key, id, time and body (unicode, lone surrogates, Buffers)', () => {
    const bodies = ['', body, 'héllo wörld ✓ 𝄞', 'lone \ud800 surrogate', 'x'.repeat(70_000)];
    for (let i = 0; i < 40; i++) {
      const key = randomBytes(1 + (i % 64)).toString('base64');
      const secret = i % 2 ? `whsec_${key}` : key;
      const at = new Date(1_600_000_000_000 + i * 987_654_321);
      const id = `msg_${randomBytes(i % 9).toString('hex')}`;
      const payload = bodies[i % bodies.length]!;
      const reference = new Webhook(secret).sign(id, at, payload);
      expect(new StandardWebhook(secret).sign(id, at, payload)).toBe(reference);
      expect(new StandardWebhook(secret).sign(id, at, Buffer.from(payload))).toBe(new Webhook(secret).sign(id, at, Buffer.from(payload)));
    }
  });

  it('verifies what the library signs, rejects what another key signs, and refuses the secrets the library refuses', () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const at = new Date();
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign('msg_1', at, body) };
    expect(() => new StandardWebhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new StandardWebhook(`whsec_${randomBytes(24).toString('base64')}`).verify(body, headers)).toThrow(/No matching signature/);
    for (const bad of ['whsec_', '', 'whsec_not base64!']) expect(() => new StandardWebhook(bad)).toThrow();
  });
});

describe('GITHUB (signed by @octokit/webhooks-methods)', () => {
  const secret = 'It\'s a Secret to Everybody';
  const verify = (headers: Record<string, string>, s = secret) => verifiers.GITHUB.verify(request({ headers: lower(headers), secret: s }));

  it('accepts X-Hub-Signature-256 made by Octokit', async () => {
    expect(await verify({ 'X-Hub-Signature-256': await githubSign(secret, body) })).toEqual({ ok: true, outcome: 'verified (GITHUB)' });
  });

  it("matches GitHub's documented test vector", async () => {
    // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
    const result = await verifiers.GITHUB.verify(
      request({
        rawBody: Buffer.from('Hello, World!'),
        secret,
        headers: { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
      }),
    );
    expect(result.ok).toBe(true);
  });

  it('rejects a wrong secret, a malformed or missing header', async () => {
    expect(await verify({ 'X-Hub-Signature-256': await githubSign('other', body) })).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match/) });
    expect(await verify({ 'X-Hub-Signature-256': 'sha1=abc' })).toMatchObject({ ok: false, reason: expect.stringMatching(/not sha256=/) });
    expect(await verify({})).toMatchObject({ ok: false, reason: 'missing X-Hub-Signature-256 header' });
  });
});

describe('SLACK', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const slackHeaders = (ts: number, s = secret, payload = body) => ({
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${createHmac('sha256', s).update(`v0:${ts}:${payload}`).digest('hex')}`,
  });
  const now = Math.floor(Date.now() / 1000);
  const verify = (headers: Record<string, string>) => verifiers.SLACK.verify(request({ headers, secret }));

  it('accepts a v0 signature within 5 minutes', async () => {
    expect(await verify(slackHeaders(now))).toEqual({ ok: true, outcome: 'verified (SLACK)' });
    expect((await verify(slackHeaders(now - 4 * 60))).ok).toBe(true);
  });

  it("matches Slack's documented example", async () => {
    // api.slack.com/authentication/verifying-requests-from-slack
    const raw = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const result = await verifiers.SLACK.verify(
      request({
        rawBody: Buffer.from(raw),
        secret,
        now: 1531420618 * 1000,
        headers: { 'x-slack-request-timestamp': '1531420618', 'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' },
      }),
    );
    expect(result.ok).toBe(true);
  });

  it('rejects a stale timestamp, a wrong secret, missing headers', async () => {
    expect(await verify(slackHeaders(now - 6 * 60))).toMatchObject({ ok: false, reason: expect.stringMatching(/5 minutes/) });
    expect(await verify(slackHeaders(now, 'another-signing-secret'))).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match/) });
    expect(await verify({ 'x-slack-request-timestamp': String(now) })).toMatchObject({ ok: false, reason: 'missing X-Slack-Signature header' });
  });
});

describe('TWILIO', () => {
  const token = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params: Record<string, string> = { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' };
  const form = new URLSearchParams(params).toString();
  // Computed here, written out by hand: URL + each (name, value) in name order, HMAC-SHA1, base64.
  const expected = createHmac('sha1', token)
    .update('https://mycompany.com/myapp.php?foo=1&bar=2' + 'CallSidCA1234567890ABCDE' + 'Caller+12349013030' + 'Digits1234' + 'From+12349013030' + 'To+18005551212')
    .digest('base64');
  const verify = (partial: Partial<VerifyRequest>) =>
    verifiers.TWILIO.verify(request({ url, secret: token, rawBody: Buffer.from(form), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': expected }, ...partial }));

  it('accepts the signature of URL + sorted form parameters', async () => {
    expect(await verify({})).toEqual({ ok: true, outcome: 'verified (TWILIO)' });
  });

  it('accepts the URL with the default port spelled out by the signer', async () => {
    const withPort = createHmac('sha1', token).update(`https://mycompany.com:443/myapp.php?foo=1&bar=2${'CallSidCA1234567890ABCDE'}${'Caller+12349013030'}${'Digits1234'}${'From+12349013030'}${'To+18005551212'}`).digest('base64');
    expect((await verify({ headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': withPort } })).ok).toBe(true);
  });

  it('sorts repeated parameters by value', async () => {
    const raw = 'b=2&a=z&a=y';
    const signature = createHmac('sha1', token).update(`${url}ayazb2`).digest('base64');
    expect((await verify({ rawBody: Buffer.from(raw), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature } })).ok).toBe(true);
  });

  it('verifies JSON bodies through bodySHA256', async () => {
    const json = '{"hello":"world"}';
    const hash = createHash('sha256').update(json).digest('hex');
    const signedUrl = `https://mycompany.com/hooks/ep_1?bodySHA256=${hash}`;
    const signature = createHmac('sha1', token).update(signedUrl).digest('base64');
    const headers = { 'content-type': 'application/json', 'x-twilio-signature': signature };
    expect((await verify({ url: signedUrl, rawBody: Buffer.from(json), headers })).ok).toBe(true);
    expect(await verify({ url: signedUrl, rawBody: Buffer.from('{"hello":"moon"}'), headers })).toMatchObject({ ok: false, reason: expect.stringMatching(/bodySHA256/) });
  });

  it('rejects a changed parameter, another URL, a wrong token, a missing header', async () => {
    expect((await verify({ rawBody: Buffer.from(form.replace('1234', '9999')) })).ok).toBe(false);
    expect((await verify({ url: 'https://mycompany.com/myapp.php?foo=1&bar=3' })).ok).toBe(false);
    expect((await verify({ secret: '54321' })).ok).toBe(false);
    expect(await verify({ headers: { 'content-type': 'application/x-www-form-urlencoded' } })).toMatchObject({ ok: false, reason: 'missing X-Twilio-Signature header' });
  });
});

describe('DISCORD (Ed25519 over timestamp + body)', () => {
  // A key pair as Discord's developer portal has it: the endpoint stores the raw public key in hex.
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicHex = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
  const signed = (timestamp: string, payload = body, key = privateKey) => ({
    'x-signature-ed25519': edSign(null, Buffer.from(timestamp + payload), key).toString('hex'),
    'x-signature-timestamp': timestamp,
  });
  const now = Date.now();
  const ts = String(Math.floor(now / 1000));

  it('accepts a signature made with the application key', async () => {
    expect(await verifiers.DISCORD.verify(request({ headers: signed(ts), secret: publicHex, now }))).toEqual({ ok: true, outcome: 'verified (DISCORD)' });
  });

  it('rejects another key, a tampered body, a stale timestamp, malformed and missing headers', async () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    expect(await verifiers.DISCORD.verify(request({ headers: signed(ts, body, other), secret: publicHex, now }))).toMatchObject({ ok: false, reason: 'X-Signature-Ed25519 does not match the payload' });
    expect(await verifiers.DISCORD.verify(request({ headers: signed(ts, '{"type":1}'), secret: publicHex, now }))).toMatchObject({ ok: false });
    const stale = String(Math.floor(now / 1000) - 360);
    expect(await verifiers.DISCORD.verify(request({ headers: signed(stale), secret: publicHex, now }))).toMatchObject({ reason: expect.stringContaining('5 minutes') });
    expect(await verifiers.DISCORD.verify(request({ headers: { ...signed(ts), 'x-signature-ed25519': 'zz' }, secret: publicHex, now }))).toMatchObject({ reason: expect.stringContaining('128 hex') });
    expect(await verifiers.DISCORD.verify(request({ headers: {}, secret: publicHex, now }))).toMatchObject({ reason: 'missing X-Signature-Ed25519 header' });
    expect(await verifiers.DISCORD.verify(request({ headers: signed(ts), secret: 'not-a-key', now }))).toMatchObject({ reason: expect.stringContaining('public key') });
  });
});

describe('HEADER_KEY', () => {
  const key = 'doone-flow-security-key-1';
  it('accepts X-Webhook-Key, or the configured header', async () => {
    expect(await verifiers.HEADER_KEY.verify(request({ secret: key, headers: { 'x-webhook-key': key } }))).toEqual({ ok: true, outcome: 'verified (HEADER_KEY)' });
    expect((await verifiers.HEADER_KEY.verify(request({ secret: key, headerName: 'X-Api-Token', headers: { 'x-api-token': key } }))).ok).toBe(true);
  });
  it('rejects a wrong or missing key', async () => {
    expect(await verifiers.HEADER_KEY.verify(request({ secret: key, headers: { 'x-webhook-key': `${key}x` } }))).toMatchObject({ ok: false });
    expect(await verifiers.HEADER_KEY.verify(request({ secret: key, headerName: 'X-Api-Token', headers: { 'x-webhook-key': key } }))).toMatchObject({ ok: false, reason: 'missing X-Api-Token header' });
  });
});

describe('HMAC_SHA256', () => {
  const secret = 'engrami-hmac-secret';
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  const b64 = createHmac('sha256', secret).update(body).digest('base64');
  const verify = (partial: Partial<VerifyRequest>) => verifiers.HMAC_SHA256.verify(request({ secret, ...partial }));

  it('accepts hex (any case) in X-Webhook-Signature by default', async () => {
    expect(await verify({ headers: { 'x-webhook-signature': hex } })).toEqual({ ok: true, outcome: 'verified (HMAC_SHA256)' });
    expect((await verify({ headers: { 'x-webhook-signature': hex.toUpperCase() } })).ok).toBe(true);
  });
  it('honours a prefix, base64 and a configured header', async () => {
    expect((await verify({ options: { prefix: 'sha256=' }, headers: { 'x-webhook-signature': `sha256=${hex}` } })).ok).toBe(true);
    expect((await verify({ options: { encoding: 'base64' }, headerName: 'X-Signature', headers: { 'x-signature': b64 } })).ok).toBe(true);
    expect(await verify({ options: { prefix: 'sha256=' }, headers: { 'x-webhook-signature': hex } })).toMatchObject({ ok: false, reason: expect.stringMatching(/must start with "sha256="/) });
  });
  it('rejects a wrong secret and a tampered body', async () => {
    expect((await verify({ secret: 'other', headers: { 'x-webhook-signature': hex } })).ok).toBe(false);
    expect((await verify({ rawBody: Buffer.from(`${body} `), headers: { 'x-webhook-signature': hex } })).ok).toBe(false);
  });
});

describe('NONE', () => {
  it('accepts anything and says it was not verified', async () => {
    expect(await verifiers.NONE.verify(request({}))).toEqual({ ok: true, outcome: 'not verified (NONE)' });
  });
});
