// How HubSpot failures reach the hub: one attempt per call (Temporal retries), typed errors
// carrying HubSpot's message, rate-limit timing from its headers, and cancellation.
import { AuthError, PermanentError, RateLimitError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeHubSpot, type RunningFakeHubSpot } from './fake-hubspot.ts';
import hubspotPlugin from './index.ts';

const TOKEN = 'pat-na1-11111111-2222-3333-4444-client000001';
let portal: RunningFakeHubSpot;

beforeAll(async () => {
  portal = await startFakeHubSpot({ tokens: [TOKEN], burstLimit: 3 });
});
afterAll(() => portal.close());
beforeEach(() => {
  portal.requests.length = 0;
});

const create = (options: { token?: string; baseUrl?: string; signal?: AbortSignal } = {}) =>
  runTestAction(hubspotPlugin, 'create_contact', {
    mode: 'API_KEY',
    credentials: { apiKey: options.token ?? TOKEN },
    config: { baseUrl: options.baseUrl ?? portal.url },
    input: { email: `c${Math.random().toString(36).slice(2)}@example.com` },
    signal: options.signal,
  });

describe('HubSpot errors', () => {
  it('turns 401 into AuthError', async () => {
    const err = await failureOf(create({ token: 'pat-na1-revoked' }));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('answered 401: Authentication credentials not found');
    expect(err.message).toContain('[INVALID_AUTHENTICATION]');
    expect(portal.requests).toHaveLength(1);
  });

  it('turns the portal running out of burst budget into RateLimitError with its Retry-After', async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await create().catch((err: Error) => err));
    const limited = results[3] as RateLimitError;
    expect(results.slice(0, 3).every((r) => !(r instanceof Error))).toBe(true);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited.retryAfterMs).toBe(1000);
    expect(limited.message).toContain('You have reached your ten_secondly_rolling limit. [RATE_LIMITS]');
    expect(portal.requests).toHaveLength(4);
    expect(portal.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });
});

describe('HubSpot transport failures', () => {
  let other: Awaited<ReturnType<typeof startFakeServer>>;
  let answer: { status: number; headers?: Record<string, string>; body?: string; json?: unknown };
  beforeAll(async () => {
    other = await startFakeServer(() => answer);
  });
  afterAll(() => other.close());
  beforeEach(() => {
    other.requests.length = 0;
  });

  it('waits one rate-limit window when a 429 has no Retry-After', async () => {
    answer = { status: 429, headers: { 'x-hubspot-ratelimit-interval-milliseconds': '10000' }, json: { status: 'error', message: 'You have reached your daily limit.', errorType: 'RATE_LIMIT', policyName: 'DAILY', correlationId: 'x' } };
    const err = await failureOf(create({ baseUrl: other.url }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(10000);
  });

  it('turns 5xx into TransientError after a single attempt, even with a body the SDK cannot read', async () => {
    answer = { status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad gateway</body></html>' };
    const html = await failureOf(create({ baseUrl: other.url }));
    expect(html).toBeInstanceOf(TransientError);
    expect(html.message).toContain('answered 502');
    answer = { status: 500, json: { status: 'error', message: 'internal error', correlationId: 'abc', category: 'INTERNAL_ERROR' } };
    const json = await failureOf(create({ baseUrl: other.url }));
    expect(json).toBeInstanceOf(TransientError);
    expect(json.message).toContain('internal error [INTERNAL_ERROR] (correlationId abc)');
    expect(other.requests).toHaveLength(2);
  });

  it('turns 403 MISSING_SCOPES into a PermanentError naming the scope problem', async () => {
    answer = { status: 403, json: { status: 'error', message: 'This app hasn\'t been granted all required scopes to make this call.', correlationId: 'def', category: 'MISSING_SCOPES', errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.objects.contacts.write'] } }] } };
    const err = await failureOf(create({ baseUrl: other.url }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('[MISSING_SCOPES]');
  });

  it('turns a network failure into TransientError', async () => {
    const closed = await startFakeServer(() => ({ status: 200 }));
    await closed.close();
    const err = await failureOf(create({ baseUrl: closed.url }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('Create contact failed');
  });

  it('stops waiting when the run is cancelled', async () => {
    const slow = await startFakeServer(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return { status: 201, json: {} };
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 100);
    const started = Date.now();
    const err = await failureOf(create({ baseUrl: slow.url, signal: controller.signal }));
    expect(err.message).toBe('run cancelled');
    expect(Date.now() - started).toBeLessThan(1_500);
    await slow.close();
  });
});
