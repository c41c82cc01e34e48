// POST /crm/v3/objects/contacts/search, following paging.next.after until `max` contacts are in
// hand or the results end. HubSpot never pages past 10,000 results of one search.
import { defineAction, z } from '@patchbay/sdk';
import type { PublicObjectSearchRequest } from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { crmObject, hubspotClient } from '../client.ts';
import { filterSchema, MAX_PAGE_SIZE, SEARCH_WINDOW, sortSchema, wireFilter } from '../search.ts';
import { crmObjectOutput, propertyName } from '../shared.ts';

const input = z
  .object({
    query: z.string().min(1).optional().describe('Free text searched in the default text properties (name, email, phone, company)'),
    filters: z.array(filterSchema).max(6).optional().describe('Filters that must all match (AND); at most 6'),
    filterGroups: z
      .array(z.object({ filters: z.array(filterSchema).min(1).max(6) }))
      .max(5)
      .optional()
      .describe('Alternatives (OR) of filter lists (AND); at most 5 groups, 6 filters each, 18 in all. Use instead of `filters`'),
    properties: z.array(propertyName).optional().describe('Properties to return (default: email, firstname, lastname, createdate, lastmodifieddate)'),
    sorts: z.array(sortSchema).max(1).optional().describe('Sort order (HubSpot sorts by one property)'),
    pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).default(100).describe(`Results per request (at most ${MAX_PAGE_SIZE})`),
    max: z.number().int().min(1).max(SEARCH_WINDOW).default(100).describe(`Stop after this many contacts (at most ${SEARCH_WINDOW}, HubSpot's search limit)`),
    after: z
      .string()
      .regex(/^\d+$/, 'must be a paging cursor from nextAfter')
      .refine((v) => Number(v) < SEARCH_WINDOW, `HubSpot search cannot page past ${SEARCH_WINDOW} results`)
      .optional()
      .describe('Start from this paging cursor (a previous nextAfter)'),
  })
  .superRefine((value, ctx) => {
    if (value.filters && value.filterGroups) ctx.addIssue({ code: 'custom', path: ['filterGroups'], message: 'give filters or filterGroups, not both' });
    const total = (value.filterGroups ?? []).reduce((n, g) => n + g.filters.length, 0);
    if (total > 18) ctx.addIssue({ code: 'custom', path: ['filterGroups'], message: 'at most 18 filters in all' });
  });

export const searchContacts = defineAction({
  key: 'search_contacts',
  displayName: 'Search contacts',
  description: 'Find HubSpot contacts with CRM search filters, sorted and paged up to a maximum.',
  input,
  output: z.object({
    total: z.number().int().describe('How many contacts match in all'),
    results: z.array(crmObjectOutput),
    nextAfter: z.string().nullable().describe('Cursor for the next page (pass as `after`), or null at the end'),
  }),
  async run(ctx) {
    const { query, filters, filterGroups, properties, sorts, pageSize, max } = ctx.input;
    const client = hubspotClient(ctx);
    const groups = filterGroups ?? (filters?.length ? [{ filters }] : []);
    const results: Array<ReturnType<typeof crmObject>> = [];
    let after = ctx.input.after;
    let total = 0;
    let nextAfter: string | null = null;
    do {
      const request = {
        ...(query ? { query } : {}),
        filterGroups: groups.map((g) => ({ filters: g.filters.map(wireFilter) })),
        // The SDK's model types sorts as strings; HubSpot's documented form is these objects.
        sorts: (sorts ?? []) as unknown as string[],
        properties: properties ?? ['email', 'firstname', 'lastname', 'createdate', 'lastmodifieddate'],
        // Never ask past HubSpot's 10,000-result window (it answers 400 instead of a short page).
        limit: Math.min(pageSize, max - results.length, SEARCH_WINDOW - Number(after ?? 0)),
        ...(after ? { after } : {}),
      } as PublicObjectSearchRequest;
      const page = await client.call('Search contacts', (c) => c.crm.contacts.searchApi.doSearch(request));
      total = page.total;
      results.push(...page.results.map(crmObject));
      nextAfter = page.paging?.next?.after ?? null;
      after = nextAfter ?? undefined;
    } while (nextAfter && results.length < max && Number(nextAfter) < SEARCH_WINDOW);
    return { total, results, nextAfter };
  },
});
