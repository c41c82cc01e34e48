// OAuth2 connections, the api side: startOAuth (PENDING connection + single-use expiring
// state + PKCE), the /oauth/callback outcome, client-credentials connections and
// refreshConnection. Provider calls live in @patchbay/workflows/oauth so the worker shares them.
import { createHash } from 'node:crypto';
import { recordActivity, type Connection, type Prisma } from '@patchbay/db';
import { vaultContext } from '@patchbay/db/vault';
import { issuesOf, z, type AnyAuthMethod } from '@patchbay/sdk';
import { buildAuthorizationRequest, exchangeAuthorizationCode, fetchClientCredentialsToken, oauthVaultContext, OAuthProviderError } from '@patchbay/workflows/oauth';
import { signalRefresh, startConnectionTokens } from '@patchbay/workflows';
import { clientCredentialsScopes, OAuthSetupError, refreshStoredTokens, resolveOAuthApp, storeGrant, type ClientPair, type ResolvedOAuthApp } from '@patchbay/workflows/oauth-connections';
import type { Hub } from '../context.ts';
import { badInput, notFound, unavailable } from '../errors.ts';
import type { NewConnection } from './connections.ts';
import { completeManifestOAuth } from './manifests.ts';

/** How long a user has between startOAuth and the provider redirecting back. */
export const STATE_TTL_MS = 10 * 60_000;

export const callbackUrlOf = (hub: Hub) => `${hub.config.publicUrl}/oauth/callback`;
export const hashState = (state: string) => createHash('sha256').update(state).digest('hex');

export interface StartOAuthInput {
  integrationKey: string;
  name: string;
  scopes?: string[] | null;
  redirectUrl?: string | null;
  config?: unknown;
  /** PER_USER connections (hosted connect links): the app's end user. */
  endUserId?: string | null;
}

export async function startOAuthFlow(hub: Hub, orgId: string, input: StartOAuthInput): Promise<{ authorizationUrl: string; connection: Connection }> {
  const { plugin, method } = oauthMethod(hub, input.integrationKey, 'OAUTH2');
  const config = parseConfig(method, input.config);
  const resolved = await setupOrBadInput(() => resolveOAuthApp(hub, orgId, plugin.key, 'OAUTH2', { config }));
  if (!resolved.settings.authorizationUrl) {
    throw badInput(`The OAuth app for "${plugin.key}" needs an authorizationUrl (setOAuthApp)`, [{ path: 'integrationKey', message: 'no authorization URL' }]);
  }
  const scopes = input.scopes ?? resolved.defaultScopes;
  const request = await buildAuthorizationRequest({
    app: resolved.settings,
    redirectUri: callbackUrlOf(hub),
    scopes,
    pkce: resolved.pkce,
    extraParams: { ...resolved.extraAuthorizeParams, ...stringRecord(config.authorizeParams) },
  });
  const connection = await hub.db.prisma.$transaction(async (tx) => {
    const created = await tx.connection.create({
      data: {
        orgId, integrationKey: plugin.key, name: input.name, authMode: 'OAUTH2', status: 'PENDING',
        config: config as Prisma.InputJsonValue, endUserId: input.endUserId ?? null,
      },
    });
    const state = await tx.oAuthState.create({
      data: {
        stateHash: hashState(request.state), orgId, connectionId: created.id, codeVerifier: '',
        redirectUrl: input.redirectUrl ?? null, scopes, expiresAt: new Date(Date.now() + STATE_TTL_MS),
      },
    });
    // The verifier is sealed to its state row, so the row exists first.
    await tx.oAuthState.update({ where: { id: state.id }, data: { codeVerifier: hub.vault.encrypt(request.codeVerifier, oauthVaultContext.state(state.id)) } });
    return created;
  });
  return { authorizationUrl: request.url, connection };
}

export type CallbackOutcome =
  | { ok: true; connectionId: string; redirectUrl: string | null }
  | { ok: false; message: string; connectionId: string | null; redirectUrl: string | null };

/**
 * The provider sent the user back. The state is checked (known, unexpired, unused — claimed
 * atomically so a replay loses), the code exchanged, and the tokens stored; any failure leaves
 * the connection ERROR with a human lastError and no tokens.
 */
