// Runs one statement on PostgreSQL: extended protocol only (one statement, parameters bound by
// the server), rows streamed and capped at maxRows, a server-side statement_timeout, read-only
// transactions, and pg_cancel_backend when the run is cancelled.
import { TransientError } from '@patchbay/sdk';
import pg from 'pg';
import { acquire, supervise } from '../control.ts';
import { timeoutError, toPluginError, type ErrorContext } from '../errors.ts';
import { ACQUIRE_TIMEOUT_MS, withPostgresClient, type PostgresEntry } from '../pools.ts';
import { toJsonRow } from '../values.ts';
import { DEADLINE_SLACK_MS, INTERRUPT_GRACE_MS, type QueryField, type QueryOutput, type StatementRequest } from './types.ts';

export async function runPostgres(entry: PostgresEntry, req: StatementRequest, signal: AbortSignal): Promise<QueryOutput> {
  const errors: ErrorContext = { engine: 'postgres', user: entry.settings.user, redact: entry.redact, timeoutMs: req.timeoutMs };
  let client: pg.PoolClient;
  try {
    client = await acquire(entry.pool.connect(), (c) => c.release(), signal, ACQUIRE_TIMEOUT_MS, () => busyError(entry));
  } catch (err) {
    if (signal.aborted && err === signal.reason) throw err;
    throw toPluginError(err, errors);
  }

  const pid = (client as unknown as { processID?: number }).processID;
  const result = await supervise(execute(client, req), {
    signal,
    deadlineMs: req.timeoutMs + DEADLINE_SLACK_MS,
    graceMs: INTERRUPT_GRACE_MS,
    interrupt: () => cancelBackend(entry, pid),
  });

  if (result.interrupted) {
    // Never hand back to the pool a connection that a cancel request was aimed at.
    client.release(true);
    if (result.interrupted === 'abort') throw signal.reason;
    if (result.outcome?.ok) return result.outcome.value;
    throw timeoutError(req.timeoutMs);
  }

  // End the transaction (read-only mode, or one the statement itself opened), then release. A
  // read-only transaction has nothing to commit, and ROLLBACK also undoes any SET the statement
  // made, so the next call finds the session as it was.
  let broken: unknown = result.ok || isDatabaseError(result.error) ? undefined : result.error;
  if (!broken) {
    try {
      const status = client.getTransactionStatus();
      if (status === 'T' || status === 'E') await client.query('ROLLBACK');
    } catch (err) {
      broken = err;
    }
  }
  client.release(broken ? true : undefined);
  if (!result.ok) throw toPluginError(result.error, errors);
  return result.value;
}

async function execute(client: pg.PoolClient, req: StatementRequest): Promise<QueryOutput> {
  const ms = Math.trunc(req.timeoutMs);
  // Our own validated integer, not user input; one round trip for both commands.
  if (req.readOnly) await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${ms}`);
  else await client.query(`SET statement_timeout = ${ms}`);
  return streamQuery(client, req);
}

/** Streams the rows, keeping at most maxRows of them in memory. */
function streamQuery(client: pg.PoolClient, req: StatementRequest): Promise<QueryOutput> {
  return new Promise<QueryOutput>((resolve, reject) => {
    // queryMode 'extended' even without parameters: the server then refuses a second statement,
    // so nothing can follow a COMMIT out of the read-only transaction.
    const query = new pg.Query({ text: req.sql, values: req.params, queryMode: 'extended' } as pg.QueryConfig);
    const rows: Array<Record<string, unknown>> = [];
    let seen = 0;
    query.on('row', (row: Record<string, unknown>) => {
      seen += 1;
      if (rows.length < req.maxRows) rows.push(toJsonRow(row));
    });
    query.on('error', reject);
    query.on('end', (result: pg.ResultBuilder) => {
      const fields: QueryField[] = (result.fields ?? []).map((f) => ({ name: f.name, type: typeName(f.dataTypeID) }));
      resolve({ rows, rowCount: result.rowCount ?? seen, fields, truncated: seen > req.maxRows });
    });
    client.query(query);
  });
}

async function cancelBackend(entry: PostgresEntry, pid: number | undefined): Promise<void> {
  if (!pid) throw new Error('no backend pid to cancel');
  await withPostgresClient({ ...entry.clientConfig, connectionTimeoutMillis: INTERRUPT_GRACE_MS }, async (canceller) => {
    await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
  });
}

function isDatabaseError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P');
}

function busyError(entry: PostgresEntry): TransientError {
  return new TransientError(`all ${entry.settings.maxPoolSize} connections of this PostgreSQL connection's pool stayed busy for ${ACQUIRE_TIMEOUT_MS} ms`);
}

// Type names for the field list: the built-in types, plus the common array types.
const TYPE_NAMES = new Map<number, string>([
  ...Object.entries(pg.types.builtins).map(([name, oid]) => [oid as number, name.toLowerCase()] as [number, string]),
  ...(
    [
      [1000, 'bool[]'],
      [1005, 'int2[]'],
      [1007, 'int4[]'],
      [1016, 'int8[]'],
      [1009, 'text[]'],
      [1015, 'varchar[]'],
      [1021, 'float4[]'],
      [1022, 'float8[]'],
      [1231, 'numeric[]'],
      [199, 'json[]'],
      [3807, 'jsonb[]'],
      [1115, 'timestamp[]'],
      [1185, 'timestamptz[]'],
      [1182, 'date[]'],
      [2951, 'uuid[]'],
    ] as Array<[number, string]>
  ),
]);

function typeName(oid: number): string | undefined {
  return TYPE_NAMES.get(oid);
}
