// The database-facing half of OAuth2: which client and URLs a connection uses (the org's
// OAuth app over the plugin's defaults), storing a token grant on a connection, refreshing or
// re-fetching a stored connection's token, and revoking it. Lives in the workflows package so
// the token-lifecycle workflow's activities can call the same code the api calls today.
import { recordActivity, type AuthMode, type Connection, type Database, type Prisma } from '@patchbay/db';
import { vaultContext, type Vault } from '@patchbay/db/vault';
import type { PluginRegistry } from '../shared/plugin-registry.ts';
import { decryptManifestCredentials, manifestOAuthOf, refreshManifestGrant, storeManifestGrant, type ManifestGrant } from '../manifests/oauth.ts';
import {
  fetchClientCredentialsToken,
  oauthVaultContext,
  OAuthProviderError,
  refreshAccessToken,
  revokeTokens,
  type ClientAuthMethod,
  type OAuthClientSettings,
  type OAuthTokens,
  type TokenGrant,
} from './oauth.ts';

export interface OAuthDeps {
  db: Database;
  vault: Vault;
  plugins: PluginRegistry;
}

/** A set-up problem the caller can fix (no OAuth app, no token URL, …): not the provider's fault. */
export class OAuthSetupError extends Error {
  override name = 'OAuthSetupError';
  constructor(message: string, readonly path?: string) {
    super(message);
  }
}

/** A client's own id and secret, given on a client-credentials connection instead of the org's app. */
export interface ClientPair {
  clientId: string;
  clientSecret: string;
}

/** Stored (encrypted) on an OAuth connection: the tokens, plus the connection's own client pair if it has one. */
export type StoredOAuthCredentials = OAuthTokens & Partial<ClientPair>;

export interface ResolvedOAuthApp {
  settings: OAuthClientSettings;
  /** The org app's scopes if it lists any, else the plugin's. */
  defaultScopes: string[];
  pkce: boolean;
  extraAuthorizeParams: Record<string, string>;
}

const OAUTH_MODES: AuthMode[] = ['OAUTH2', 'OAUTH2_CLIENT_CREDENTIALS'];

/**
 * The client and URLs for `integrationKey` in `orgId`: URLs from the org's OAuth app when it
 * names them, else the plugin's oauth settings; the client from `client` when given, else the
 * app (secret decrypted). `config.tokenEndpointAuthMethod` picks how the secret is sent.
 */
export async function resolveOAuthApp(
  deps: OAuthDeps,
  orgId: string,
  integrationKey: string,
  mode: AuthMode,
  options: { config?: Record<string, unknown>; client?: ClientPair } = {},
): Promise<ResolvedOAuthApp> {
  const plugin = deps.plugins.get(integrationKey);
  if (!plugin) throw new OAuthSetupError(`Integration "${integrationKey}" is not loaded in this hub`, 'integrationKey');
  const method = plugin.auth.find((a) => a.mode === mode);
  if (!method?.oauth || !OAUTH_MODES.includes(mode)) throw new OAuthSetupError(`Integration "${plugin.key}" does not support ${mode}`, 'authMode');
  const app = await deps.db.prisma.oAuthApp.findUnique({ where: { orgId_integrationKey: { orgId, integrationKey: plugin.key } } });
  const client = options.client ?? (app && { clientId: app.clientId, clientSecret: deps.vault.decrypt(app.clientSecret, oauthVaultContext.app(app.id)) });
  if (!client) throw new OAuthSetupError(`No OAuth app for "${plugin.key}" in this organization: register its client id and secret with setOAuthApp first`, 'integrationKey');
  const fromConfig = method.oauth.urlsFromConfig?.(options.config ?? {}) ?? {};
  const tokenUrl = app?.tokenUrl || fromConfig.tokenUrl || method.oauth.tokenUrl;
  if (!tokenUrl) throw new OAuthSetupError(`The OAuth app for "${plugin.key}" needs a tokenUrl (setOAuthApp)`, 'tokenUrl');
  const authMethod = options.config?.tokenEndpointAuthMethod;
  return {
    settings: {
      ...client,
      authorizationUrl: app?.authorizationUrl || fromConfig.authorizationUrl || method.oauth.authorizationUrl || null,
      tokenUrl,
      revocationUrl: app?.revocationUrl || fromConfig.revocationUrl || method.oauth.revocationUrl || null,
      scopeSeparator: method.oauth.scopeSeparator ?? ' ',
      clientAuthMethod: authMethod === 'client_secret_basic' || authMethod === 'client_secret_post' ? (authMethod as ClientAuthMethod) : undefined,
    },
    defaultScopes: app?.scopes.length ? app.scopes : (method.scopes ?? []),
    pkce: method.oauth.pkce !== false,
    extraAuthorizeParams: method.oauth.extraAuthorizeParams ?? {},
  };
}

