// Runs one statement on MySQL or MariaDB: server-side prepared statements when there are
// parameters, rows streamed and capped at maxRows, read-only transactions, a statement time
// limit that works for the server flavour, and KILL QUERY when the run is cancelled.
import { PermanentError, TransientError } from '@patchbay/sdk';
import type mysql from 'mysql2/promise';
import { acquire, supervise } from '../control.ts';
import { timeoutError, toPluginError, type ErrorContext } from '../errors.ts';
import { ACQUIRE_TIMEOUT_MS, mysqlFlavourOf, withMysqlConnection, type MysqlEntry, type MysqlFlavour } from '../pools.ts';
import { toJsonRow } from '../values.ts';
import { DEADLINE_SLACK_MS, INTERRUPT_GRACE_MS, type QueryField, type QueryOutput, type StatementRequest } from './types.ts';

export async function runMysql(entry: MysqlEntry, req: StatementRequest, signal: AbortSignal): Promise<QueryOutput> {
  const errors: ErrorContext = { engine: 'mysql', user: entry.settings.user, redact: entry.redact, timeoutMs: req.timeoutMs };
  let conn: mysql.PoolConnection;
  try {
    conn = await acquire(entry.pool.getConnection(), (c) => c.release(), signal, ACQUIRE_TIMEOUT_MS, () => busyError(entry));
  } catch (err) {
    if (signal.aborted && err === signal.reason) throw err;
    throw toPluginError(err, errors);
  }

  const threadId = conn.threadId;
  // The flavour is known after the first statement on a pool; until then MySQL's rules (a
  // client-side deadline) are the safe guess for the deadline.
  const serverLimit = entry.flavour === 'mariadb';
  const result = await supervise(execute(entry, conn, req), {
    signal,
    deadlineMs: serverLimit ? req.timeoutMs + DEADLINE_SLACK_MS : req.timeoutMs,
    graceMs: INTERRUPT_GRACE_MS,
    interrupt: () => killQuery(entry, threadId),
  });

  if (result.interrupted) {
    conn.destroy();
    if (result.interrupted === 'abort') throw signal.reason;
    if (result.outcome?.ok) return result.outcome.value;
    throw timeoutError(req.timeoutMs);
  }
  if (!result.ok && isConnectionError(result.error)) conn.destroy();
  // Release resets the session (resetOnRelease): an open transaction is rolled back and session
  // variables (read-only, time limits) go back to their defaults.
  else conn.release();
  if (!result.ok) throw toPluginError(result.error, errors);
  return result.value;
}

async function execute(entry: MysqlEntry, conn: mysql.PoolConnection, req: StatementRequest): Promise<QueryOutput> {
  const flavour = entry.flavour ?? (await detectFlavour(entry, conn));
  await conn.query(timeLimitStatement(flavour, req.timeoutMs));
  if (req.readOnly) {
    // The session characteristic also covers the implicit commit a DDL statement makes, which
    // would otherwise end a START TRANSACTION READ ONLY and run the DDL outside it.
    await conn.query('SET SESSION TRANSACTION READ ONLY');
    await conn.query('START TRANSACTION READ ONLY');
  }
  const output = await streamQuery(conn, req);
  // Nothing to commit in a read-only transaction (releasing resets the session anyway).
  if (req.readOnly) await conn.query('ROLLBACK');
  return output;
}

async function detectFlavour(entry: MysqlEntry, conn: mysql.PoolConnection): Promise<MysqlFlavour> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version');
  const version = String(rows[0]?.version ?? '');
  entry.serverVersion = version;
  entry.flavour = mysqlFlavourOf(version);
  return entry.flavour;
}

/**
 * MariaDB: max_statement_time (seconds) limits every statement on the server. MySQL:
 * max_execution_time limits only read-only SELECTs, so the client-side deadline (KILL QUERY)
 * covers the rest. Both are session variables, reset when the connection goes back to the pool.
 */
export function timeLimitStatement(flavour: MysqlFlavour, timeoutMs: number): string {
  const ms = Math.max(1, Math.trunc(timeoutMs));
  return flavour === 'mariadb' ? `SET SESSION max_statement_time = ${(ms / 1000).toFixed(3)}` : `SET SESSION max_execution_time = ${ms}`;
}

