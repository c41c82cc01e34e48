// The CRM search request pieces (POST /crm/v3/objects/<type>/search), shared by the
// search_contacts action and the contacts sync.
import { z } from '@patchbay/sdk';
import { propertyName } from './shared.ts';

/** HubSpot answers at most this many results per search, however it is paged. */
export const SEARCH_WINDOW = 10_000;
export const MAX_PAGE_SIZE = 200;

export const OPERATORS = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'] as const;

export const filterSchema = z
  .object({
    propertyName,
    operator: z.enum(OPERATORS),
    value: z.union([z.string(), z.number(), z.boolean()]).optional().describe('The value to compare with (EQ, LT, CONTAINS_TOKEN, …; the low end for BETWEEN)'),
    highValue: z.union([z.string(), z.number()]).optional().describe('The high end for BETWEEN'),
    values: z.array(z.union([z.string(), z.number()])).optional().describe('The values for IN / NOT_IN'),
  })
  .superRefine((filter, ctx) => {
    const needsValue = !['HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'IN', 'NOT_IN'].includes(filter.operator);
    if (needsValue && filter.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `${filter.operator} needs a value` });
    if (filter.operator === 'BETWEEN' && filter.highValue === undefined) ctx.addIssue({ code: 'custom', path: ['highValue'], message: 'BETWEEN needs a highValue' });
    if ((filter.operator === 'IN' || filter.operator === 'NOT_IN') && !filter.values?.length) ctx.addIssue({ code: 'custom', path: ['values'], message: `${filter.operator} needs values` });
  });

export type SearchFilter = z.output<typeof filterSchema>;

/** A filter as HubSpot's JSON wants it: every value as a string. */
export function wireFilter(filter: SearchFilter) {
  return {
    propertyName: filter.propertyName,
    operator: filter.operator,
    ...(filter.value !== undefined ? { value: String(filter.value) } : {}),
    ...(filter.highValue !== undefined ? { highValue: String(filter.highValue) } : {}),
    ...(filter.values ? { values: filter.values.map(String) } : {}),
  };
}

export const sortSchema = z.object({
  propertyName,
  direction: z.enum(['ASCENDING', 'DESCENDING']).default('ASCENDING'),
});