export function storedCredentials(grant: TokenGrant, client?: ClientPair): StoredOAuthCredentials {
  return { ...grant.credentials, ...(client ? { clientId: client.clientId, clientSecret: client.clientSecret } : {}) };
}

/**
 * Puts a fresh grant on the connection: credentials encrypted, ACTIVE, expiresAt, granted
 * scopes, and whatever the plugin keeps of the token response in config.
 */
export async function storeGrant(deps: OAuthDeps, connectionId: string, grant: TokenGrant, client?: ClientPair): Promise<Connection> {
  const row = await deps.db.prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
  const keep = deps.plugins.get(row.integrationKey)?.auth.find((a) => a.mode === row.authMode)?.oauth?.configFromTokenResponse;
  const kept = keep ? keep(grant.extra) : {};
  return deps.db.prisma.connection.update({
    where: { id: connectionId },
    data: {
      ...(Object.keys(kept).length ? { config: { ...configOf(row), ...kept } as Prisma.InputJsonValue } : {}),
      credentials: deps.vault.encryptJson(storedCredentials(grant, client), vaultContext.connection(connectionId)),
      status: 'ACTIVE',
      expiresAt: grant.expiresAt,
      scopes: grant.scopes,
      lastError: null,
    },
  });
}

function decryptStored(deps: OAuthDeps, row: Connection): StoredOAuthCredentials | null {
  return row.credentials ? deps.vault.decryptJson<StoredOAuthCredentials>(row.credentials, vaultContext.connection(row.id)) : null;
}

function clientPairOf(stored: StoredOAuthCredentials | null): ClientPair | undefined {
  return stored?.clientId && stored.clientSecret ? { clientId: stored.clientId, clientSecret: stored.clientSecret } : undefined;
}

export type RefreshOutcome = { refreshed: true; connection: Connection } | { refreshed: false; connection: Connection; message: string };

/**
 * New tokens for a stored OAuth connection: a refresh-token grant for code-flow connections, a
 * new client-credentials token otherwise. When the provider refuses (invalid_grant, a revoked
 * client), the connection becomes EXPIRED with the reason and `connection.expired` is
 * recorded. When the provider cannot be reached, an OAuthProviderError (kind `unavailable`)
 * is thrown and nothing changes, so the caller can retry.
 */
export async function refreshStoredTokens(deps: OAuthDeps, orgId: string, connectionId: string): Promise<RefreshOutcome> {
  const row = await deps.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!row) throw new OAuthSetupError('Connection not found', 'id');
  if (!OAUTH_MODES.includes(row.authMode)) throw new OAuthSetupError(`Connection "${row.name}" is ${row.authMode}: only OAuth2 connections have tokens to refresh`, 'id');
  if (row.status === 'PENDING' || row.status === 'REVOKED') throw new OAuthSetupError(`Connection "${row.name}" is ${row.status}: it has no tokens to refresh`, 'id');
  // A manifest's oauth block renews with its own `refresh` request (manifests/oauth.ts).
  const manifest = row.authMode === 'OAUTH2' && !deps.plugins.get(row.integrationKey) ? await manifestOAuthOf(deps.db, row) : null;
  if (manifest) return refreshManifestTokens(deps, row, manifest);
  const stored = decryptStored(deps, row);
  if (row.authMode === 'OAUTH2' && !stored?.accessToken) throw new OAuthSetupError(`Connection "${row.name}" never completed its sign-in: connect it again with startOAuth`, 'id');
  const client = clientPairOf(stored);
  let grant: TokenGrant;
  try {
    const { settings, defaultScopes } = await resolveOAuthApp(deps, orgId, row.integrationKey, row.authMode, { config: configOf(row), client });
    if (row.authMode === 'OAUTH2_CLIENT_CREDENTIALS') {
      grant = await fetchClientCredentialsToken({ app: settings, scopes: clientCredentialsScopes(configOf(row), defaultScopes) });
    } else {
      grant = await refreshAccessToken({ app: settings, previous: stored! });
    }
  } catch (err) {
    return expireAfterRefusal(deps, row, err);
  }
  const connection = await storeGrant(deps, row.id, grant, client);
  await recordRefreshed(deps, row, grant.expiresAt, grant.scopes);
  return { refreshed: true, connection };
}

