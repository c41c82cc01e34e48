// Unit tests: schemas, validation, credential redaction, error mapping and the cancellation
// helpers. Nothing here needs a database (see query.int.test.ts for the real servers).
import { ActionInputError, describePlugin, PermanentError, TransientError, validatePlugin } from '@patchbay/sdk';
import { runTestAction } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { connectionFields, engineOf, parseConnection } from '../auth.ts';
import { acquire, supervise } from '../control.ts';
import { mysqlParam, timeLimitStatement } from '../engines/mysql.ts';
import { redactorFor, toPluginError, type ErrorContext } from '../errors.ts';
import plugin, { poolCount } from '../index.ts';
import { mysqlConnectionOptions, mysqlFlavourOf } from '../pools.ts';
import { toJsonValue } from '../values.ts';

const PG = { connectionString: 'postgres://app:s3cr3t-pw@db.internal:5432/app' };

describe('plugin definition', () => {
  it('is a valid plugin with one API_KEY auth method and the query action', () => {
    expect(() => validatePlugin(plugin)).not.toThrow();
    expect(plugin.key).toBe('sql');
    expect(plugin.category).toBe('database');
    expect(plugin.auth.map((a) => a.mode)).toEqual(['API_KEY']);
    expect(plugin.actions.map((a) => a.key)).toEqual(['query']);
    expect(plugin.auth[0]!.authorize(PG, {})).toEqual({});
  });

  it('describes its forms and contract as JSON Schema for the catalog', () => {
    const described = describePlugin(plugin);
    const auth = described.auth[0]!;
    expect(JSON.stringify(auth.credentialsSchema)).toContain('connectionString');
    expect(auth.configSchema).toMatchObject({ properties: { readOnly: { default: false }, statementTimeoutMs: { default: 30000 }, maxPoolSize: { default: 5 } } });
    const action = described.actions[0]!;
    expect(action.inputSchema).toMatchObject({ required: ['sql'], properties: { maxRows: { default: 1000, maximum: 10000 }, timeoutMs: { maximum: 600000 } } });
    expect(action.outputSchema).toMatchObject({ required: ['rows', 'rowCount', 'fields', 'truncated'] });
  });
});

