// How a user connects a database: one secret field, the connection string (its scheme picks the
// driver), and non-secret settings for read-only mode, the statement timeout and the pool size.
import { apiKey, PermanentError, z, type TestResult } from '@patchbay/sdk';

export type Engine = 'postgres' | 'mysql';

/** The longest statement timeout a connection or a single call may ask for (10 minutes). */
export const MAX_TIMEOUT_MS = 600_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_POOL_SIZE = 5;
export const MAX_POOL_SIZE = 50;

const SCHEMES: Record<string, Engine> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mysql',
};
const SCHEME_MESSAGE = 'connectionString must start with postgres://, postgresql://, mysql:// or mariadb://';

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;
/** URL parameters that make the driver read files on the Patchbay host; a tenant must not choose those. */
const FILE_PARAMETERS = ['sslcert', 'sslkey', 'sslrootcert', 'sslcrl', 'passfile', 'service', 'servicefile'];

/** The engine a connection string is for, or undefined when its scheme is not supported. */
export function engineOf(connectionString: string): Engine | undefined {
  const scheme = /^\s*([a-z][a-z0-9+.-]*:)\/\//i.exec(connectionString)?.[1]?.toLowerCase();
  return scheme ? SCHEMES[scheme] : undefined;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value.trim());
  } catch {
    return undefined;
  }
}

export const connectionFields = z.object({
  connectionString: z
    .string({ message: 'connectionString is required' })
    .min(1, 'connectionString is required')
    .superRefine((value, ctx) => {
      if (!engineOf(value)) return void ctx.addIssue({ code: 'custom', message: SCHEME_MESSAGE });
      const url = parseUrl(value);
      if (!url) return void ctx.addIssue({ code: 'custom', message: 'connectionString is not a valid URL (percent-encode special characters in the user name and password)' });
      const sslmode = url.searchParams.get('sslmode');
      if (sslmode !== null && !(SSL_MODES as readonly string[]).includes(sslmode)) {
        ctx.addIssue({ code: 'custom', message: `connectionString has an unknown sslmode "${sslmode}" (use one of ${SSL_MODES.join(', ')})` });
      }
      for (const name of FILE_PARAMETERS) {
        if (url.searchParams.has(name)) {
          ctx.addIssue({
            code: 'custom',
            message: `connectionString parameter "${name}" reads files on the Patchbay host and is not allowed; use sslmode=verify-full with a CA the host trusts (NODE_EXTRA_CA_CERTS)`,
          });
        }
      }
    })
    .describe('Connection string: postgres://user:password@host:5432/db?sslmode=require, or mysql://user:password@host:3306/db (also mariadb://)'),
});

export const connectionConfig = z.object({
  readOnly: z.boolean().default(false).describe('Run every statement in a read-only transaction; writes fail'),
  statementTimeoutMs: z
    .number()
    .int()
    .min(1)
    .max(MAX_TIMEOUT_MS)
    .default(DEFAULT_TIMEOUT_MS)
    .describe('Longest a statement may run, in milliseconds (a call may override it, up to 10 minutes)'),
  maxPoolSize: z.number().int().min(1).max(MAX_POOL_SIZE).default(DEFAULT_POOL_SIZE).describe('Most database connections this connection keeps open at once'),
});

export type ConnectionCredentials = z.output<typeof connectionFields>;

/** Everything the pools and engines need to know about one connection. */
export interface ConnectionSettings {
  engine: Engine;
  connectionString: string;
  /** The user name in the connection string (for error messages), if it has one. */
  user?: string;
  readOnly: boolean;
  statementTimeoutMs: number;
  maxPoolSize: number;
}

/**
 * Validates a connection's credentials and config as the action receives them (the hub passes
 * them through as stored, so defaults are applied here). A bad value throws a PermanentError
 * that names the field and never repeats the value.
 */
export function parseConnection(credentials: unknown, config: unknown): ConnectionSettings {
  const creds = connectionFields.safeParse(credentials ?? {});
  const conf = connectionConfig.safeParse(config ?? {});
  const issues = [
    ...(creds.success ? [] : creds.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'credentials', message: i.message }))),
    ...(conf.success ? [] : conf.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'config', message: i.message }))),
  ];
  if (!creds.success || !conf.success) {
    throw new PermanentError(`Invalid SQL connection: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
  }
  const connectionString = creds.data.connectionString.trim();
  const url = parseUrl(connectionString)!;
  let user: string | undefined;
  try {
    user = decodeURIComponent(url.username) || url.searchParams.get('user') || undefined;
  } catch {
    user = url.username || undefined;
  }
  return { engine: engineOf(connectionString)!, connectionString, user, ...conf.data };
}

export const sqlAuth = apiKey({
  label: 'Connection string',
  fields: connectionFields,
  placement: { in: 'none' },
  config: connectionConfig,
  test: async ({ credentials, config, signal }): Promise<TestResult> => {
    // Imported lazily so that loading the plugin's definition doesn't load the drivers.
    const { testConnection } = await import('./pools.ts');
    return testConnection(credentials, config, signal);
  },
});
