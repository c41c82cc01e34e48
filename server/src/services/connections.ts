// Connections with secret credentials (API key, basic, bot token, none). Credentials are
// validated against the plugin's auth schema, encrypted in the vault, tested, and never read back.
import { recordActivity, type AuthMode, type Connection, type Prisma, type TokenStrategy } from '@patchbay/db';
import { vaultContext } from '@patchbay/db/vault';
import { issuesOf, type AnyAuthMethod, type PluginDefinition } from '@patchbay/sdk';
import { deleteSyncSchedule, deleteTriggerPollSchedule, loadConnection, stopConnectionTokens, testStoredConnection } from '@patchbay/workflows';
import { revokeStoredTokens } from '@patchbay/workflows/oauth-connections';
import type { Hub } from '../context.ts';
import { badInput, notFound, type InputIssue } from '../errors.ts';
import { createClientCredentialsConnection } from './oauth.ts';

const OAUTH_MODES: AuthMode[] = ['OAUTH2', 'OAUTH2_CLIENT_CREDENTIALS'];
const TEST_TIMEOUT_MS = 15_000;

export interface NewConnection {
  integrationKey: string;
  name: string;
  authMode: AuthMode;
  credentials?: unknown;
  config?: unknown;
  tokenStrategy?: TokenStrategy;
  endUserId?: string | null;
}

