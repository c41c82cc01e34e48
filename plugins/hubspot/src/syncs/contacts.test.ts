import { createActionContext, PermanentError, type SyncPage } from '@patchbay/sdk';
import { failureOf } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeHubSpot, type RunningFakeHubSpot } from '../fake-hubspot.ts';
import hubspotPlugin from '../index.ts';
import { contactsSync } from './contacts.ts';

const TOKEN = 'pat-na1-11111111-2222-3333-4444-sync00000001';
const BASE = Date.UTC(2026, 0, 1);
let portal: RunningFakeHubSpot;

beforeAll(async () => {
  portal = await startFakeHubSpot({ tokens: [TOKEN] });
  // 250 contacts, modified one minute apart, added out of order so sorting matters.
  const order = Array.from({ length: 250 }, (_, i) => (i * 7) % 250);
  for (const i of order) portal.hubspot.addContact({ email: `c${i}@example.com`, firstname: `First${i}`, lastname: `Last${i}`, company: 'Acme' }, new Date(BASE + i * 60_000).toISOString());
});
afterAll(() => portal.close());
beforeEach(() => {
  portal.requests.length = 0;
});

const fetchPage = (cursor?: string | null, modifiedAfter?: string | null) =>
  contactsSync.fetchPage(createActionContext({ plugin: hubspotPlugin, mode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { baseUrl: portal.url } }, { cursor, modifiedAfter })) as Promise<
    SyncPage<{ email: string; updatedAt: string; firstname: string }>
  >;

async function fetchAll(modifiedAfter?: string) {
  const pages: SyncPage<{ email: string; updatedAt: string; firstname: string }>[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await fetchPage(cursor, modifiedAfter);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

describe('contacts sync', () => {
  it('is declared for the contact model', () => {
    expect(hubspotPlugin.syncs?.map((s) => [s.key, s.model])).toEqual([['contacts', 'contact']]);
  });

  it('pages through every contact, 100 at a time, oldest modification first', async () => {
    const pages = await fetchAll();
    expect(pages.map((p) => p.records.length)).toEqual([100, 100, 50]);
    expect(pages.map((p) => p.nextCursor)).toEqual(['100', '200', null]);
    const records = pages.flatMap((p) => p.records);
    expect(records.map((r) => r.data.email)).toEqual(Array.from({ length: 250 }, (_, i) => `c${i}@example.com`));
    expect(records[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      data: { email: 'c0@example.com', firstname: 'First0', lastname: 'Last0', phone: null, company: 'Acme', jobtitle: null, lifecyclestage: null, createdAt: new Date(BASE).toISOString(), updatedAt: new Date(BASE).toISOString() },
    });
    const bodies = portal.requests.map((r) => r.json as Record<string, unknown>);
    expect(portal.requests.every((r) => r.url === '/crm/v3/objects/contacts/search' && r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(bodies[0]).toEqual({
      filterGroups: [],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: ['email', 'firstname', 'lastname', 'phone', 'company', 'jobtitle', 'lifecyclestage', 'createdate', 'lastmodifieddate'],
      limit: 100,
    });
    expect(bodies.map((b) => b.after ?? null)).toEqual([null, '100', '200']);
  });

  it('fetches only contacts modified since modifiedAfter (GTE, epoch milliseconds)', async () => {
    const since = new Date(BASE + 230 * 60_000).toISOString();
    const pages = await fetchAll(since);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.records.map((r) => r.data.email)).toEqual(Array.from({ length: 20 }, (_, i) => `c${230 + i}@example.com`));
    expect(pages[0]!.nextCursor).toBeNull();
    expect((portal.requests[0]!.json as { filterGroups: unknown }).filterGroups).toEqual([{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(BASE + 230 * 60_000) }] }]);
  });

  it('keeps the modifiedAfter filter on every page of an incremental run', async () => {
    const since = new Date(BASE + 50 * 60_000).toISOString();
    const pages = await fetchAll(since);
    expect(pages.map((p) => p.records.length)).toEqual([100, 100]);
    expect(pages.at(-1)!.records.at(-1)!.data.email).toBe('c249@example.com');
    expect(portal.requests.every((r) => JSON.stringify((r.json as { filterGroups: unknown }).filterGroups).includes(String(BASE + 50 * 60_000)))).toBe(true);
  });

  it("restarts from the last record's time before HubSpot's 10,000-result search window ends", async () => {
    const big = await startFakeHubSpot({ tokens: [TOKEN] });
    for (let i = 0; i < 10_150; i++) big.hubspot.addContact({ email: `b${i}@example.com` }, new Date(BASE + i * 1000).toISOString());
    const ctx = (cursor: string) => createActionContext({ plugin: hubspotPlugin, mode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { baseUrl: big.url } }, { cursor, modifiedAfter: null });
    const last = await contactsSync.fetchPage(ctx('9900'));
    expect(last.records.at(-1)!.data).toMatchObject({ email: 'b9999@example.com' });
    const lastMs = BASE + 9999 * 1000;
    expect(last.nextCursor).toBe(`since:${lastMs}`);

    const fresh = await contactsSync.fetchPage(ctx(last.nextCursor!));
    expect((big.requests.at(-1)!.json as { filterGroups: unknown; after?: string })).toMatchObject({ filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(lastMs) }] }] });
    expect((big.requests.at(-1)!.json as { after?: string }).after).toBeUndefined();
    expect(fresh.records[0]!.data).toMatchObject({ email: 'b9999@example.com' });
    expect(fresh.nextCursor).toBe(`since:${lastMs}:100`);

    const next = await contactsSync.fetchPage(ctx(fresh.nextCursor!));
    expect((big.requests.at(-1)!.json as { after?: string }).after).toBe('100');
    expect(next.records.map((r) => r.data).at(-1)).toMatchObject({ email: 'b10149@example.com' });
    expect(next.nextCursor).toBeNull();
    await big.close();
  });

  it('refuses a cursor it did not make', async () => {
    const err = await failureOf(fetchPage('DROP TABLE'));
    expect(err).toBeInstanceOf(PermanentError);
    expect(portal.requests).toHaveLength(0);
  });
});
