// Integration tests against real servers: PostgreSQL (default postgresql://postgres@127.0.0.1:5432/postgres)
// and MariaDB/MySQL (default mysql://root@127.0.0.1:3306/test); override with PATCHBAY_TEST_POSTGRES_URL /
// PATCHBAY_TEST_MYSQL_URL. A server that can't be reached has its tests skipped, saying why.
// Every run works in uniquely named scratch tables and users and drops them afterwards.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PermanentError, TransientError } from '@patchbay/sdk';
import { runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin, { closeAllPools, poolCount } from '../index.ts';
import { testConnection } from '../pools.ts';

const PG_URL = process.env.PATCHBAY_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const MYSQL_URL = process.env.PATCHBAY_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

async function unreachable(connectionString: string): Promise<string | undefined> {
  const result = await testConnection({ connectionString }, {});
  return result.ok ? undefined : result.message;
}

const pgDown = await unreachable(PG_URL);
const mysqlDown = await unreachable(MYSQL_URL);
for (const [name, url, down] of [
  ['PostgreSQL', PG_URL, pgDown],
  ['MySQL/MariaDB', MYSQL_URL, mysqlDown],
] as const) {
  if (down) console.warn(`[plugin-sql] SKIPPING the ${name} integration tests: ${url.replace(/:[^:@/]*@/, ':***@')} is not reachable (${down})`);
}

afterAll(async () => {
  await closeAllPools();
});

interface Engine {
  name: string;
  url: string;
  down?: string;
  /** Placeholder number i (1-based). */
  p(i: number): string;
  sleep(seconds: number): string;
  /** A write (not a SELECT) into `table` that takes `seconds`. */
  slowWrite(table: string, seconds: number): string;
  createTable(table: string): string;
  /** SQL listing running statements whose text is LIKE $1/?, other than the asking session. */
  runningLike: string;
  /** A value for the `at` column meaning 2024-05-06T07:08:09.123Z. */
  atParam: string;
  expectedAt: string;
  syntaxError: RegExp;
}

const uid = () => randomBytes(4).toString('hex');

const engines: Engine[] = [
  {
    name: 'PostgreSQL',
    url: PG_URL,
    down: pgDown,
    p: (i) => `$${i}`,
    sleep: (s) => `SELECT pg_sleep(${s})`,
    slowWrite: (t, s) => `INSERT INTO ${t} (name) SELECT 'slow' FROM pg_sleep(${s})`,
    createTable: (t) =>
      `CREATE TABLE ${t} (id serial PRIMARY KEY, name text NOT NULL UNIQUE, doc jsonb, amount numeric(20,6), big int8, at timestamptz, local_at timestamp(3), day date)`,
    runningLike: "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND state = 'active' AND pid <> pg_backend_pid()",
    atParam: '2024-05-06T07:08:09.123Z',
    expectedAt: '2024-05-06T07:08:09.123Z',
    syntaxError: /syntax error at or near "SELEC"/,
  },
  {
    name: 'MariaDB',
    url: MYSQL_URL,
    down: mysqlDown,
    p: () => '?',
    sleep: (s) => `SELECT SLEEP(${s})`,
    // Not `DO SLEEP(n)`: MariaDB's DO swallows the max_statement_time interruption and reports success.
    slowWrite: (t, s) => `INSERT INTO ${t} (name) SELECT CONCAT('slow', SLEEP(${s}))`,
    createTable: (t) =>
      `CREATE TABLE ${t} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE, doc JSON, amount DECIMAL(20,6), big BIGINT, at DATETIME(3), local_at DATETIME(3), day DATE)`,
    runningLike: 'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()',
    atParam: '2024-05-06 07:08:09.123',
    expectedAt: '2024-05-06 07:08:09.123',
    syntaxError: /You have an error in your SQL syntax/,
  },
];

interface QueryResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number;
  fields: Array<{ name: string; type?: string }>;
  truncated: boolean;
}