export async function createConnection(hub: Hub, orgId: string, input: NewConnection): Promise<Connection> {
  const plugin = hub.plugins.get(input.integrationKey);
  if (!plugin) throw badInput(`Unknown integration "${input.integrationKey}"`, [{ path: 'integrationKey', message: 'no such integration' }]);
  const method = plugin.auth.find((a) => a.mode === input.authMode);
  if (!method) {
    const modes = plugin.auth.map((a) => a.mode).join(', ');
    throw badInput(`Integration "${plugin.key}" supports ${modes}, not ${input.authMode}`, [{ path: 'authMode', message: `one of ${modes}` }]);
  }
  const strategy = input.tokenStrategy ?? 'SERVICE_ACCOUNT';
  if (strategy !== 'SERVICE_ACCOUNT') return createDelegatingConnection(hub, orgId, plugin, method, input, strategy);
  // Client credentials: the hub fetches the token now; authorization-code connections need the user's consent.
  if (input.authMode === 'OAUTH2_CLIENT_CREDENTIALS') return createClientCredentialsConnection(hub, orgId, input);
  if (OAUTH_MODES.includes(input.authMode)) {
    throw badInput(`${input.authMode} connections are made with startOAuth`, [{ path: 'authMode', message: 'use startOAuth' }]);
  }
  const issues: InputIssue[] = [];
  const credentials = method.credentials.safeParse(input.credentials ?? {});
  if (!credentials.success) issues.push(...issuesOf(credentials.error).map((i) => ({ ...i, path: joinPath('credentials', i.path) })));
  const config = method.config.safeParse(input.config ?? {});
  if (!config.success) issues.push(...issuesOf(config.error).map((i) => ({ ...i, path: joinPath('config', i.path) })));
  if (issues.length || !credentials.success || !config.success) {
    throw badInput(`Invalid connection: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }

  const connection = await hub.db.prisma.$transaction(async (tx) => {
    const created = await tx.connection.create({
      data: {
        orgId, integrationKey: plugin.key, name: input.name, authMode: input.authMode, status: 'PENDING',
        config: config.data as Prisma.InputJsonValue, endUserId: input.endUserId ?? null,
      },
    });
    return tx.connection.update({
      where: { id: created.id },
      data: { credentials: hub.vault.encryptJson(credentials.data, vaultContext.connection(created.id)) },
    });
  });
  await recordActivity(hub.db, {
    orgId,
    type: 'connection.created',
    message: `Connection "${connection.name}" to ${plugin.displayName} created`,
    connectionId: connection.id,
    data: { integrationKey: plugin.key, authMode: connection.authMode },
  });
  await runConnectionTest(hub, orgId, connection.id);
  return hub.db.prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
}

/**
 * PER_USER and PASSTHROUGH connections hold no account of their own, so there is nothing to
 * test: a PER_USER one sends each run to its end user's own connection; a PASSTHROUGH one keeps
 * credential templates over user.metadata (default: the auth method's secret field from
 * `{{ user.metadata.apiToken }}`), rendered per run and never stored rendered.
 */
async function createDelegatingConnection(hub: Hub, orgId: string, plugin: PluginDefinition, method: AnyAuthMethod, input: NewConnection, strategy: TokenStrategy): Promise<Connection> {
  const issues: InputIssue[] = [];
  const config = method.config.safeParse(input.config ?? {});
  if (!config.success) issues.push(...issuesOf(config.error).map((i) => ({ ...i, path: joinPath('config', i.path) })));
  let templates: Record<string, string> | null = null;
  if (strategy === 'PASSTHROUGH') {
    templates = (input.credentials as Record<string, string> | undefined) ?? passthroughTemplates(method.mode);
    for (const [field, value] of Object.entries(templates)) {
      if (typeof value !== 'string') issues.push({ path: `credentials.${field}`, message: 'a string, e.g. "{{ user.metadata.apiToken }}"' });
    }
  } else if (input.credentials !== undefined) {
    issues.push({ path: 'credentials', message: "a PER_USER connection holds no credentials: each end user's own connection does" });
  }
  if (input.endUserId) issues.push({ path: 'endUserId', message: `a ${strategy} connection serves every end user; give endUserId to their own connections` });
  if (issues.length || !config.success) throw badInput(`Invalid connection: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  const connection = await hub.db.prisma.$transaction(async (tx) => {
    const created = await tx.connection.create({
      data: {
        orgId, integrationKey: plugin.key, name: input.name, authMode: input.authMode, status: 'ACTIVE', tokenStrategy: strategy,
        config: config.data as Prisma.InputJsonValue,
      },
    });
    if (!templates) return created;
    return tx.connection.update({ where: { id: created.id }, data: { credentials: hub.vault.encryptJson(templates, vaultContext.connection(created.id)) } });
  });
  await recordActivity(hub.db, {
    orgId,
    type: 'connection.created',
    message: `Connection "${connection.name}" to ${plugin.displayName} created (${strategy})`,
    connectionId: connection.id,
    data: { integrationKey: plugin.key, authMode: connection.authMode, tokenStrategy: strategy },
  });
  return connection;
}

/** Where a PASSTHROUGH connection finds the end user's credentials by default. */
function passthroughTemplates(mode: AuthMode): Record<string, string> {
  const token = '{{ user.metadata.apiToken }}';
  switch (mode) {
    case 'API_KEY':
      return { apiKey: token };
    case 'BOT_TOKEN':
      return { botToken: token };
    case 'OAUTH2':
    case 'OAUTH2_CLIENT_CREDENTIALS':
      return { accessToken: token };
    case 'BASIC':
      return { username: '{{ user.metadata.username }}', password: '{{ user.metadata.password }}' };
    default:
      return {};
  }
}

/** Runs the plugin's test hook and records the outcome on the connection (ACTIVE or ERROR). */
export async function runConnectionTest(hub: Hub, orgId: string, connectionId: string) {
  const existing = await hub.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!existing) throw notFound('Connection');
  if (existing.tokenStrategy !== 'SERVICE_ACCOUNT') {
    return { ok: true, latencyMs: 0, message: `A ${existing.tokenStrategy} connection has no account of its own to test: test an end user's run instead` };
  }
  let result: { ok: boolean; latencyMs: number; message: string | null };
  try {
    const loaded = await loadConnection(hub, orgId, connectionId, { forTest: true });
    result = await testStoredConnection(hub, loaded, AbortSignal.timeout(TEST_TIMEOUT_MS));
  } catch (err) {
    result = { ok: false, latencyMs: 0, message: (err as Error).message };
  }
  if (!['EXPIRED', 'REVOKED'].includes(existing.status)) {
    await hub.db.prisma.connection.update({
      where: { id: connectionId },
      data: { status: result.ok ? 'ACTIVE' : 'ERROR', lastError: result.ok ? null : result.message },
    });
  }
  await recordActivity(hub.db, {
    orgId,
    type: result.ok ? 'connection.tested' : 'connection.test_failed',
    level: result.ok ? 'info' : 'warn',
    message: `Connection "${existing.name}" ${result.ok ? 'works' : `failed its test: ${result.message}`}`,
    connectionId,
    data: { ok: result.ok, latencyMs: result.latencyMs },
  });
  return result;
}

/** Deletes the connection; its credentials go with the row. The last state is returned. */
export async function deleteConnection(hub: Hub, orgId: string, connectionId: string): Promise<Connection> {
  const existing = await hub.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!existing) throw notFound('Connection');
  if (OAUTH_MODES.includes(existing.authMode)) await retireTokens(hub, existing);
  await retireSchedules(hub, connectionId);
  // Its sync states go with it (cascade); its synced records and polls have no foreign key.
  await hub.db.prisma.$transaction([
    hub.db.prisma.syncRecord.deleteMany({ where: { connectionId } }),
    hub.db.prisma.connection.delete({ where: { id: connectionId } }),
  ]);
  await recordActivity(hub.db, {
    orgId,
    type: 'connection.deleted',
    message: `Connection "${existing.name}" deleted`,
    connectionId,
    data: { integrationKey: existing.integrationKey },
  });
  return { ...existing, status: 'REVOKED', credentials: null, updatedAt: new Date() };
}