describe('connection settings', () => {
  it('recognises the four schemes', () => {
    expect(engineOf('postgres://h/db')).toBe('postgres');
    expect(engineOf('postgresql://h/db')).toBe('postgres');
    expect(engineOf('mysql://h/db')).toBe('mysql');
    expect(engineOf('MariaDB://h/db')).toBe('mysql');
    expect(engineOf('http://h/db')).toBeUndefined();
    expect(engineOf('h:5432')).toBeUndefined();
  });

  it('applies config defaults', () => {
    expect(parseConnection(PG, {})).toEqual({
      engine: 'postgres',
      connectionString: PG.connectionString,
      user: 'app',
      readOnly: false,
      statementTimeoutMs: 30_000,
      maxPoolSize: 5,
    });
    expect(parseConnection(PG, { readOnly: true, statementTimeoutMs: 500, maxPoolSize: 2, baseUrl: 'https://ignored.example' })).toMatchObject({ readOnly: true, statementTimeoutMs: 500, maxPoolSize: 2 });
  });

  it('the credentials schema names connectionString for a bad scheme, without echoing the value', () => {
    const result = connectionFields.safeParse({ connectionString: 'sqlserver://sa:TopSecret1@h/db' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['connectionString']);
    expect(result.error!.issues[0]!.message).toMatch(/postgres:\/\/, postgresql:\/\/, mysql:\/\/ or mariadb:\/\//);
    expect(JSON.stringify(result.error!.issues)).not.toContain('TopSecret1');
  });

  it('refuses unknown sslmodes and parameters that read files on the host', () => {
    const bad = (cs: string) => connectionFields.safeParse({ connectionString: cs }).error?.issues.map((i) => i.message).join(' | ');
    expect(bad('postgres://h/db?sslmode=sometimes')).toMatch(/unknown sslmode "sometimes"/);
    expect(bad('postgres://h/db?sslmode=verify-full&sslrootcert=/etc/ssl/ca.pem')).toMatch(/"sslrootcert" reads files/);
    expect(bad('mysql://h/db?sslkey=/root/key.pem')).toMatch(/"sslkey" reads files/);
    expect(bad('postgres://h/db?sslmode=verify-full')).toBeUndefined();
  });

  it('the action fails with a PermanentError naming the field for a bad scheme (before touching any pool)', async () => {
    const before = poolCount();
    const err = await runTestAction(plugin, 'query', { credentials: { connectionString: 'https://user:TopSecret1@h/db' }, input: { sql: 'SELECT 1' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/^Invalid connection credentials: connectionString: connectionString must start with postgres:\/\//);
    expect((err as Error).message).not.toContain('TopSecret1');
    expect(poolCount()).toBe(before);
  });

  it('names the bad config field too', async () => {
    const err = await runTestAction(plugin, 'query', { credentials: PG, config: { statementTimeoutMs: 0, maxPoolSize: 500 }, input: { sql: 'SELECT 1' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toMatch(/statementTimeoutMs: .*; maxPoolSize: /);
  });

  it('the test hook reports a bad connection string as not ok, naming the field', async () => {
    const result = await plugin.auth[0]!.test!({ credentials: { connectionString: 'oracle://x' }, config: {}, http: undefined as never, signal: new AbortController().signal });
    expect(result).toEqual({ ok: false, message: expect.stringMatching(/connectionString: connectionString must start with/) });
  });
});

describe('query input', () => {
  const run = (input: unknown) => runTestAction(plugin, 'query', { credentials: PG, input }).catch((e: unknown) => e);

  it('requires sql, bounded to 100k characters', async () => {
    expect(await run({})).toBeInstanceOf(ActionInputError);
    expect(((await run({ sql: '' })) as ActionInputError).issues[0]!.path).toBe('sql');
    expect(((await run({ sql: 'x'.repeat(100_001) })) as ActionInputError).issues[0]).toEqual({ path: 'sql', message: 'sql is longer than 100000 characters' });
  });

  it('bounds maxRows to 1..10000 and timeoutMs to 10 minutes', async () => {
    expect(((await run({ sql: 'SELECT 1', maxRows: 0 })) as ActionInputError).issues[0]!.path).toBe('maxRows');
    expect(((await run({ sql: 'SELECT 1', maxRows: 10_001 })) as ActionInputError).issues[0]!.path).toBe('maxRows');
    expect(((await run({ sql: 'SELECT 1', timeoutMs: 600_001 })) as ActionInputError).issues[0]!.path).toBe('timeoutMs');
  });

  it('accepts strings, numbers, booleans, null, objects and arrays as params', async () => {
    const input = plugin.actions[0]!.input;
    expect(input.safeParse({ sql: 'SELECT 1', params: ['a', 1, 2.5, true, null, { a: 1 }, [1, 2]] }).success).toBe(true);
    expect(input.safeParse({ sql: 'SELECT 1', params: 'a' }).success).toBe(false);
  });
});

describe('credential redaction', () => {
  it('masks the connection string, the password (raw and decoded) and any URL credentials', () => {
    const cs = 'postgres://app:p%40ss%2Fw0rd@db:5432/app';
    const redact = redactorFor(cs);
    expect(redact(`could not connect with ${cs}`)).toBe('could not connect with ***');
    expect(redact('password p@ss/w0rd was rejected')).toBe('password *** was rejected');
    expect(redact('raw p%40ss%2Fw0rd here')).toBe('raw *** here');
    expect(redact('other mysql://root:hunter22@10.0.0.1/db')).toBe('other mysql://root:***@10.0.0.1/db');
    expect(redact('options password=abc123; user=x')).toBe('options password=***; user=x');
    expect(redact('nothing secret here')).toBe('nothing secret here');
  });

  it('masks a password given as a query parameter', () => {
    const redact = redactorFor('mysql://db/app?user=app&password=Qwerty123');
    expect(redact('denied (Qwerty123)')).toBe('denied (***)');
  });
});

describe('error mapping', () => {
  const ctx = (engine: 'postgres' | 'mysql'): ErrorContext => ({ engine, user: 'app', redact: redactorFor('postgres://app:s3cr3t-pw@h/db'), timeoutMs: 300 });
  const pgError = (code: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });

  it('maps PostgreSQL SQLSTATEs', () => {
    const syntax = toPluginError(pgError('42601', 'syntax error at or near "SELEC"', { position: '1' }), ctx('postgres'));
    expect(syntax).toBeInstanceOf(PermanentError);
    expect(syntax.message).toBe('syntax error at or near "SELEC" (at character 1)');
    const unique = toPluginError(pgError('23505', 'duplicate key value violates unique constraint "t_pkey"', { detail: 'Key (id)=(1) already exists.' }), ctx('postgres'));
    expect(unique).toBeInstanceOf(PermanentError);
    expect(unique.message).toContain('Key (id)=(1) already exists.');
    expect(toPluginError(pgError('42501', 'permission denied for table t'), ctx('postgres'))).toBeInstanceOf(PermanentError);
    expect(toPluginError(pgError('08P01', 'bind message supplies 1 parameters, but prepared statement "" requires 0'), ctx('postgres'))).toBeInstanceOf(PermanentError);
    for (const code of ['53300', '57P01', '57P03', '08006', '40001', '40P01']) {
      expect(toPluginError(pgError(code, 'x'), ctx('postgres')), code).toBeInstanceOf(TransientError);
    }
    const auth = toPluginError(pgError('28P01', 'password authentication failed for user "app"'), ctx('postgres'));
    expect(auth).toBeInstanceOf(PermanentError);
    expect(auth.message).toMatch(/^authentication failed for user app/);
    const ro = toPluginError(pgError('25006', 'cannot execute INSERT in a read-only transaction'), ctx('postgres'));
    expect(ro).toBeInstanceOf(PermanentError);
    expect(ro.message).toMatch(/^read-only mode/);
    const timeout = toPluginError(pgError('57014', 'canceling statement due to statement timeout'), ctx('postgres'));
    expect(timeout).toBeInstanceOf(PermanentError);
    expect(timeout.message).toBe('statement timeout after 300 ms');
    expect(toPluginError(pgError('57014', 'canceling statement due to user request'), ctx('postgres'))).toBeInstanceOf(TransientError);
  });

  it('maps network failures and lost connections to TransientError', () => {
    expect(toPluginError(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), ctx('postgres'))).toBeInstanceOf(TransientError);
    expect(toPluginError(new Error('Connection terminated unexpectedly'), ctx('postgres'))).toBeInstanceOf(TransientError);
    expect(toPluginError(new Error('timeout exceeded when trying to connect'), ctx('postgres'))).toBeInstanceOf(TransientError);
    expect(toPluginError(pgError('PROTOCOL_CONNECTION_LOST', 'Connection lost: The server closed the connection.'), ctx('mysql'))).toBeInstanceOf(TransientError);
    expect(toPluginError(pgError('ETIMEDOUT', 'connect ETIMEDOUT'), ctx('mysql'))).toBeInstanceOf(TransientError);
  });

  it('maps MySQL/MariaDB errors, including MariaDB-only numbers', () => {
    const my = (code: string | undefined, errno: number, message: string) => Object.assign(new Error(message), { code, errno, sqlState: 'HY000' });
    expect(toPluginError(my('ER_PARSE_ERROR', 1064, 'You have an error in your SQL syntax'), ctx('mysql'))).toBeInstanceOf(PermanentError);
    expect(toPluginError(my('ER_DUP_ENTRY', 1062, "Duplicate entry '1' for key 'PRIMARY'"), ctx('mysql'))).toBeInstanceOf(PermanentError);
    expect(toPluginError(my('ER_TABLEACCESS_DENIED_ERROR', 1142, 'INSERT command denied'), ctx('mysql'))).toBeInstanceOf(PermanentError);
    expect(toPluginError(my('ER_CON_COUNT_ERROR', 1040, 'Too many connections'), ctx('mysql'))).toBeInstanceOf(TransientError);
    expect(toPluginError(my('ER_LOCK_DEADLOCK', 1213, 'Deadlock found'), ctx('mysql'))).toBeInstanceOf(TransientError);
    expect(toPluginError(my('ER_ACCESS_DENIED_ERROR', 1045, "Access denied for user 'app'@'h' (using password: YES)"), ctx('mysql')).message).toMatch(/^authentication failed for user app/);
    expect(toPluginError(my('ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION', 1792, 'Cannot execute statement in a READ ONLY transaction'), ctx('mysql')).message).toMatch(/^read-only mode/);
    expect(toPluginError(my(undefined, 1969, 'Query execution was interrupted (max_statement_time exceeded)'), ctx('mysql')).message).toBe('statement timeout after 300 ms');
    expect(toPluginError(my('ER_QUERY_TIMEOUT', 3024, 'maximum statement execution time exceeded'), ctx('mysql')).message).toBe('statement timeout after 300 ms');
  });

  it('strips credentials from every message', () => {
    const err = toPluginError(new Error('failed for postgres://app:s3cr3t-pw@h/db (s3cr3t-pw)'), ctx('postgres'));
    expect(err.message).not.toContain('s3cr3t-pw');
  });
});

describe('engine details', () => {
  it('picks the MariaDB or MySQL statement time limit', () => {
    expect(mysqlFlavourOf('10.11.19-MariaDB-0+deb12u1')).toBe('mariadb');
    expect(mysqlFlavourOf('8.4.3')).toBe('mysql');
    expect(timeLimitStatement('mariadb', 300)).toBe('SET SESSION max_statement_time = 0.300');
    expect(timeLimitStatement('mariadb', 600_000)).toBe('SET SESSION max_statement_time = 600.000');
    expect(timeLimitStatement('mysql', 300)).toBe('SET SESSION max_execution_time = 300');
  });

  it('sends objects and arrays to MySQL as JSON text', () => {
    expect(mysqlParam({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(mysqlParam([1, 2])).toBe('[1,2]');
    expect(mysqlParam('x')).toBe('x');
    expect(mysqlParam(null)).toBeNull();
  });

  it('reads mysql:// URLs, percent-decoding credentials and mapping sslmode', () => {
    const settings = parseConnection({ connectionString: 'mariadb://us%40er:p%3Ass@[::1]:3307/my%20db?sslmode=verify-full' }, {});
    expect(mysqlConnectionOptions(settings)).toMatchObject({
      host: '::1',
      port: 3307,
      user: 'us@er',
      password: 'p:ss',
      database: 'my db',
      ssl: { rejectUnauthorized: true, verifyIdentity: true },
      multipleStatements: false,
      dateStrings: true,
      bigNumberStrings: true,
    });
    const plain = mysqlConnectionOptions(parseConnection({ connectionString: 'mysql://root@localhost/test' }, {}));
    expect(plain).toMatchObject({ host: 'localhost', port: 3306, user: 'root', database: 'test' });
    expect(plain.ssl).toBeUndefined();
    expect(mysqlConnectionOptions(parseConnection({ connectionString: 'mysql://h/d?sslmode=require' }, {})).ssl).toEqual({ rejectUnauthorized: false });
    expect(mysqlConnectionOptions(parseConnection({ connectionString: 'mysql://h/d?sslmode=verify-ca' }, {})).ssl).toEqual({ rejectUnauthorized: true, verifyIdentity: false });
  });

  it('turns driver values into JSON', () => {
    expect(toJsonValue(new Date('2024-05-06T07:08:09.123Z'))).toBe('2024-05-06T07:08:09.123Z');
    expect(toJsonValue(12n)).toBe('12');
    expect(toJsonValue(Buffer.from('hi'))).toBe('aGk=');
    expect(toJsonValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(toJsonValue({ a: [new Date(0), null, undefined] })).toEqual({ a: ['1970-01-01T00:00:00.000Z', null, null] });
  });
});

describe('cancellation helpers', () => {
  const never = () => new Promise<never>(() => {});

  it('supervise returns the outcome when the work finishes first', async () => {
    const result = await supervise(Promise.resolve(42), { signal: new AbortController().signal, deadlineMs: 1000, graceMs: 10, interrupt: async () => {} });
    expect(result).toEqual({ ok: true, value: 42 });
  });

  it('supervise interrupts on the deadline and on abort', async () => {
    let interrupts = 0;
    const deadline = await supervise(never(), { signal: new AbortController().signal, deadlineMs: 20, graceMs: 20, interrupt: async () => void interrupts++ });
    expect(deadline).toMatchObject({ interrupted: 'deadline', clean: false });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    let settle!: () => void;
    const work = new Promise<void>((resolve, reject) => (settle = () => reject(new Error('cancelled'))));
    const aborted = await supervise(work, { signal: controller.signal, deadlineMs: 10_000, graceMs: 500, interrupt: async () => settle() });
    expect(aborted).toMatchObject({ interrupted: 'abort', clean: true, outcome: { ok: false } });
    expect(interrupts).toBe(1);
  });

  it('acquire gives up on abort and hands a late connection back', async () => {
    const controller = new AbortController();
    let deliver!: (v: string) => void;
    const pending = new Promise<string>((resolve) => (deliver = resolve));
    const discarded: string[] = [];
    const waiting = acquire(pending, (v) => discarded.push(v), controller.signal, 10_000, () => new Error('timeout'));
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    deliver('conn');
    await Promise.resolve();
    expect(discarded).toEqual(['conn']);
    await expect(acquire(never(), () => {}, new AbortController().signal, 10, () => new TransientError('busy'))).rejects.toBeInstanceOf(TransientError);
  });
});