export async function completeOAuthCallback(hub: Hub, params: URLSearchParams): Promise<CallbackOutcome> {
  const state = params.get('state');
  if (!state) return { ok: false, message: 'The provider sent no state back. Start connecting again from the app.', connectionId: null, redirectUrl: null };
  const row = await hub.db.prisma.oAuthState.findUnique({ where: { stateHash: hashState(state) }, include: { connection: true } });
  if (!row) return { ok: false, message: 'This sign-in is unknown or was cancelled. Start connecting again from the app.', connectionId: null, redirectUrl: null };
  const fail = async (message: string): Promise<CallbackOutcome> => {
    await markFailed(hub, row.connection, message);
    return { ok: false, message, connectionId: row.connectionId, redirectUrl: row.redirectUrl };
  };
  // A replay (a second tab, a double submit, an attacker) fails on its own: the first use of
  // the state decides the connection's fate, so the connection is not touched.
  const replayed: CallbackOutcome = { ok: false, message: 'This sign-in response was already used. Start connecting again from the app.', connectionId: row.connectionId, redirectUrl: row.redirectUrl };
  const now = new Date();
  if (row.usedAt) return replayed;
  if (row.expiresAt <= now) return fail(`The sign-in took longer than ${STATE_TTL_MS / 60_000} minutes. Start connecting again from the app.`);
  const claimed = await hub.db.prisma.oAuthState.updateMany({ where: { id: row.id, usedAt: null, expiresAt: { gt: now } }, data: { usedAt: now } });
  if (claimed.count !== 1) return replayed;

  // A manifest's oauth block (no plugin of that key): its own access_token request, see services/manifests.ts.
  if (!hub.plugins.get(row.connection.integrationKey)) {
    const manifestOutcome = await completeManifestOAuth(hub, row, params);
    if (manifestOutcome) return manifestOutcome.ok ? { ok: true, connectionId: row.connectionId, redirectUrl: row.redirectUrl } : fail(manifestOutcome.message);
  }

  let resolved: ResolvedOAuthApp;
  try {
    resolved = await resolveOAuthApp(hub, row.orgId, row.connection.integrationKey, 'OAUTH2', { config: configOf(row.connection) });
  } catch (err) {
    if (err instanceof OAuthSetupError) return fail(err.message);
    throw err;
  }
  try {
    const grant = await exchangeAuthorizationCode({
      app: resolved.settings,
      callbackParams: params,
      expectedState: state,
      redirectUri: callbackUrlOf(hub),
      codeVerifier: resolved.pkce ? hub.vault.decrypt(row.codeVerifier, oauthVaultContext.state(row.id)) : null,
      requestedScopes: row.scopes,
    });
    await storeGrant(hub, row.connectionId, grant);
    await startTokenLifecycle(hub, { id: row.connectionId, orgId: row.orgId });
    await recordActivity(hub.db, {
      orgId: row.orgId,
      type: 'connection.created',
      message: `Connection "${row.connection.name}" to ${displayNameOf(hub, row.connection.integrationKey)} connected`,
      connectionId: row.connectionId,
      data: { integrationKey: row.connection.integrationKey, authMode: 'OAUTH2', scopes: grant.scopes },
    });
    return { ok: true, connectionId: row.connectionId, redirectUrl: row.redirectUrl };
  } catch (err) {
    if (err instanceof OAuthProviderError) return fail(err.message);
    // Not the provider's doing (database, vault): the connection must not stay PENDING forever.
    await markFailed(hub, row.connection, 'An internal error stopped the connection. Start connecting again from the app.').catch(() => undefined);
    throw err;
  }
}

/**
 * createConnection with OAUTH2_CLIENT_CREDENTIALS: a token is fetched now, with the
 * connection's own `credentials: { clientId, clientSecret }` when given, else the org's app.
 */
export async function createClientCredentialsConnection(hub: Hub, orgId: string, input: NewConnection): Promise<Connection> {
  const { plugin, method } = oauthMethod(hub, input.integrationKey, 'OAUTH2_CLIENT_CREDENTIALS');
  const config = parseConfig(method, input.config);
  const client = parseClientPair(input.credentials);
  const resolved = await setupOrBadInput(() => resolveOAuthApp(hub, orgId, plugin.key, 'OAUTH2_CLIENT_CREDENTIALS', { config, client }));
  const created = await hub.db.prisma.connection.create({
    data: { orgId, integrationKey: plugin.key, name: input.name, authMode: 'OAUTH2_CLIENT_CREDENTIALS', status: 'PENDING', config: config as Prisma.InputJsonValue },
  });
  try {
    const grant = await fetchClientCredentialsToken({ app: resolved.settings, scopes: clientCredentialsScopes(config, resolved.defaultScopes) });
    const connection = await storeGrant(hub, created.id, grant, client);
    await startTokenLifecycle(hub, connection);
    await recordActivity(hub.db, {
      orgId,
      type: 'connection.created',
      message: `Connection "${connection.name}" to ${plugin.displayName} created`,
      connectionId: connection.id,
      data: { integrationKey: plugin.key, authMode: connection.authMode, scopes: grant.scopes },
    });
    return connection;
  } catch (err) {
    if (!(err instanceof OAuthProviderError)) throw err;
    // The connection's own client pair is kept (encrypted) so refreshConnection can try again.
    if (client) {
      await hub.db.prisma.connection.update({ where: { id: created.id }, data: { credentials: hub.vault.encryptJson(client, vaultContext.connection(created.id)) } });
    }
    return markFailed(hub, created, err.message);
  }
}

/** How long refreshConnection waits for the token workflow to store the outcome. */
export const REFRESH_WAIT_MS = 30_000;