for (const engine of engines) {
  describe.skipIf(!!engine.down)(`${engine.name} at ${engine.url}${engine.down ? ` — SKIPPED, not reachable: ${engine.down}` : ''}`, () => {
    const table = `pb_sql_${uid()}`;
    const { p } = engine;
    const run = (input: Record<string, unknown>, options: { config?: Record<string, unknown>; signal?: AbortSignal; connectionString?: string } = {}) =>
      runTestAction(plugin, 'query', {
        credentials: { connectionString: options.connectionString ?? engine.url },
        config: options.config,
        signal: options.signal,
        input,
      }) as Promise<QueryResult>;
    const failure = (promise: Promise<unknown>) => promise.then(
      () => {
        throw new Error('expected the query to fail');
      },
      (err: unknown) => err as Error,
    );
    const count = async () => Number((await run({ sql: `SELECT COUNT(*) AS n FROM ${table}` })).rows[0]!.n);

    beforeAll(async () => {
      await run({ sql: engine.createTable(table) });
    });
    afterAll(async () => {
      await run({ sql: `DROP TABLE IF EXISTS ${table}` });
      await run({ sql: `DROP TABLE IF EXISTS ${table}_ro` });
    });

    it('selects with bound parameters; a parameter that looks like SQL injection is plain data', async () => {
      const evil = "x' OR '1'='1'; DROP TABLE " + table + '; --';
      const echo = await run({ sql: `SELECT ${p(1)} AS v, ${p(2)} AS n`, params: [evil, 42] });
      expect(echo.rows).toEqual([{ v: evil, n: expect.anything() }]);
      expect(Number(echo.rows[0]!.n)).toBe(42);
      expect(echo.fields.map((f) => f.name)).toEqual(['v', 'n']);

      await run({ sql: `INSERT INTO ${table} (name) VALUES (${p(1)})`, params: ['bobby'] });
      const found = await run({ sql: `SELECT name FROM ${table} WHERE name = ${p(1)}`, params: ["' OR '1'='1"] });
      expect(found).toMatchObject({ rows: [], rowCount: 0, truncated: false });
      const dropped = await run({ sql: `SELECT name FROM ${table} WHERE name = ${p(1)}`, params: [`bobby'; DROP TABLE ${table}; --`] });
      expect(dropped.rows).toEqual([]);
      expect(await count()).toBe(1);
      await run({ sql: `DELETE FROM ${table}` });
    });

    it('reports rowCount for INSERT, UPDATE and DELETE', async () => {
      const inserted = await run({
        sql: `INSERT INTO ${table} (name, amount) VALUES (${p(1)}, ${p(2)}), (${p(3)}, ${p(4)}), (${p(5)}, ${p(6)})`,
        params: ['a', '1.5', 'b', 2, 'c', 3],
      });
      expect(inserted).toEqual({ rows: [], rowCount: 3, fields: [], truncated: false });
      const updated = await run({ sql: `UPDATE ${table} SET amount = amount + 1 WHERE name IN (${p(1)}, ${p(2)})`, params: ['a', 'b'] });
      expect(updated.rowCount).toBe(2);
      const deleted = await run({ sql: `DELETE FROM ${table} WHERE name = ${p(1)}`, params: ['c'] });
      expect(deleted.rowCount).toBe(1);
      await run({ sql: `DELETE FROM ${table}` });
    });

    it('round-trips JSON, timestamps, dates, exact numerics and 64-bit integers', async () => {
      const doc = { tags: ['a', 'b'], nested: { ok: true, n: 1.25 }, none: null };
      await run({
        sql: `INSERT INTO ${table} (name, doc, amount, big, at, local_at, day) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)})`,
        params: ['typed', doc, '12345678901234.123456', '9007199254740993', engine.atParam, '2024-05-06 07:08:09.123', '2024-05-06'],
      });
      const out = await run({ sql: `SELECT doc, amount, big, at, local_at, day FROM ${table} WHERE name = ${p(1)}`, params: ['typed'] });
      const row = out.rows[0]!;
      expect(typeof row.doc === 'string' ? JSON.parse(row.doc) : row.doc).toEqual(doc);
      expect(row.amount).toBe('12345678901234.123456');
      expect(row.big).toBe('9007199254740993');
      expect(row.at).toBe(engine.expectedAt);
      expect(row.local_at).toBe('2024-05-06 07:08:09.123');
      expect(row.day).toBe('2024-05-06');
      expect(out.fields.map((f) => f.name)).toEqual(['doc', 'amount', 'big', 'at', 'local_at', 'day']);
      expect(out.fields.find((f) => f.name === 'big')!.type).toBe(engine.name === 'PostgreSQL' ? 'int8' : 'bigint');
      expect(JSON.parse(JSON.stringify(out))).toEqual(out);
      await run({ sql: `DELETE FROM ${table}` });
    });

    it('truncates at maxRows and still counts every row', async () => {
      const fifty = 'WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 50) SELECT n FROM s ORDER BY n';
      const capped = await run({ sql: fifty, maxRows: 10 });
      expect(capped.rows).toHaveLength(10);
      expect(capped.rows.map((r) => Number(r.n))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(capped).toMatchObject({ rowCount: 50, truncated: true });
      const all = await run({ sql: fifty, maxRows: 50 });
      expect(all).toMatchObject({ rowCount: 50, truncated: false });
      expect(all.rows).toHaveLength(50);
    });

    it('read-only mode refuses INSERT and DDL, and allows SELECT', async () => {
      const config = { readOnly: true };
      const insert = await failure(run({ sql: `INSERT INTO ${table} (name) VALUES (${p(1)})`, params: ['ro'] }, { config }));
      expect(insert).toBeInstanceOf(PermanentError);
      expect(insert.message).toMatch(/^read-only mode/);
      expect(await count()).toBe(0);
      // On MySQL/MariaDB a DDL statement commits implicitly, which would end a plain START TRANSACTION READ ONLY.
      const ddl = await failure(run({ sql: `CREATE TABLE ${table}_ro (a int)` }, { config }));
      expect(ddl).toBeInstanceOf(PermanentError);
      const created = await run({ sql: `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = ${p(1)}`, params: [`${table}_ro`] });
      expect(Number(created.rows[0]!.n)).toBe(0);
      // Two statements in one call (a COMMIT to leave the transaction, then a write) are refused.
      const escape = await failure(run({ sql: `COMMIT; INSERT INTO ${table} (name) VALUES ('escaped')` }, { config }));
      expect(escape).toBeInstanceOf(PermanentError);
      expect(await count()).toBe(0);
      const select = await run({ sql: `SELECT ${p(1)} AS ok`, params: ['yes'] }, { config });
      expect(select.rows).toEqual([{ ok: 'yes' }]);
    });

    it('read-only mode: a call that switches the session to read-write does not let the next call write', async () => {
      const config = { readOnly: true, maxPoolSize: 1 }; // one connection: both calls share the session
      await run({ sql: engine.name === 'PostgreSQL' ? 'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE' : 'SET SESSION TRANSACTION READ WRITE' }, { config });
      const insert = await failure(run({ sql: `INSERT INTO ${table} (name) VALUES (${p(1)})`, params: ['after-switch'] }, { config }));
      expect(insert.message).toMatch(/^read-only mode/);
      // Session settings made inside a read-only call are undone too.
      if (engine.name === 'PostgreSQL') {
        await run({ sql: "SET application_name = 'leaked'" }, { config });
        expect((await run({ sql: "SELECT current_setting('application_name') AS v" }, { config })).rows[0]!.v).not.toBe('leaked');
      } else {
        await run({ sql: "SET @leaked = 'yes'" }, { config });
        expect((await run({ sql: 'SELECT @leaked AS v' }, { config })).rows[0]!.v).toBeNull();
      }
      expect(await count()).toBe(0);
    });

    it('refuses more than one statement per call, and wrong parameter counts, as PermanentErrors', async () => {
      expect(await failure(run({ sql: 'SELECT 1; SELECT 2' }))).toBeInstanceOf(PermanentError);
      expect(await failure(run({ sql: 'SELECT 1 AS one', params: [1] }))).toBeInstanceOf(PermanentError);
    });

    it('stops a statement at its timeout (per call and from the connection config)', async () => {
      let started = Date.now();
      const perCall = await failure(run({ sql: engine.sleep(5), timeoutMs: 300 }));
      expect(perCall).toBeInstanceOf(PermanentError);
      expect(perCall.message).toBe('statement timeout after 300 ms');
      expect(Date.now() - started).toBeLessThan(2500);

      started = Date.now();
      const fromConfig = await failure(run({ sql: engine.slowWrite(table, 5) }, { config: { statementTimeoutMs: 300 } }));
      expect(fromConfig).toBeInstanceOf(PermanentError);
      expect(fromConfig.message).toBe('statement timeout after 300 ms');
      expect(Date.now() - started).toBeLessThan(2500);
      expect(await count()).toBe(0);

      // The pool's connections are fine afterwards.
      expect((await run({ sql: 'SELECT 1 AS one' })).rows.map((r) => Number(r.one))).toEqual([1]);
    });

    it('cancels a running statement on the server when the signal aborts', async () => {
      const marker = `cancel_${uid()}`;
      const controller = new AbortController();
      const reason = new Error('run cancelled by the user');
      const started = Date.now();
      setTimeout(() => controller.abort(reason), 300);
      const err = await failure(run({ sql: `${engine.sleep(5)} /* ${marker} */` }, { signal: controller.signal }));
      expect(err).toBe(reason);
      expect(Date.now() - started).toBeLessThan(3000);
      const running = await run({ sql: engine.runningLike, params: [`%${marker}%`] });
      expect(Number(running.rows[0]!.n)).toBe(0);

      const already = new AbortController();
      already.abort(reason);
      expect(await failure(run({ sql: 'SELECT 1' }, { signal: already.signal }))).toBe(reason);
    });

    it('gives up waiting for a busy pool when the signal aborts', async () => {
      const config = { maxPoolSize: 1 };
      const busy = run({ sql: engine.sleep(1) }, { config });
      await new Promise((r) => setTimeout(r, 100));
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('gave up')), 100);
      const started = Date.now();
      expect((await failure(run({ sql: 'SELECT 1' }, { config, signal: controller.signal }))).message).toBe('gave up');
      expect(Date.now() - started).toBeLessThan(800);
      await expect(busy).resolves.toMatchObject({ rowCount: 1 });
    });

    it('keeps at most maxPoolSize connections per pool', async () => {
      const sql = engine.name === 'PostgreSQL' ? 'SELECT pg_backend_pid() AS id, pg_sleep(0.2) AS s' : 'SELECT CONNECTION_ID() AS id, SLEEP(0.2) AS s';
      const results = await Promise.all(Array.from({ length: 5 }, () => run({ sql }, { config: { maxPoolSize: 2 } })));
      const ids = new Set(results.map((r) => String(r.rows[0]!.id)));
      expect(ids.size).toBeLessThanOrEqual(2);
    });

    it('turns a syntax error into a PermanentError carrying the database message', async () => {
      const err = await failure(run({ sql: 'SELEC 1' }));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toMatch(engine.syntaxError);
    });

    it('an unreachable port is a TransientError', async () => {
      const url = new URL(engine.url);
      url.host = '127.0.0.1:1';
      const err = await failure(run({ sql: 'SELECT 1' }, { connectionString: url.toString() }));
      expect(err).toBeInstanceOf(TransientError);
      expect(err.message).toMatch(/could not reach the .* server: .*ECONNREFUSED/);
    });

    it('the test hook says ok for a working connection and explains a failing one', async () => {
      const ok = await plugin.auth[0]!.test!({ credentials: { connectionString: engine.url }, config: { readOnly: true }, http: undefined as never, signal: new AbortController().signal });
      expect(ok).toEqual({ ok: true, message: expect.stringMatching(engine.name === 'PostgreSQL' ? /^Connected to PostgreSQL \d+.*\(read-only mode\)$/ : /^Connected to (MariaDB|MySQL) \d+.*\(read-only mode\)$/) });
      const url = new URL(engine.url);
      url.host = '127.0.0.1:1';
      const failing = await plugin.auth[0]!.test!({ credentials: { connectionString: url.toString() }, config: {}, http: undefined as never, signal: new AbortController().signal });
      expect(failing).toEqual({ ok: false, message: expect.stringMatching(/could not reach/) });
    });

    it('reuses one pool per connection string and options', async () => {
      await closeAllPools();
      expect(poolCount()).toBe(0);
      await run({ sql: 'SELECT 1 AS one' });
      await run({ sql: 'SELECT 2 AS two' });
      expect(poolCount()).toBe(1);
      await run({ sql: 'SELECT 3 AS three' }, { config: { readOnly: true } });
      expect(poolCount()).toBe(2);
      await closeAllPools();
      expect(poolCount()).toBe(0);
    });

    if (engine.name === 'PostgreSQL') {
      it('an unknown role fails as "authentication failed" without the password', async () => {
        const url = new URL(engine.url);
        url.username = `pb_nosuch_${uid()}`;
        url.password = 'Wr0ng-Secret-Pw';
        const err = await failure(run({ sql: 'SELECT 1' }, { connectionString: url.toString() }));
        expect(err).toBeInstanceOf(PermanentError);
        expect(err.message).toMatch(new RegExp(`^authentication failed for user ${url.username}`));
        expect(err.message).not.toContain('Wr0ng-Secret-Pw');
      });
    } else {
      describe('with a scratch user', () => {
        const user = `pb_u_${uid()}`;
        beforeAll(async () => {
          await run({ sql: `CREATE USER '${user}'@'%' IDENTIFIED BY 'Right-Pass-123'` });
          await run({ sql: `GRANT SELECT ON *.* TO '${user}'@'%'` });
        });
        afterAll(async () => {
          await run({ sql: `DROP USER IF EXISTS '${user}'@'%'` });
        });

        it('a wrong password fails as "authentication failed" and never shows the password', async () => {
          const url = new URL(engine.url);
          url.username = user;
          url.password = 'Right-Pass-123';
          expect((await run({ sql: 'SELECT CURRENT_USER() AS u' }, { connectionString: url.toString() })).rows[0]!.u).toBe(`${user}@%`);
          url.password = 'Wr0ng-Secret-Pw';
          const err = await failure(run({ sql: 'SELECT 1' }, { connectionString: url.toString() }));
          expect(err).toBeInstanceOf(PermanentError);
          expect(err.message).toMatch(new RegExp(`^authentication failed for user ${user}`));
          expect(err.message).not.toContain('Wr0ng-Secret-Pw');
          const tested = await testConnection({ connectionString: url.toString() }, {});
          expect(tested.ok).toBe(false);
          expect(tested.message).not.toContain('Wr0ng-Secret-Pw');
        });

        it('permission denied is a PermanentError', async () => {
          const url = new URL(engine.url);
          url.username = user;
          url.password = 'Right-Pass-123';
          const err = await failure(run({ sql: `INSERT INTO ${table} (name) VALUES ('nope')` }, { connectionString: url.toString() }));
          expect(err).toBeInstanceOf(PermanentError);
          expect(err.message).toMatch(/denied/i);
        });
      });
    }
  });
}

