import { ActionInputError, RateLimitError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeHubSpot, type RunningFakeHubSpot } from '../fake-hubspot.ts';
import hubspotPlugin from '../index.ts';

const TOKEN = 'pat-na1-11111111-2222-3333-4444-search000001';
let portal: RunningFakeHubSpot;

beforeAll(async () => {
  portal = await startFakeHubSpot({ tokens: [TOKEN] });
  for (let i = 1; i <= 25; i++) {
    portal.hubspot.addContact({ email: `user${i}@${i % 5 === 0 ? 'acme.com' : 'example.com'}`, firstname: `User${i}`, lifecyclestage: i <= 10 ? 'lead' : 'customer' }, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString());
  }
});
afterAll(() => portal.close());
beforeEach(() => {
  portal.requests.length = 0;
});

type SearchOutput = { total: number; nextAfter: string | null; results: Array<{ id: string; properties: Record<string, string | null> }> };
const run = (input: unknown) => runTestAction(hubspotPlugin, 'search_contacts', { mode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { baseUrl: portal.url }, input }) as Promise<SearchOutput>;

describe('search_contacts', () => {
  it('POSTs filters, sorts and properties to /crm/v3/objects/contacts/search', async () => {
    const output = await run({
      filters: [{ propertyName: 'lifecyclestage', operator: 'EQ', value: 'customer' }, { propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@acme.com' }],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'DESCENDING' }],
      properties: ['email', 'lifecyclestage'],
    });
    expect(output.total).toBe(3);
    expect(output.results.map((r) => r.properties.email)).toEqual(['user25@acme.com', 'user20@acme.com', 'user15@acme.com']);
    expect(output.results[0]!.properties).toEqual({ email: 'user25@acme.com', lifecyclestage: 'customer' });
    expect(output.nextAfter).toBeNull();
    const req = portal.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/crm/v3/objects/contacts/search');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.json).toEqual({
      filterGroups: [{ filters: [{ propertyName: 'lifecyclestage', operator: 'EQ', value: 'customer' }, { propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@acme.com' }] }],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'DESCENDING' }],
      properties: ['email', 'lifecyclestage'],
      limit: 100,
    });
  });

  it('follows paging.next.after up to max and hands back the cursor', async () => {
    const output = await run({ pageSize: 10, max: 25 });
    expect(output.results).toHaveLength(25);
    expect(output.results.map((r) => r.id)).toEqual(Array.from({ length: 25 }, (_, i) => String(101 + i)));
    expect(output.nextAfter).toBeNull();
    expect(portal.requests.map((r) => (r.json as { after?: string; limit: number }).after ?? null)).toEqual([null, '10', '20']);
    expect(portal.requests.map((r) => (r.json as { limit: number }).limit)).toEqual([10, 10, 5]);

    portal.requests.length = 0;
    const first = await run({ pageSize: 10, max: 15 });
    expect(first.results).toHaveLength(15);
    expect(first.nextAfter).toBe('15');
    const rest = await run({ pageSize: 10, max: 100, after: first.nextAfter });
    expect(rest.results.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => String(116 + i)));

    // Near HubSpot's 10,000-result window a page asks only for what is left of it.
    portal.requests.length = 0;
    await run({ pageSize: 100, max: 100, after: '9990' });
    expect((portal.requests[0]!.json as { limit: number; after: string })).toMatchObject({ limit: 10, after: '9990' });
    expect((await failureOf(run({ after: '10000' }))).message).toContain('cannot page past 10000 results');
  });

  it('sends filterGroups as OR alternatives, and IN values as strings', async () => {
    const output = await run({
      filterGroups: [{ filters: [{ propertyName: 'firstname', operator: 'IN', values: ['User1', 'User2'] }] }, { filters: [{ propertyName: 'email', operator: 'EQ', value: 'user24@example.com' }] }],
    });
    expect(output.results.map((r) => r.properties.firstname)).toEqual(['User1', 'User2', 'User24']);
    expect((portal.requests[0]!.json as { filterGroups: unknown }).filterGroups).toEqual([
      { filters: [{ propertyName: 'firstname', operator: 'IN', values: ['User1', 'User2'] }] },
      { filters: [{ propertyName: 'email', operator: 'EQ', value: 'user24@example.com' }] },
    ]);
  });

  it('turns 429 into RateLimitError with Retry-After, after one request (no SDK retries)', async () => {
    portal.hubspot.failNext({ status: 429, headers: { 'retry-after': '2' }, json: { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', correlationId: 'c0ffee00-0000-4000-8000-000000000001', policyName: 'SECONDLY' } });
    const err = await failureOf(run({ query: 'user' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(2000);
    expect(err.message).toContain('You have reached your secondly limit.');
    expect(portal.requests).toHaveLength(1);
  });

  it("validates filters against HubSpot's limits before calling it", async () => {
    const err = await failureOf(
      run({
        filters: [{ propertyName: 'email', operator: 'EQ' }],
        filterGroups: [{ filters: [{ propertyName: 'amount', operator: 'BETWEEN', value: 1 }] }],
        pageSize: 500,
        max: 20000,
      }),
    );
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(['filters.0.value', 'filterGroups.0.filters.0.highValue', 'pageSize', 'max']));
    const tooMany = await failureOf(run({ filterGroups: Array.from({ length: 4 }, () => ({ filters: Array.from({ length: 5 }, () => ({ propertyName: 'email', operator: 'HAS_PROPERTY' })) })) }));
    expect(tooMany.message).toContain('at most 18 filters in all');
    expect(portal.requests).toHaveLength(0);
  });
});
