// The `query` action: one parameterised SQL statement against the connection's database.
import { defineAction, z } from '@patchbay/sdk';
import { MAX_TIMEOUT_MS, parseConnection } from '../auth.ts';
import { runMysql } from '../engines/mysql.ts';
import { runPostgres } from '../engines/postgres.ts';
import type { QueryOutput, StatementRequest } from '../engines/types.ts';
import { getPool } from '../pools.ts';

export const MAX_SQL_LENGTH = 100_000;
export const MAX_ROWS = 10_000;
export const DEFAULT_MAX_ROWS = 1_000;
/** Both PostgreSQL and MySQL bind at most 65,535 parameters per statement. */
export const MAX_PARAMS = 65_535;

const param = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

export const queryInput = z.object({
  sql: z.string().min(1, 'sql is required').max(MAX_SQL_LENGTH, `sql is longer than ${MAX_SQL_LENGTH} characters`).describe('One SQL statement. Use $1, $2, … (PostgreSQL) or ? (MySQL/MariaDB) for values.'),
  params: z
    .array(param)
    .max(MAX_PARAMS)
    .optional()
    .describe('Positional values for the placeholders, bound by the database (never spliced into the SQL). Objects go as JSON text; arrays as PostgreSQL arrays (JSON text on MySQL).'),
  maxRows: z.number().int().min(1).max(MAX_ROWS).default(DEFAULT_MAX_ROWS).describe('Most rows to return; `truncated` says whether there were more'),
  timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS).optional().describe("Statement time limit for this call (ms), instead of the connection's statementTimeoutMs; at most 10 minutes"),
});

export const queryOutput = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  rowCount: z.number().int().nonnegative().describe('Rows returned (all of them, also past maxRows) or affected'),
  fields: z.array(z.object({ name: z.string(), type: z.string().optional() })),
  truncated: z.boolean(),
});

export const query = defineAction({
  key: 'query',
  displayName: 'Run SQL',
  description: 'Runs one parameterised SQL statement on PostgreSQL, MySQL or MariaDB and returns its rows (capped at maxRows) or the number of rows it changed.',
  input: queryInput,
  output: queryOutput,
  // The SQL text is never template-rendered (that would be injection); only params are, and
  // the database binds them as values.
  renderInput: false,
  async run(ctx): Promise<QueryOutput> {
    const settings = parseConnection(ctx.auth.credentials, ctx.config);
    const request: StatementRequest = {
      sql: ctx.input.sql,
      params: await ctx.render(ctx.input.params ?? []),
      maxRows: ctx.input.maxRows,
      timeoutMs: ctx.input.timeoutMs ?? settings.statementTimeoutMs,
      readOnly: settings.readOnly,
    };
    ctx.signal.throwIfAborted();
    const entry = getPool(settings);
    const started = Date.now();
    entry.active += 1;
    try {
      const output = entry.engine === 'postgres' ? await runPostgres(entry, request, ctx.signal) : await runMysql(entry, request, ctx.signal);
      ctx.logger.debug('sql query finished', { engine: entry.engine, readOnly: request.readOnly, rowCount: output.rowCount, truncated: output.truncated, ms: Date.now() - started });
      return output;
    } finally {
      entry.active -= 1;
      entry.lastUsed = Date.now();
    }
  },
});
