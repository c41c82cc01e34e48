// Running an action on a stored connection: load and decrypt the connection, decrypt only the
// secrets the input refers to, execute through the SDK, apply the output mapping, and scrub
// every secret value from what comes back. Used by the worker (runs) and the api (testAction).
import { type Connection, type Database } from '@patchbay/db';
import { readSecrets, UnknownSecretError } from '@patchbay/db/secrets';
import { vaultContext, type Vault } from '@patchbay/db/vault';
import {
  applyMapping,
  executeAction,
  isPluginError,
  PermanentError,
  referencedSecrets,
  renderTemplate,
  testAuth,
  type ActionLogger,
  type Mapping,
  type PluginDefinition,
} from '@patchbay/sdk';
import type { Log } from '../shared/deps.ts';
import type { PluginRegistry } from '../shared/plugin-registry.ts';
import { connectionStore } from './connection-store.ts';
import { resolvePlugin } from '../manifests/registry.ts';
import { networkGuardFor } from './network-guard.ts';
import { scrub, scrubString, secretValues } from './scrub.ts';

export interface RuntimeDeps {
  db: Database;
  vault: Vault;
  plugins: PluginRegistry;
  logger: Log;
}

export interface LoadedConnection {
  row: Connection;
  plugin: PluginDefinition;
  credentials: unknown;
  config: Record<string, unknown>;
}

const UNUSABLE = ['PENDING', 'EXPIRED', 'REVOKED'];

/** A connection with its plugin and decrypted credentials; `forTest` also accepts a PENDING one. */
export async function loadConnection(deps: RuntimeDeps, orgId: string, connectionId: string, { forTest = false } = {}): Promise<LoadedConnection> {
  const row = await deps.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!row) throw new PermanentError('Connection not found');
  if (!forTest && UNUSABLE.includes(row.status)) throw new PermanentError(`Connection "${row.name}" is ${row.status}; reconnect it first`);
  // Loaded plugins first, then the org's custom tools / manifests (manifests/registry.ts).
  const plugin = await resolvePlugin(deps, row.orgId, row.integrationKey);
  if (!plugin) throw new PermanentError(`Integration "${row.integrationKey}" is not loaded in this process`);
  const credentials = row.credentials ? deps.vault.decryptJson(row.credentials, vaultContext.connection(row.id)) : {};
  return { row, plugin, credentials, config: (row.config ?? {}) as Record<string, unknown> };
}

/**
 * A PASSTHROUGH connection stores credential templates over user.metadata; the run's end user
 * fills them in. The rendered values exist only in this call's memory.
 */
async function withUserCredentials(connection: LoadedConnection, user: ActionCall['user']): Promise<LoadedConnection> {
  if (connection.row.tokenStrategy !== 'PASSTHROUGH') return connection;
  const scope = { user: { id: user?.id, metadata: user?.metadata ?? {} } };
  const rendered: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [field, template] of Object.entries(connection.credentials as Record<string, unknown>)) {
    // An absent metadata key is an unknown variable to the (strict) template engine.
    const value = await renderTemplate(template, scope).catch(() => '');
    if (value === '' || value === undefined) missing.push(field);
    rendered[field] = value;
  }
  if (missing.length) {
    throw new PermanentError(`Connection "${connection.row.name}" passes the end user's token through, but the run's user.metadata gave no value for ${missing.join(', ')}`);
  }
  return { ...connection, credentials: rendered };
}

export interface ActionCall {
  orgId: string;
  connectionId: string;
  action: string;
  input: unknown;
  outputMapping?: Mapping | null;
  signal?: AbortSignal;
  user?: { id?: string; metadata?: Record<string, unknown> };
  /** Extra context for log lines (runId, …). */
  bindings?: Record<string, unknown>;
}

export async function runConnectionAction(deps: RuntimeDeps, call: ActionCall): Promise<unknown> {
  const connection = await withUserCredentials(await loadConnection(deps, call.orgId, call.connectionId), call.user);
  await checkConnectionTargets(deps, connection.config);
  let secrets: Record<string, string> = {};
  const names = referencedSecrets(call.input);
  if (names.length) {
    try {
      secrets = await readSecrets(deps.db, deps.vault, call.orgId, names);
    } catch (err) {
      if (err instanceof UnknownSecretError) throw new PermanentError(err.message);
      throw err;
    }
  }
  const hidden = secretValues(connection.credentials, Object.values(secrets), call.user?.metadata);
  try {
    const output = await executeAction({
      plugin: connection.plugin,
      mode: connection.row.authMode,
      credentials: connection.credentials,
      config: connection.config,
      secrets,
      user: call.user,
      store: connectionStore(deps.db, connection.row.id),
      logger: scrubbingLogger(deps.logger, hidden, { connectionId: connection.row.id, action: call.action, ...call.bindings }),
      signal: call.signal,
      action: call.action,
      input: call.input,
      // SSRF guard: private/loopback/link-local addresses are refused unless PATCHBAY_ALLOW_PRIVATE_NETWORK=true.
      http: networkGuardFor(deps),
    });
    return scrub(call.outputMapping ? applyMapping(call.outputMapping, output) : output, hidden);
  } catch (err) {
    throw scrubError(err, hidden);
  }
}

/** The connection's auth test (createConnection, testConnection). */
export async function testStoredConnection(deps: RuntimeDeps, connection: LoadedConnection, signal?: AbortSignal) {
  try {
    await checkConnectionTargets(deps, connection.config);
  } catch (err) {
    return { ok: false, latencyMs: 0, message: (err as Error).message };
  }
  const result = await testAuth({
    plugin: connection.plugin,
    mode: connection.row.authMode,
    credentials: connection.credentials,
    config: connection.config,
    signal,
  });
  const message = result.message && scrubString(result.message, secretValues(connection.credentials));
  return { ...result, message };
}

/**
 * Plugins built on vendor SDKs make their own requests, past the SDK client's guard; so the
 * addresses a connection points them at — every http(s) URL in its config (baseUrl,
 * loginUrl, …) and every `…host` setting (SMTP/IMAP servers) — are checked up front.
 */
export async function checkConnectionTargets(deps: object, config: Record<string, unknown>): Promise<void> {
  const guard = networkGuardFor(deps);
  for (const [key, value] of Object.entries(config)) {
    if (typeof value !== 'string' || !value) continue;
    if (/^https?:\/\//i.test(value)) await guard.beforeRequest(new URL(value));
    else if (/host$/i.test(key)) await guard.beforeRequest(new URL(`http://${value}`));
  }
}

function scrubError(err: unknown, hidden: string[]): unknown {
  if (!(err instanceof Error) || hidden.length === 0) return err;
  err.message = scrubString(err.message, hidden);
  if (err.stack) err.stack = scrubString(err.stack, hidden);
  if (isPluginError(err) && err.details) (err as { details?: unknown }).details = scrub(err.details, hidden);
  return err;
}

function scrubbingLogger(log: Log, hidden: string[], bindings: Record<string, unknown>): ActionLogger {
  const at = (level: keyof Log) => (msg: string, data?: Record<string, unknown>) =>
    log[level](scrub({ ...bindings, ...data }, hidden), scrubString(msg, hidden));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