// A fake PostgreSQL server that asks for a cleartext password and rejects it, quoting the
// password back in its error (as a careless proxy might): the message must come out masked.
describe('PostgreSQL password failure (fake server speaking the wire protocol)', () => {
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    server = net.createServer((socket) => {
      let buffered = Buffer.alloc(0);
      let stage: 'startup' | 'password' = 'startup';
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (stage === 'startup' && buffered.length >= 4 && buffered.length >= buffered.readInt32BE(0)) {
          const length = buffered.readInt32BE(0);
          buffered = buffered.subarray(length);
          stage = 'password';
          const auth = Buffer.alloc(9);
          auth.write('R', 0);
          auth.writeInt32BE(8, 1);
          auth.writeInt32BE(3, 5); // AuthenticationCleartextPassword
          socket.write(auth);
        } else if (stage === 'password' && buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
          const password = buffered.subarray(5, 1 + buffered.readInt32BE(1) - 1).toString('utf8');
          const fields = Buffer.concat(
            [['S', 'FATAL'], ['V', 'FATAL'], ['C', '28P01'], ['M', `password authentication failed for user "alice" (got "${password}")`]]
              .map(([k, v]) => Buffer.from(`${k}${v}\0`))
              .concat([Buffer.from('\0')]),
          );
          const header = Buffer.alloc(5);
          header.write('E', 0);
          header.writeInt32BE(4 + fields.length, 1);
          socket.end(Buffer.concat([header, fields]));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('is a PermanentError "authentication failed for user alice" without the password', async () => {
    const connectionString = `postgres://alice:Sup3r%2FSecret!@127.0.0.1:${port}/app`;
    const err = (await runTestAction(plugin, 'query', { credentials: { connectionString }, input: { sql: 'SELECT 1' } }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/^authentication failed for user alice: password authentication failed for user "alice" \(got "\*\*\*"\)$/);
    expect(err.message).not.toContain('Sup3r');
    expect(JSON.stringify((err as PermanentError).details)).not.toContain('Sup3r');
    const tested = await testConnection({ connectionString }, {});
    expect(tested).toEqual({ ok: false, message: expect.stringMatching(/^authentication failed for user alice/) });
    expect(tested.message).not.toContain('Sup3r');
  });
});