/**
 * The Temporal Schedules working on the connection: its syncs', and the polls of flows whose
 * trigger polls it (those flows stay, their poll disarmed and marked with why). An unreachable
 * Temporal does not block the delete: a schedule left behind finds the connection gone.
 */
async function retireSchedules(hub: Hub, connectionId: string) {
  const { prisma } = hub.db;
  const syncs = await prisma.syncState.findMany({ where: { connectionId }, select: { id: true } });
  const polls = await prisma.triggerPoll.findMany({ where: { connectionId }, select: { id: true } });
  try {
    for (const sync of syncs) await deleteSyncSchedule(hub.temporal, sync.id);
    for (const poll of polls) await deleteTriggerPollSchedule(hub.temporal, poll.id);
  } catch (err) {
    hub.logger.warn({ err, connectionId }, 'could not delete the connection\'s schedules; they stop when they find it gone');
  }
  if (polls.length) {
    await prisma.triggerPoll.updateMany({ where: { connectionId }, data: { lastError: 'The connection was deleted: choose another and enable the flow again' } });
    await prisma.flow.updateMany({ where: { poll: { is: { connectionId } } }, data: { enabled: false } });
  }
}

/**
 * Before an OAuth connection's row (and its tokens) goes: revoke upstream (RFC 7009, when the
 * app has a revocation URL) and end its token workflow. Neither may block the delete: a
 * provider or Temporal outage is logged, and the workflow ends on its own once the row is gone.
 */
async function retireTokens(hub: Hub, connection: Connection) {
  try {
    await revokeStoredTokens(hub, connection);
  } catch (err) {
    hub.logger.warn({ err: { message: (err as Error).message }, connectionId: connection.id }, 'token revocation at the provider failed; deleting anyway');
  }
  try {
    await stopConnectionTokens(hub.temporal, connection.id);
  } catch (err) {
    hub.logger.warn({ err, connectionId: connection.id }, 'could not stop the token workflow; it ends when it finds the connection gone');
  }
}

function joinPath(prefix: string, path: string) {
  return path ? `${prefix}.${path}` : prefix;
}
