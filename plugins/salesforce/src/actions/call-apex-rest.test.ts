import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSalesforce, type RunningFakeSalesforce } from '../fake-salesforce.ts';
import salesforcePlugin from '../index.ts';

const TOKEN = '00D5g000004Xyz!AQ4AQFake.apex.session';
let org: RunningFakeSalesforce;

beforeAll(async () => {
  org = await startFakeSalesforce({
    tokens: [TOKEN],
    apex: {
      'POST /orders/v1/submit': ({ body }) => ({ json: { orderId: 'a0B000000000001', received: body } }),
      'GET /orders/v1/status': ({ query }) => ({ json: { id: query.get('id'), status: 'SHIPPED', page: query.get('page') } }),
      'DELETE /orders/v1/cache': () => ({ status: 204 }),
      'POST /orders/v1/broken': () => ({ status: 500, json: [{ errorCode: 'APEX_ERROR', message: 'System.NullPointerException: Attempt to de-reference a null object\n\nClass.OrderService.submit: line 12, column 1' }] }),
    },
  });
});
afterAll(() => org.close());
beforeEach(() => {
  org.requests.length = 0;
});

const run = (input: unknown) => runTestAction(salesforcePlugin, 'call_apex_rest', { mode: 'OAUTH2', credentials: { accessToken: TOKEN }, config: { baseUrl: org.url }, input });

describe('call_apex_rest', () => {
  it('POSTs the JSON body under /services/apexrest and returns the JSON answer', async () => {
    const output = await run({ path: '/orders/v1/submit', body: { sku: 'ABC', qty: 2 } });
    expect(output).toEqual({ result: { orderId: 'a0B000000000001', received: { sku: 'ABC', qty: 2 } } });
    const req = org.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/services/apexrest/orders/v1/submit');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual({ sku: 'ABC', qty: 2 });
  });

  it('sends query parameters on a GET, and reads an empty 204 as null', async () => {
    expect(await run({ method: 'GET', path: '/orders/v1/status', query: { id: 'A-1', page: 2 } })).toEqual({ result: { id: 'A-1', status: 'SHIPPED', page: '2' } });
    expect(org.requests[0]!.url).toBe('/services/apexrest/orders/v1/status?id=A-1&page=2');
    expect(await run({ method: 'DELETE', path: '/orders/v1/cache' })).toEqual({ result: null });
  });

  it('fails permanently on an unknown endpoint and on an unhandled Apex exception', async () => {
    const missing = await failureOf(run({ path: '/nope' }));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toContain('answered 404: NOT_FOUND: Could not find a match for URL /nope');
    const broken = await failureOf(run({ path: '/orders/v1/broken', body: {} }));
    expect(broken).toBeInstanceOf(PermanentError);
    expect(broken.message).toContain('answered 500: APEX_ERROR: System.NullPointerException');
  });

  it('only accepts a path under /services/apexrest', async () => {
    for (const path of ['orders', '/../data/v59.0/limits', '//evil.example.com/x', '/orders?x=1', 'https://evil.example.com/']) {
      const err = await failureOf(run({ path }));
      expect(err, path).toBeInstanceOf(ActionInputError);
    }
    const getWithBody = await failureOf(run({ method: 'GET', path: '/orders/v1/status', body: { a: 1 } }));
    expect((getWithBody as ActionInputError).issues[0]).toMatchObject({ path: 'body' });
    expect(org.requests).toHaveLength(0);
  });
});
