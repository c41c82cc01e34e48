// A manifest's `oauth` block (ChiefOnboarding format): the user is sent to `authenticate_url`,
// comes back to /oauth/callback with a `code`, the `access_token` request turns it into tokens,
// and the `refresh` request renews them. As in ChiefOnboarding, the token request's whole JSON
// answer is the manifest's `oauth` variable ({{ oauth.access_token }}, {{ oauth.instance_url }}),
// a refresh answer is merged into it, and `{{ redirect_url }}` is the hub's callback URL.
// Shared by the api (authorize URL, code exchange) and the worker (refresh in the
// connection-tokens workflow); tokens live only in the connection's vault ciphertext.
import type { Connection, Database } from '@patchbay/db';
import { vaultContext, type Vault } from '@patchbay/db/vault';
import { isPluginError } from '@patchbay/sdk';
import { OAuthProviderError } from '../runtime/oauth.ts';
import { scrubString, secretValues } from '../runtime/scrub.ts';
import { findManifest } from './registry.ts';
import { applyHostOverride, hostOverridesFor, manifestScope, renderValue, sendRequest, type ResponseSummary } from './runtime.ts';
import type { Manifest } from './schema.ts';

export type ManifestOAuth = NonNullable<Manifest['oauth']>;
type PlainRequest = ManifestOAuth['access_token'];

/** What a manifest connection stores (vault ciphertext): initial_data_form values, and the oauth block's tokens. */
export interface ManifestCredentials {
  initialData?: Record<string, string>;
  /** The token endpoint's JSON answer (refresh answers merged in): `{{ oauth.* }}`. */
  oauth?: Record<string, unknown>;
  /** `{{ redirect_url }}` as it was when the flow started (the refresh request may need it). */
  redirectUrl?: string;
}

/** Keys of a token answer whose values are secret (blanked from outputs, errors and logs). */
const SECRET_KEY = /token|secret|password|code|assertion|key/i;
/** …except the descriptive ones (`token_type: "Bearer"` must not blank every "Bearer" in outputs). */
const PUBLIC_KEY = /^token_type$|expires|scope/i;

/** The secret values of a connection's stored credentials, for scrubbing. */
export function manifestSecretValues(credentials: ManifestCredentials): string[] {
  const fromOAuth = Object.entries(credentials.oauth ?? {})
    .filter(([key, value]) => SECRET_KEY.test(key) && !PUBLIC_KEY.test(key) && typeof value === 'string')
    .map(([, value]) => value);
  return secretValues(credentials.initialData ?? {}, fromOAuth);
}

/** The template variables the credentials add: initial data, `oauth`, `redirect_url`. */
export function credentialScopeExtra(credentials: ManifestCredentials): Record<string, unknown> {
  return {
    ...(credentials.oauth ? { oauth: credentials.oauth } : {}),
    ...(credentials.redirectUrl ? { redirect_url: credentials.redirectUrl } : {}),
  };
}

/** The scope of a request sent with these credentials (sync pages, form options, the refresh request). */
export function credentialScope(credentials: ManifestCredentials): Record<string, unknown> {
  return manifestScope({ initialData: credentials.initialData ?? {}, extra: credentialScopeExtra(credentials) });
}

export function decryptManifestCredentials(vault: Vault, row: Pick<Connection, 'id' | 'credentials'>): ManifestCredentials {
  return row.credentials ? vault.decryptJson<ManifestCredentials>(row.credentials, vaultContext.connection(row.id)) : {};
}

/**
 * The provider's authorization URL: `authenticate_url` rendered with the initial data,
 * `{{ redirect_url }}` and `{{ state }}`. When the template does not place the state itself, it
 * is added as the `state` query parameter (providers echo it back, which binds the callback to
 * this one pending connection). The connection's host overrides apply, as to every request.
 */
