// Configuration comes only from the environment and is validated once at start: a bad value
// stops the process with one line naming the variable and what is expected.
import path from 'node:path';
import { z } from 'zod';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;
const keyEntry = /^[A-Za-z0-9_-]+:[A-Za-z0-9+/]{43}=$/;

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number({ message: 'a port number' }).int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url({ protocol: /^https?$/, message: 'an http(s) URL such as https://hub.example.com' }).optional(),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, message: 'a postgresql:// URL (unset = embedded PGlite)' })
    .optional(),
  PGLITE_DATA_DIR: z.string().min(1).default(path.join(repoRoot, '.data', 'pglite')),
  TEMPORAL_ADDRESS: z.string().regex(hostPort, 'host:port such as temporal.internal:7233').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('patchbay'),
  PATCHBAY_ENCRYPTION_KEYS: z
    .string()
    .refine((v) => v.split(',').every((entry) => keyEntry.test(entry.trim())), {
      message: 'comma-separated kid:base64 entries, each key 32 bytes (e.g. k1:<openssl rand -base64 32>)',
    })
    .optional(),
  PATCHBAY_BOOTSTRAP_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  PATCHBAY_PLUGINS: z.string().optional(),
  PATCHBAY_PLUGINS_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(logLevels, { message: `one of ${logLevels.join(', ')}` }).default('info'),
  // SSRF guard: webhook forwards and plugin HTTP requests to loopback/private/link-local
  // addresses are refused unless this is true (tests and single-machine setups that call
  // local services turn it on).
  PATCHBAY_ALLOW_PRIVATE_NETWORK: z.stringbool({ message: 'true or false' }).default(false),
});

export type Config = z.infer<typeof schema> & { publicUrl: string };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as they do in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const got = cleaned[name] === undefined ? '' : ` (got ${JSON.stringify(redactValue(name, cleaned[name]!))})`;
    throw new ConfigError(`Invalid configuration: ${name} must be ${issue.message.replace(/^Invalid input: /, '')}${got}`);
  }
  const config = parsed.data;
  return { ...config, publicUrl: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '') };
}

function redactValue(name: string, value: string): string {
  return /KEY|TOKEN|SECRET|PASSWORD|DATABASE_URL/.test(name) ? '<redacted>' : value;
}