/** Objects and arrays go to MySQL as JSON text; everything else is bound as it is. */
export function mysqlParam(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

function streamQuery(conn: mysql.PoolConnection, req: StatementRequest): Promise<QueryOutput> {
  return new Promise<QueryOutput>((resolve, reject) => {
    const core = conn.connection as unknown as CoreConnection;
    if (req.params.length === 0) return collect(core.query(req.sql), req, resolve, reject);
    // With parameters: a server-side prepared statement (values never enter the SQL text). The
    // server ignores surplus values, so the count is checked before anything runs.
    core.prepare(req.sql, (err, statement) => {
      if (err) return reject(err);
      const expected = statement.parameters?.length ?? 0;
      if (expected !== req.params.length) {
        return reject(new PermanentError(`the statement has ${expected} placeholder${expected === 1 ? '' : 's'} (?) but ${req.params.length} param${req.params.length === 1 ? ' was' : 's were'} given`));
      }
      collect(statement.execute(req.params.map(mysqlParam)), req, resolve, reject);
    });
  });
}

/** Streams the first result set's rows, keeping at most maxRows of them in memory. */
function collect(command: RowCommand, req: StatementRequest, resolve: (output: QueryOutput) => void, reject: (err: unknown) => void): void {
  const rows: Array<Record<string, unknown>> = [];
  let fields: QueryField[] = [];
  let resultSet = -1;
  let rowSet = -1;
  let seen = 0;
  let affected: number | undefined;
  let settled = false;
  command.on('fields', (defs?: ColumnDefinition[]) => {
    resultSet += 1;
    if (Array.isArray(defs) && rowSet === -1) {
      rowSet = resultSet;
      fields = defs.map((d) => ({ name: d.name, type: mysqlTypeName(d) }));
    }
  });
  command.on('result', (row: Record<string, unknown>) => {
    if (resultSet === rowSet) {
      seen += 1;
      if (rows.length < req.maxRows) rows.push(toJsonRow(row));
    } else if (rowSet === -1 && affected === undefined && typeof row.affectedRows === 'number') {
      affected = row.affectedRows;
    }
  });
  command.on('error', (err: unknown) => {
    if (settled) return;
    settled = true;
    reject(err);
  });
  command.on('end', () => {
    if (settled) return;
    settled = true;
    resolve({ rows, rowCount: rowSet === -1 ? (affected ?? 0) : seen, fields, truncated: seen > req.maxRows });
  });
}

async function killQuery(entry: MysqlEntry, threadId: number): Promise<void> {
  await withMysqlConnection({ ...entry.connectionOptions, connectTimeout: INTERRUPT_GRACE_MS }, async (killer) => {
    await killer.query('KILL QUERY ?', [threadId]);
  });
}

function isConnectionError(err: unknown): boolean {
  const e = err as { fatal?: unknown; code?: unknown } | null;
  return e?.fatal === true || (typeof e?.code === 'string' && !e.code.startsWith('ER_'));
}

function busyError(entry: MysqlEntry): TransientError {
  return new TransientError(`all ${entry.settings.maxPoolSize} connections of this MySQL/MariaDB connection's pool stayed busy for ${ACQUIRE_TIMEOUT_MS} ms`);
}

// The callback-style connection under mysql2's promise wrapper: its commands are event emitters,
// which lets rows stream instead of piling up.
interface RowCommand {
  on(event: 'fields', listener: (defs?: ColumnDefinition[]) => void): RowCommand;
  on(event: 'result', listener: (row: Record<string, unknown>) => void): RowCommand;
  on(event: 'error', listener: (err: unknown) => void): RowCommand;
  on(event: 'end', listener: () => void): RowCommand;
}
interface CoreConnection {
  query(sql: string): RowCommand;
  prepare(sql: string, callback: (err: unknown, statement: PreparedStatement) => void): void;
}
interface PreparedStatement {
  parameters?: unknown[];
  execute(values: unknown[]): RowCommand;
}
interface ColumnDefinition {
  name: string;
  columnType: number;
  characterSet: number;
}

const BINARY_CHARSET = 63;
const MYSQL_TYPES: Record<number, string> = {
  0x00: 'decimal',
  0x01: 'tinyint',
  0x02: 'smallint',
  0x03: 'int',
  0x04: 'float',
  0x05: 'double',
  0x06: 'null',
  0x07: 'timestamp',
  0x08: 'bigint',
  0x09: 'mediumint',
  0x0a: 'date',
  0x0b: 'time',
  0x0c: 'datetime',
  0x0d: 'year',
  0x0e: 'date',
  0x0f: 'varchar',
  0x10: 'bit',
  0xf2: 'vector',
  0xf5: 'json',
  0xf6: 'decimal',
  0xf7: 'enum',
  0xf8: 'set',
  0xf9: 'text',
  0xfa: 'text',
  0xfb: 'text',
  0xfc: 'text',
  0xfd: 'varchar',
  0xfe: 'char',
  0xff: 'geometry',
};

function mysqlTypeName(def: ColumnDefinition): string | undefined {
  const name = MYSQL_TYPES[def.columnType];
  if (!name || def.characterSet !== BINARY_CHARSET) return name;
  return name === 'text' ? 'blob' : name === 'varchar' ? 'varbinary' : name === 'char' ? 'binary' : name;
}
