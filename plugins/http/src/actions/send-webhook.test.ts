import { ActionInputError, PermanentError, RateLimitError, TransientError } from '@patchbay/sdk';
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
  // What a Zapier catch hook answers.
  reply = () => ({ json: { id: 'a1b2', request_id: 'r-1', attempt: 'a1b2', status: 'success' } });
});

const run = (input: unknown, secrets?: Record<string, string>) =>
  runTestAction(httpPlugin, 'send_webhook', { mode: 'NONE', credentials: {}, config: {}, secrets, input });

const HOOK_PATH = '/hooks/catch/123456/abcdef/';

describe('send_webhook', () => {
  it('POSTs the payload as JSON and returns what the hook answered', async () => {
    const payload = { event: 'lead.created', data: { id: 'lead_123', company_name: 'Acme Corp' } };
    const out = await run({ url: `${server.url}${HOOK_PATH}`, payload, headers: { 'X-Source': 'patchbay', 'X-Signature': '{{ secrets.HOOK_SIG }}' } }, { HOOK_SIG: 's3' });
    expect(out).toEqual({ status: 200, body: { id: 'a1b2', request_id: 'r-1', attempt: 'a1b2', status: 'success' } });
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(HOOK_PATH);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-source']).toBe('patchbay');
    expect(req.headers['x-signature']).toBe('s3');
    expect(req.body).toBe(JSON.stringify(payload));
  });

  it('sends any JSON value, and returns a text answer as text (Make answers "Accepted")', async () => {
    reply = () => ({ headers: { 'content-type': 'text/plain' }, body: 'Accepted' });
    const out = await run({ url: `${server.url}/make`, payload: [1, 'two', null] });
    expect(out).toEqual({ status: 200, body: 'Accepted' });
    expect(server.requests[0]!.body).toBe('[1,"two",null]');
  });

  it('turns 410 Gone into a PermanentError saying the hook is gone', async () => {
    reply = () => ({ status: 410, json: { status: 'error', message: 'hook disabled' } });
    const err = await failureOf(run({ url: `${server.url}${HOOK_PATH}`, payload: { a: 1 } }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('the receiving hook is gone');
    expect(server.requests).toHaveLength(1);
  });

  it('types other failures, without putting the secret hook path in the message', async () => {
    reply = () => ({ status: 429, headers: { 'retry-after': '7' }, body: 'Too Many Requests' });
    const limited = await failureOf(run({ url: `${server.url}${HOOK_PATH}`, payload: {} }));
    reply = () => ({ status: 404, json: { message: 'no such hook' } });
    const missing = await failureOf(run({ url: `${server.url}${HOOK_PATH}`, payload: {} }));
    reply = () => new Promise<FakeResponse>((resolve) => pending.push(() => resolve({ status: 200 })));
    const slow = await failureOf(run({ url: `${server.url}${HOOK_PATH}`, payload: {}, timeoutMs: 150 }));
    pending.splice(0).forEach((release) => release());

    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBe(7000);
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toContain('no such hook');
    expect(slow).toBeInstanceOf(TransientError);
    expect(slow.message).toMatch(/timed out/);
    for (const err of [limited, missing, slow]) expect(err.message).not.toContain('abcdef');
    expect(server.requests).toHaveLength(3);
  });

  it('needs an absolute http(s) url and a payload', async () => {
    const relative = await failureOf(run({ url: '/hooks/catch/1/2', payload: {} }));
    const other = await failureOf(run({ url: 'ftp://example.com/hook' }));
    expect(relative).toBeInstanceOf(ActionInputError);
    expect((relative as ActionInputError).issues.map((i) => i.path)).toEqual(['url']);
    expect((other as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['payload', 'url']);
    expect(server.requests).toHaveLength(0);
  });
});