/**
 * refreshConnection: asks the connection's token workflow for a refresh now (starting it when
 * none runs) and waits, bounded, for the row to change — the workflow is the only refresher,
 * so a manual refresh never races a timed one or an action's 401.
 */
export async function refreshConnectionTokens(hub: Hub, orgId: string, connectionId: string): Promise<Connection> {
  const existing = await hub.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!existing) throw notFound('Connection');
  // The set-up problems refreshStoredTokens would report, answered here instead of in a workflow.
  if (existing.authMode !== 'OAUTH2' && existing.authMode !== 'OAUTH2_CLIENT_CREDENTIALS') {
    const message = `Connection "${existing.name}" is ${existing.authMode}: only OAuth2 connections have tokens to refresh`;
    throw badInput(message, [{ path: 'id', message }]);
  }
  if (existing.status === 'PENDING' || existing.status === 'REVOKED' || (existing.authMode === 'OAUTH2' && !existing.credentials)) {
    const message = `Connection "${existing.name}" is ${existing.status}: it has no tokens to refresh`;
    throw badInput(message, [{ path: 'id', message }]);
  }
  await signalRefresh(hub.temporal, existing);
  const deadline = Date.now() + REFRESH_WAIT_MS;
  while (Date.now() < deadline) {
    const row = await hub.db.prisma.connection.findUnique({ where: { id: connectionId } });
    if (!row) throw notFound('Connection');
    if (row.updatedAt > existing.updatedAt) return row;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw unavailable('The token refresh is taking longer than expected (the provider may be unreachable); it keeps being retried in the background.');
}

/** Starts the token workflow of a connection that just became ACTIVE; Temporal being down must not undo the connect. */
async function startTokenLifecycle(hub: Hub, connection: { id: string; orgId: string }) {
  try {
    await startConnectionTokens(hub.temporal, connection);
  } catch (err) {
    hub.logger.warn({ err, connectionId: connection.id }, 'could not start the token workflow; refreshConnection or the next 401 starts it');
  }
}

// ---- helpers ---------------------------------------------------------------------------------

function oauthMethod(hub: Hub, integrationKey: string, mode: 'OAUTH2' | 'OAUTH2_CLIENT_CREDENTIALS') {
  const plugin = hub.plugins.get(integrationKey);
  if (!plugin) throw badInput(`Unknown integration "${integrationKey}"`, [{ path: 'integrationKey', message: 'no such integration' }]);
  const method = plugin.auth.find((a) => a.mode === mode);
  if (!method) throw badInput(`Integration "${plugin.key}" does not support ${mode}`, [{ path: 'integrationKey', message: `no ${mode} auth` }]);
  return { plugin, method };
}

function parseConfig(method: AnyAuthMethod, config: unknown): Record<string, unknown> {
  const parsed = method.config.safeParse(config ?? {});
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error).map((i) => ({ ...i, path: i.path ? `config.${i.path}` : 'config' }));
  throw badInput(`Invalid connection: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

const clientPairSchema = z.strictObject({ clientId: z.string().min(1, 'is required'), clientSecret: z.string().min(1, 'is required') });

function parseClientPair(credentials: unknown): ClientPair | undefined {
  if (credentials === undefined || credentials === null || (typeof credentials === 'object' && Object.keys(credentials).length === 0)) return undefined;
  const parsed = clientPairSchema.safeParse(credentials);
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error).map((i) => ({ ...i, path: i.path ? `credentials.${i.path}` : 'credentials' }));
  throw badInput(`Invalid connection: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')} (give both clientId and clientSecret, or neither to use the OAuth app)`, issues);
}

async function setupOrBadInput<T>(resolve: () => Promise<T>): Promise<T> {
  try {
    return await resolve();
  } catch (err) {
    if (err instanceof OAuthSetupError) throw badInput(err.message, [{ path: err.path ?? 'integrationKey', message: err.message }]);
    throw err;
  }
}

/** ERROR with the reason, unless the connection already works (a replayed callback must not break it). */
async function markFailed(hub: Hub, connection: Connection, message: string): Promise<Connection> {
  const { count } = await hub.db.prisma.connection.updateMany({
    where: { id: connection.id, status: { in: ['PENDING', 'ERROR'] } },
    data: { status: 'ERROR', lastError: message },
  });
  if (count) {
    await recordActivity(hub.db, {
      orgId: connection.orgId,
      type: 'connection.failed',
      level: 'warn',
      message: `Connection "${connection.name}" could not be completed: ${message}`,
      connectionId: connection.id,
      data: { integrationKey: connection.integrationKey, authMode: connection.authMode },
    });
  }
  return (await hub.db.prisma.connection.findUnique({ where: { id: connection.id } })) ?? { ...connection, status: 'ERROR', lastError: message };
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function configOf(connection: Connection): Record<string, unknown> {
  return (connection.config ?? {}) as Record<string, unknown>;
}

function displayNameOf(hub: Hub, key: string): string {
  return hub.plugins.get(key)?.displayName ?? key;
}