export async function manifestAuthorizationUrl(
  oauth: ManifestOAuth,
  values: { initialData: Record<string, string>; redirectUrl: string; state: string; config?: Record<string, unknown> | null },
): Promise<string> {
  const rendered = await renderValue(oauth.authenticate_url, manifestScope({ initialData: values.initialData, extra: { redirect_url: values.redirectUrl, state: values.state } }));
  let url: URL;
  try {
    url = new URL(rendered);
  } catch {
    throw new OAuthProviderError('oauth.authenticate_url does not render to an absolute URL', 'invalid');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OAuthProviderError('oauth.authenticate_url must be an http(s) URL', 'invalid');
  if (!url.toString().includes(values.state)) url.searchParams.set('state', values.state);
  return applyHostOverride(url.toString(), hostOverridesFor(values.config)).toString();
}

export interface ManifestGrant {
  oauth: Record<string, unknown>;
  /** From `expires_in`; null when the answer gives no lifetime or the manifest has no `refresh` (the token is then permanent). */
  expiresAt: Date | null;
}

interface ExchangeContext {
  manifest: Manifest;
  credentials: ManifestCredentials;
  config: Record<string, unknown> | null | undefined;
}

/**
 * The callback's `code` for tokens: the `access_token` request, rendered with the initial data,
 * `{{ redirect_url }}` and `{{ code }}`; unless `without_code`, `code=<code>` is also added to its
 * URL as ChiefOnboarding does. Throws OAuthProviderError (secrets scrubbed) when it fails.
 */
export async function exchangeManifestCode(deps: object, ctx: ExchangeContext & { code: string | null }): Promise<ManifestGrant> {
  const oauth = ctx.manifest.oauth!;
  const scope = manifestScope({ initialData: ctx.credentials.initialData ?? {}, extra: { ...credentialScopeExtra(ctx.credentials), code: ctx.code ?? '' } });
  const hidden = secretValues(ctx.credentials.initialData ?? {}, ctx.code ?? '');
  const response = await tokenRequest(deps, ctx, oauth.access_token, scope, hidden, (url) => {
    if (oauth.without_code || !ctx.code) return url;
    const target = new URL(url);
    if (!target.searchParams.has('code')) target.searchParams.set('code', ctx.code);
    return target.toString();
  }, 'access_token');
  const answer = tokenAnswer(response, 'access_token');
  return { oauth: answer, expiresAt: oauth.refresh ? expiryOf(answer) : null };
}

/**
 * The `refresh` request, rendered with the initial data and the current `{{ oauth.* }}`; its answer
 * is merged into the stored `oauth` (a provider that rotates refresh tokens replaces them, one that
 * does not keeps the old one).
 */
export async function refreshManifestGrant(deps: object, ctx: ExchangeContext): Promise<ManifestGrant> {
  const oauth = ctx.manifest.oauth!;
  if (!oauth.refresh) throw new OAuthProviderError('This manifest has no oauth.refresh request: its token is permanent; connect again to get a new one', 'rejected', 'invalid_grant');
  const scope = credentialScope(ctx.credentials);
  const response = await tokenRequest(deps, ctx, oauth.refresh, scope, manifestSecretValues(ctx.credentials), (url) => url, 'refresh');
  const merged = { ...(ctx.credentials.oauth ?? {}), ...tokenAnswer(response, 'refresh') };
  return { oauth: merged, expiresAt: expiryOf(merged, response.data) };
}

async function tokenRequest(
  deps: object,
  ctx: ExchangeContext,
  request: PlainRequest,
  scope: Record<string, unknown>,
  hidden: string[],
  adjustUrl: (url: string) => string,
  what: string,
): Promise<ResponseSummary> {
  try {
    // Without headers of its own, the request takes the manifest's, minus those that need the token it is fetching.
    const headers = request.headers ?? Object.fromEntries(Object.entries(ctx.manifest.headers).filter(([, v]) => !/\{\{\s*oauth\./.test(v)));
    const url = adjustUrl(await renderValue(request.url, scope));
    const data = request.data === undefined ? undefined : await renderValue(request.data, scope);
    const response = await sendRequest(deps, { url, method: request.method, headers: await renderValue(headers, scope), data }, { overrides: hostOverridesFor(ctx.config), signal: AbortSignal.timeout(15_000) });
    if (response.status >= 500 || response.status === 429) throw new OAuthProviderError(`The oauth.${what} request failed with HTTP ${response.status}`, 'unavailable');
    if (response.status >= 400) {
      const code = errorCodeOf(response.data);
      throw new OAuthProviderError(`The oauth.${what} request was refused (HTTP ${response.status}${code ? ` ${code}` : ''})`, 'rejected', code);
    }
    return response;
  } catch (err) {
    if (err instanceof OAuthProviderError) throw new OAuthProviderError(scrubString(err.message, hidden), err.kind, err.error);
    const message = scrubString((err as Error).message ?? String(err), hidden);
    // Rendering problems and refused URLs are the manifest's; a network failure is worth retrying.
    const kind = isPluginError(err) && err.kind === 'TRANSIENT' ? 'unavailable' : 'invalid';
    throw new OAuthProviderError(`The oauth.${what} request could not be sent: ${message}`, kind);
  }
}

function tokenAnswer(response: ResponseSummary, what: string): Record<string, unknown> {
  const data = response.data;
  if (data && typeof data === 'object' && !Array.isArray(data)) return data as Record<string, unknown>;
  // Some token endpoints answer form-encoded (GitHub without an Accept header).
  if (typeof data === 'string' && /^[\w.-]+=/.test(data)) return Object.fromEntries(new URLSearchParams(data));
  throw new OAuthProviderError(`The oauth.${what} request did not answer a JSON object`, 'invalid');
}

function errorCodeOf(data: unknown): string | undefined {
  const code = data && typeof data === 'object' ? (data as { error?: unknown }).error : undefined;
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? code : undefined;
}

function expiryOf(oauth: Record<string, unknown>, latest: unknown = oauth): Date | null {
  const source = latest && typeof latest === 'object' && 'expires_in' in latest ? (latest as Record<string, unknown>) : oauth;
  const seconds = Number(source.expires_in);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(Date.now() + seconds * 1000) : null;
}

/** The manifest of an OAuth manifest connection; null when the connection is not one. */
export async function manifestOAuthOf(db: Database, row: Pick<Connection, 'orgId' | 'integrationKey'>): Promise<Manifest | null> {
  const found = await findManifest(db, row.orgId, row.integrationKey).catch(() => null);
  if (!found || found.definition.kind !== 'MANIFEST' || !found.definition.manifest.oauth) return null;
  return found.definition.manifest;
}

/** Stores a grant on the connection: credentials re-encrypted, ACTIVE, expiresAt. */
export async function storeManifestGrant(deps: { db: Database; vault: Vault }, row: Connection, credentials: ManifestCredentials, grant: ManifestGrant): Promise<Connection> {
  const next: ManifestCredentials = { ...credentials, oauth: grant.oauth };
  return deps.db.prisma.connection.update({
    where: { id: row.id },
    data: { credentials: deps.vault.encryptJson(next, vaultContext.connection(row.id)), status: 'ACTIVE', expiresAt: grant.expiresAt, lastError: null },
  });
}
