// How Salesforce failures reach the hub: one attempt per call (Temporal retries), typed errors
// with Salesforce's own codes, and the connection's instance URL and API version honoured.
import { AuthError, PermanentError, RateLimitError, TransientError, type ActionLogger } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSalesforce, type RunningFakeSalesforce } from './fake-salesforce.ts';
import salesforcePlugin from './index.ts';

const TOKEN = '00D5g000004Xyz!AQ4AQFake.client.session';
let org: RunningFakeSalesforce;

beforeAll(async () => {
  org = await startFakeSalesforce({ tokens: [TOKEN] });
  org.sf.insert('Account', { Name: 'Acme' });
});
afterAll(() => org.close());
beforeEach(() => {
  org.requests.length = 0;
});

const query = (options: { token?: string; config?: Record<string, unknown>; logger?: ActionLogger; signal?: AbortSignal } = {}) =>
  runTestAction(salesforcePlugin, 'query', {
    mode: 'OAUTH2',
    credentials: { accessToken: options.token ?? TOKEN },
    config: options.config ?? { baseUrl: org.url },
    input: { soql: 'SELECT Id, Name FROM Account' },
    logger: options.logger,
    signal: options.signal,
  });

describe('Salesforce errors', () => {
  it('turns 401 INVALID_SESSION_ID into AuthError (the hub refreshes, then Temporal retries)', async () => {
    const err = await failureOf(query({ token: 'expired-session' }));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('answered 401: INVALID_SESSION_ID: Session expired or invalid');
    // jsforce has no refresh token: it must not try to refresh or repeat the call itself.
    expect(org.requests).toHaveLength(1);
    expect(org.requests[0]!.headers.authorization).toBe('Bearer expired-session');
  });

  it('turns 403 REQUEST_LIMIT_EXCEEDED into RateLimitError', async () => {
    org.sf.failNext({ status: 403, json: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }] });
    const err = await failureOf(query());
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.message).toContain('REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.');
    expect(org.requests).toHaveLength(1);
  });

  it('turns 429 into RateLimitError with Retry-After, without retrying inside jsforce', async () => {
    org.sf.failNext({ status: 429, headers: { 'retry-after': '7' }, json: [{ message: 'Too many requests', errorCode: 'REQUEST_LIMIT_EXCEEDED' }] });
    const err = await failureOf(query());
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(7000);
    expect(org.requests).toHaveLength(1);
  });

  it('turns 5xx into TransientError after a single attempt', async () => {
    org.sf.failNext({ status: 503, json: [{ message: 'Service temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }] });
    const err = await failureOf(query());
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toContain('answered 503: SERVER_UNAVAILABLE');
    expect(org.requests).toHaveLength(1);
  });

  it('turns a network failure into TransientError', async () => {
    const closed = await startFakeServer(() => ({ status: 200 }));
    await closed.close();
    const err = await failureOf(query({ config: { baseUrl: closed.url } }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/services\/data\/v59\.0\/query failed/);
  });

  it('stops when the run is cancelled', async () => {
    const slow = await startFakeServer(async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      return { json: { totalSize: 0, done: true, records: [] } };
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 100);
    const started = Date.now();
    const err = await failureOf(query({ config: { baseUrl: slow.url }, signal: controller.signal }));
    expect(err.message).toBe('run cancelled');
    expect(Date.now() - started).toBeLessThan(1_500);
    await slow.close();
  });

  it('needs an instance URL', async () => {
    const err = await failureOf(query({ config: {} }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/no instance URL/);
  });
});

describe('instance URL, API version and limits', () => {
  it('calls the configured API version on the configured instance, and logs Sforce-Limit-Info usage', async () => {
    const v61 = await startFakeSalesforce({ tokens: [TOKEN], version: '61.0' });
    v61.sf.insert('Account', { Name: 'Versioned' });
    const logged: Array<Record<string, unknown> | undefined> = [];
    const logger: ActionLogger = { debug: (msg, data) => void (msg === 'salesforce api usage' && logged.push(data)), info() {}, warn() {}, error() {} };
    const output = (await query({ config: { baseUrl: `${v61.url}/`, apiVersion: '61.0' }, logger })) as { records: unknown[] };
    expect(output.records).toHaveLength(1);
    expect(v61.requests[0]!.url).toMatch(/^\/services\/data\/v61\.0\/query\?q=/);
    expect(logged.at(-1)).toEqual({ used: 1, limit: 15000 });
    await v61.close();
  });
});
