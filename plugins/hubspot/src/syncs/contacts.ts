// The contacts sync's page fetcher: CRM search sorted by lastmodifieddate ascending, 100 per
// page, incremental with `lastmodifieddate GTE modifiedAfter`, paging.next.after as the cursor.
//
// HubSpot stops a search at 10,000 results. When a page's next cursor would cross that line, the
// cursor becomes `since:<ms>` instead: the next page starts a fresh search from the last
// record's lastmodifieddate (GTE, so records sharing that instant come again; the hub upserts
// by id and hash). A `since:<ms>:<after>` cursor pages on inside such a fresh search.
import { defineSync, PermanentError, z } from '@patchbay/sdk';
import type { PublicObjectSearchRequest } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { hubspotClient } from '../client.ts';
import { SEARCH_WINDOW } from '../search.ts';

export const PAGE_SIZE = 100;
export const CONTACT_PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'company', 'jobtitle', 'lifecyclestage', 'createdate', 'lastmodifieddate'];

export const contactRecord = z.object({
  email: z.string().nullable(),
  firstname: z.string().nullable(),
  lastname: z.string().nullable(),
  phone: z.string().nullable(),
  company: z.string().nullable(),
  jobtitle: z.string().nullable(),
  lifecyclestage: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

interface Cursor {
  /** Lower bound (ms) of lastmodifieddate, when the cursor carries its own. */
  since?: number;
  after?: string;
}

export function parseCursor(cursor: string | null | undefined): Cursor {
  if (!cursor) return {};
  if (/^\d+$/.test(cursor)) return { after: cursor };
  const m = /^since:(\d+)(?::(\d+))?$/.exec(cursor);
  if (!m) throw new PermanentError(`Not a HubSpot contacts cursor: ${cursor.slice(0, 40)}`);
  return { since: Number(m[1]), ...(m[2] ? { after: m[2] } : {}) };
}

function sinceOf(modifiedAfter: string | null | undefined): number | undefined {
  if (!modifiedAfter) return undefined;
  const ms = Date.parse(modifiedAfter);
  if (Number.isNaN(ms)) throw new PermanentError(`modifiedAfter is not a date: ${modifiedAfter}`);
  return ms;
}

export const contactsSync = defineSync({
  key: 'contacts',
  model: 'contact',
  description: 'HubSpot contacts, incrementally by last modification.',
  defaultSchedule: '@every 1h',
  record: contactRecord,
  async fetchPage(ctx) {
    const cursor = parseCursor(ctx.input.cursor);
    const since = cursor.since ?? sinceOf(ctx.input.modifiedAfter);
    const request = {
      filterGroups: since !== undefined ? [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(since) }] }] : [],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }] as unknown as string[],
      properties: CONTACT_PROPERTIES,
      limit: PAGE_SIZE,
      ...(cursor.after ? { after: cursor.after } : {}),
    } as PublicObjectSearchRequest;
    const page = await hubspotClient(ctx).call('Search contacts', (c) => c.crm.contacts.searchApi.doSearch(request));
    const records = page.results.map((contact) => {
      const p = contact.properties;
      return {
        id: contact.id,
        data: {
          email: p.email ?? null,
          firstname: p.firstname ?? null,
          lastname: p.lastname ?? null,
          phone: p.phone ?? null,
          company: p.company ?? null,
          jobtitle: p.jobtitle ?? null,
          lifecyclestage: p.lifecyclestage ?? null,
          createdAt: new Date(contact.createdAt).toISOString(),
          updatedAt: new Date(contact.updatedAt).toISOString(),
        },
      };
    });
    const next = page.paging?.next?.after;
    if (!next) return { records, nextCursor: null };
    if (Number(next) + PAGE_SIZE > SEARCH_WINDOW) {
      const last = records.at(-1);
      const lastModified = last ? Date.parse(last.data.updatedAt) : undefined;
      // Start a fresh search from the last record's time; a window of records all modified in the
      // same millisecond could never move forward, so that is refused rather than looped.
      if (lastModified === undefined || lastModified === since) throw new PermanentError('More than 10,000 contacts share one lastmodifieddate: HubSpot search cannot page past them');
      return { records, nextCursor: `since:${lastModified}` };
    }
    return { records, nextCursor: cursor.since !== undefined ? `since:${cursor.since}:${next}` : next };
  },
});
