// GET /services/data/vXX.X/query?q=…, then every nextRecordsUrl until the result is done or
// `max` records are in hand. The SOQL text is not templated (that would be injection): values
// go in `params` — which may use {{ }} templates — and are bound as escaped SOQL literals.
import { ActionInputError, defineAction, z } from '@patchbay/sdk';
import type { QueryResult } from 'jsforce';
import { salesforceClient } from '../client.ts';
import { bindSoql, soqlParam } from '../soql.ts';

export const MAX_RECORDS = 50_000;
const DEFAULT_MAX = 10_000;

const input = z.object({
  soql: z.string().trim().min(1).max(100_000).describe('A SOQL query, e.g. SELECT Id, Name FROM Account WHERE Industry = :industry'),
  params: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a parameter name (letters, digits, _)'), soqlParam)
    .default({})
    .describe('Values for :name placeholders in the SOQL; values may use {{ }} templates'),
  max: z.number().int().min(1).max(MAX_RECORDS).default(DEFAULT_MAX).describe(`Stop after this many records (default ${DEFAULT_MAX}, at most ${MAX_RECORDS})`),
  includeDeleted: z.boolean().default(false).describe('Use queryAll: include deleted and archived records'),
});

export const query = defineAction({
  key: 'query',
  displayName: 'Query records (SOQL)',
  description: 'Run a SOQL query and return its records, following nextRecordsUrl through every page (up to max).',
  // The SOQL must not be rendered: only `params` are, and they are bound as literals.
  renderInput: false,
  input,
  output: z.object({
    totalSize: z.number().int().describe('How many records match the query (Salesforce totalSize)'),
    records: z.array(z.record(z.string(), z.unknown())).describe('The records, each with Salesforce "attributes" { type, url }'),
    done: z.boolean().describe('true when every matching record is in `records`'),
    nextRecordsUrl: z.string().optional().describe('Where the next page starts when stopped at max'),
  }),
  async run(ctx) {
    const params = await ctx.render(ctx.input.params);
    const checked = z.record(z.string(), soqlParam).safeParse(params);
    if (!checked.success) throw new ActionInputError(checked.error.issues.map((i) => ({ path: ['params', ...i.path].join('.'), message: i.message })));
    let soql: string;
    try {
      soql = bindSoql(ctx.input.soql, checked.data);
    } catch (err) {
      throw new ActionInputError([{ path: 'params', message: (err as Error).message }]);
    }
    const { max, includeDeleted } = ctx.input;
    const client = await salesforceClient(ctx);
    const records: Record<string, unknown>[] = [];
    let page: QueryResult<Record<string, unknown>> = await client.call('Query', (conn) => conn.query<Record<string, unknown>>(soql, { scanAll: includeDeleted }));
    const totalSize = page.totalSize;
    let truncated = false;
    for (;;) {
      const room = max - records.length;
      if (page.records.length > room) truncated = true;
      records.push(...page.records.slice(0, room));
      if (page.done || !page.nextRecordsUrl || records.length >= max) break;
      const next = page.nextRecordsUrl;
      page = await client.call('Query (next page)', (conn) => conn.queryMore<Record<string, unknown>>(next));
    }
    const done = !truncated && (page.done || !page.nextRecordsUrl);
    // Where to go on from, only when the last page was taken whole (else records would be skipped).
    const resume = !done && !truncated ? page.nextRecordsUrl : undefined;
    return { totalSize, records, done, ...(resume ? { nextRecordsUrl: resume } : {}) };
  },
});