/** The provider refused (or the set-up is broken): EXPIRED with the reason; unreachable: rethrown for a retry. */
async function expireAfterRefusal(deps: OAuthDeps, row: Connection, err: unknown): Promise<RefreshOutcome> {
  if (err instanceof OAuthProviderError && err.kind === 'unavailable') throw err;
  const message = err instanceof OAuthProviderError || err instanceof OAuthSetupError ? err.message : 'The token could not be renewed';
  const expired = await deps.db.prisma.connection.update({ where: { id: row.id }, data: { status: 'EXPIRED', lastError: message } });
  await recordActivity(deps.db, {
    orgId: row.orgId,
    type: 'connection.expired',
    level: 'warn',
    message: `Connection "${row.name}" expired: ${message}`,
    connectionId: row.id,
    data: { integrationKey: row.integrationKey, authMode: row.authMode, ...(err instanceof OAuthProviderError && err.error ? { error: err.error } : {}) },
  });
  return { refreshed: false, connection: expired, message };
}

async function recordRefreshed(deps: OAuthDeps, row: Connection, expiresAt: Date | null, scopes: string[]) {
  await recordActivity(deps.db, {
    orgId: row.orgId,
    type: 'connection.refreshed',
    message: `Connection "${row.name}" has a new access token`,
    connectionId: row.id,
    data: { integrationKey: row.integrationKey, expiresAt: expiresAt?.toISOString() ?? null, scopes },
  });
}

/** A manifest connection's `oauth.refresh` request (run only here, i.e. by the connection-tokens workflow). */
async function refreshManifestTokens(deps: OAuthDeps, row: Connection, manifest: NonNullable<Awaited<ReturnType<typeof manifestOAuthOf>>>): Promise<RefreshOutcome> {
  const credentials = decryptManifestCredentials(deps.vault, row);
  if (!credentials.oauth) throw new OAuthSetupError(`Connection "${row.name}" never completed its sign-in: connect it again with startManifestOAuth`, 'id');
  let grant: ManifestGrant;
  try {
    grant = await refreshManifestGrant(deps, { manifest, credentials, config: configOf(row) });
  } catch (err) {
    return expireAfterRefusal(deps, row, err);
  }
  const connection = await storeManifestGrant(deps, row, credentials, grant);
  await recordRefreshed(deps, row, grant.expiresAt, row.scopes);
  return { refreshed: true, connection };
}

/** RFC 7009 revocation of a stored connection's tokens; false when there was nothing to revoke or no endpoint. */
export async function revokeStoredTokens(deps: OAuthDeps, row: Connection): Promise<boolean> {
  if (!OAUTH_MODES.includes(row.authMode)) return false;
  const stored = decryptStored(deps, row);
  if (!stored?.accessToken) return false;
  const { settings } = await resolveOAuthApp(deps, row.orgId, row.integrationKey, row.authMode, { config: configOf(row), client: clientPairOf(stored) });
  return revokeTokens({ app: settings, tokens: stored });
}

/** A client-credentials connection asks for `config.scopes` when it names them, else the defaults. */
export function clientCredentialsScopes(config: Record<string, unknown>, defaults: string[]): string[] {
  const scopes = config.scopes;
  return Array.isArray(scopes) && scopes.every((s) => typeof s === 'string') ? scopes : defaults;
}

function configOf(row: Connection): Record<string, unknown> {
  return (row.config ?? {}) as Record<string, unknown>;
}
