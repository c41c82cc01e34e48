// The provider-facing half of OAuth2, on oauth4webapi: authorization URLs (state + PKCE S256),
// code exchange, refresh, client credentials and RFC 7009 revocation. Pure over an app's
// settings (no database), so the api (callback, startOAuth) and the worker (token refresh)
// share it. Every failure becomes an OAuthProviderError with a human message: the library's
// errors can carry the token response in `cause`, so they never leave this module.
import * as oauth from 'oauth4webapi';
import { scrubString, secretValues } from './scrub.ts';

/** Associated-data labels for the vault ciphertexts of OAuth rows (also listed in prisma/src/rotate.ts). */
export const oauthVaultContext = {
  app: (id: string) => `oauth-app:${id}`,
  state: (id: string) => `oauth-state:${id}`,
};

export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic';

/** Everything needed to talk to one provider on behalf of one client. */
export interface OAuthClientSettings {
  clientId: string;
  clientSecret: string;
  authorizationUrl?: string | null;
  tokenUrl: string;
  revocationUrl?: string | null;
  /** Default client_secret_post: the form most providers accept. */
  clientAuthMethod?: ClientAuthMethod;
  /** How scopes are joined in the authorization URL (default one space). */
  scopeSeparator?: string;
  /** The fetch used for token and revocation calls (the hub's network guard can go here); default global fetch. */
  fetch?: typeof fetch;
}

/** What a connection's credentials hold (the SDK's OAuth2Credentials). */
export interface OAuthTokens {
  accessToken: string;
  refreshToken?: string;
  tokenType?: string;
  expiresAt?: string;
  scope?: string;
}

export interface TokenGrant {
  credentials: OAuthTokens;
  expiresAt: Date | null;
  /** Granted scopes: the response's `scope`, else what was asked for (RFC 6749 §5.1). */
  scopes: string[];
  /** The token response's other, non-secret fields (Salesforce's instance_url, Slack's team, …). */
  extra: Record<string, unknown>;
}

/** Token-response fields that are secret or already in `credentials`: never copied to `extra`. */
const TOKEN_FIELDS = new Set(['access_token', 'refresh_token', 'id_token', 'token_type', 'expires_in', 'scope', 'refresh_token_expires_in', 'authed_user']);

/**
 * `rejected`: the provider answered with an OAuth error (access_denied, invalid_grant, …);
 * `unavailable`: it could not be reached or failed (network, timeout, 5xx) — worth retrying;
 * `invalid`: it answered something that is not a valid OAuth response.
 */
export class OAuthProviderError extends Error {
  override name = 'OAuthProviderError';
  constructor(
    message: string,
    readonly kind: 'rejected' | 'unavailable' | 'invalid',
    /** The OAuth error code, e.g. invalid_grant. */
    readonly error?: string,
  ) {
    super(message);
  }
}

const TOKEN_TIMEOUT_MS = 15_000;

/** http is only allowed for loopback addresses (local development and tests). */
export function isInsecureAllowed(url: string | URL): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && (hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '127.0.0.1' || hostname === '[::1]');
}

export function joinScopes(scopes: string[], separator = ' '): string {
  return scopes.join(separator);
}

export function splitScopes(scope: string | undefined, separator = ' '): string[] {
  if (!scope) return [];
  return scope.split(separator.trim() === '' ? /\s+/ : separator).map((s) => s.trim()).filter(Boolean);
}

export interface AuthorizationRequest {
  url: string;
  /** Goes to the browser in the URL; only its hash is stored. */
  state: string;
  /** Kept (encrypted) until the callback. */
  codeVerifier: string;
}

/** The provider's consent URL; core parameters always win over `extraParams`. */
export async function buildAuthorizationRequest(options: {
  app: OAuthClientSettings;
  redirectUri: string;
  scopes: string[];
  pkce?: boolean;
  extraParams?: Record<string, string>;
}): Promise<AuthorizationRequest> {
  const { app } = options;
  if (!app.authorizationUrl) throw new OAuthProviderError('The OAuth app has no authorization URL', 'invalid');
  const state = oauth.generateRandomState();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const url = new URL(app.authorizationUrl);
  for (const [name, value] of Object.entries(options.extraParams ?? {})) url.searchParams.set(name, value);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', app.clientId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  if (options.scopes.length) url.searchParams.set('scope', joinScopes(options.scopes, app.scopeSeparator));
  else url.searchParams.delete('scope');
  url.searchParams.set('state', state);
  if (options.pkce !== false) {
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
  } else {
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
  }
  return { url: url.toString(), state, codeVerifier };
}

/** Checks the callback parameters (state, provider error) and exchanges the code for tokens. */
export async function exchangeAuthorizationCode(options: {
  app: OAuthClientSettings;
  callbackParams: URLSearchParams;
  expectedState: string;
  redirectUri: string;
  codeVerifier: string | null;
  requestedScopes: string[];
}): Promise<TokenGrant> {
  const { app } = options;
  const params = new URLSearchParams(options.callbackParams);
  // RFC 9207's `iss` check needs the provider's issuer, which a generic OAuth app does not
  // name; mix-up is prevented anyway because each state is bound to one app's token endpoint.
  params.delete('iss');
  const secrets = [app.clientSecret, params.get('code') ?? '', options.codeVerifier ?? '', options.expectedState];
  return withProviderErrors(secrets, async () => {
    const validated = oauth.validateAuthResponse(serverOf(app), clientOf(app), params, options.expectedState);
    const response = await oauth.authorizationCodeGrantRequest(
      serverOf(app), clientOf(app), clientAuthOf(app), validated, options.redirectUri,
      options.codeVerifier ?? oauth.nopkce, requestOptions(app, app.tokenUrl),
    );
    const result = await oauth.processAuthorizationCodeResponse(serverOf(app), clientOf(app), response, { recognizedTokenTypes });
    return grantOf(result, { requestedScopes: options.requestedScopes, separator: app.scopeSeparator });
  });
}

/** A new access token from a refresh token; a rotated refresh token replaces the old one. */
export async function refreshAccessToken(options: { app: OAuthClientSettings; previous: OAuthTokens }): Promise<TokenGrant> {
  const { app, previous } = options;
  if (!previous.refreshToken) throw new OAuthProviderError('The provider issued no refresh token for this connection; connect it again', 'rejected', 'invalid_grant');
  return withProviderErrors([app.clientSecret, previous.refreshToken, previous.accessToken], async () => {
    const response = await oauth.refreshTokenGrantRequest(serverOf(app), clientOf(app), clientAuthOf(app), previous.refreshToken!, requestOptions(app, app.tokenUrl));
    const result = await oauth.processRefreshTokenResponse(serverOf(app), clientOf(app), response, { recognizedTokenTypes });
    return grantOf(result, { requestedScopes: splitScopes(previous.scope), separator: ' ', previous });
  });
}

/** A token for the client itself (client credentials grant). */
export async function fetchClientCredentialsToken(options: { app: OAuthClientSettings; scopes: string[] }): Promise<TokenGrant> {
  const { app, scopes } = options;
  return withProviderErrors([app.clientSecret], async () => {
    const params = new URLSearchParams();
    if (scopes.length) params.set('scope', joinScopes(scopes, app.scopeSeparator));
    const response = await oauth.clientCredentialsGrantRequest(serverOf(app), clientOf(app), clientAuthOf(app), params, requestOptions(app, app.tokenUrl));
    const result = await oauth.processClientCredentialsResponse(serverOf(app), clientOf(app), response, { recognizedTokenTypes });
    return grantOf(result, { requestedScopes: scopes, separator: app.scopeSeparator });
  });
}

/**
 * RFC 7009 revocation of the refresh token (which, per the RFC, also ends its access tokens
 * where the provider supports it), else the access token. false when the app has no
 * revocation endpoint, so there was nothing to call.
 */
export async function revokeTokens(options: { app: OAuthClientSettings; tokens: OAuthTokens }): Promise<boolean> {
  const { app, tokens } = options;
  if (!app.revocationUrl) return false;
  const [token, hint] = tokens.refreshToken ? [tokens.refreshToken, 'refresh_token'] : [tokens.accessToken, 'access_token'];
  await withProviderErrors([app.clientSecret, tokens.accessToken, tokens.refreshToken ?? ''], async () => {
    const response = await oauth.revocationRequest(serverOf(app), clientOf(app), clientAuthOf(app), token, {
      ...requestOptions(app, app.revocationUrl!),
      additionalParameters: { token_type_hint: hint },
    });
    await oauth.processRevocationResponse(response);
  });
  return true;
}

// ---- oauth4webapi plumbing ------------------------------------------------------------------

function serverOf(app: OAuthClientSettings): oauth.AuthorizationServer {
  return {
    // A generic app names endpoints, not an issuer; the issuer only matters for ID tokens and
    // the `iss` response parameter, neither of which the hub uses (see dropIdToken).
    issuer: new URL(app.tokenUrl).origin,
    authorization_endpoint: app.authorizationUrl ?? undefined,
    token_endpoint: app.tokenUrl,
    revocation_endpoint: app.revocationUrl ?? undefined,
  };
}

/**
 * Token types some providers use for what are bearer tokens in practice (Slack answers `bot`
 * and `user`); they are stored as Bearer so requests carry `Authorization: Bearer …`.
 */
const BEARER_ALIASES = ['bot', 'user'];
const recognizedTokenTypes: oauth.RecognizedTokenTypes = Object.fromEntries(BEARER_ALIASES.map((type) => [type, () => {}]));

function clientOf(app: OAuthClientSettings): oauth.Client {
  return { client_id: app.clientId };
}

function clientAuthOf(app: OAuthClientSettings): oauth.ClientAuth {
  return app.clientAuthMethod === 'client_secret_basic' ? oauth.ClientSecretBasic(app.clientSecret) : oauth.ClientSecretPost(app.clientSecret);
}

function requestOptions(app: OAuthClientSettings, endpoint: string) {
  return {
    [oauth.allowInsecureRequests]: isInsecureAllowed(endpoint),
    [oauth.customFetch]: (url: string, init: oauth.CustomFetchOptions<string, unknown>) => normalizeTokenResponse(app.fetch ?? fetch, url, init),
    signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
  };
}

/**
 * Two provider habits are smoothed over before oauth4webapi reads a token response:
 * - The hub connects accounts; it does not sign users in, so an ID token (sent when `openid` is
 *   among the scopes) is dropped unread. Validating it would need the provider's issuer and
 *   signing algorithms, which a generic OAuth app does not declare.
 * - Slack answers errors with HTTP 200 and `{ ok: false, error }`: that becomes the RFC 6749
 *   error response it means (400 with `error`), so users see Slack's own error code.
 */
async function normalizeTokenResponse(doFetch: typeof fetch, url: string, init: oauth.CustomFetchOptions<string, unknown>): Promise<Response> {
  const response = await doFetch(url, init as RequestInit);
  if (!/\bjson\b/i.test(response.headers.get('content-type') ?? '')) return response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && 'id_token' in body) delete (body as Record<string, unknown>).id_token;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  const slackError = body && typeof body === 'object' && (body as { ok?: unknown }).ok === false ? (body as { error?: unknown }).error : undefined;
  if (response.ok && typeof slackError === 'string') {
    return new Response(JSON.stringify({ error: slackError, error_description: `The provider answered ${slackError}` }), { status: 400, headers });
  }
  return new Response(body === undefined ? text : JSON.stringify(body), { status: response.status, statusText: response.statusText, headers });
}

function grantOf(
  result: oauth.TokenEndpointResponse,
  options: { requestedScopes: string[]; separator?: string; previous?: OAuthTokens },
): TokenGrant {
  const expiresAt = typeof result.expires_in === 'number' ? new Date(Date.now() + result.expires_in * 1000) : null;
  // The granted scopes come back joined the way the provider joins them (Slack: commas).
  const scopes = result.scope !== undefined ? splitScopes(result.scope, options.separator ?? ' ') : options.requestedScopes;
  const refreshToken = result.refresh_token ?? options.previous?.refreshToken;
  const credentials: OAuthTokens = {
    accessToken: result.access_token,
    ...(refreshToken ? { refreshToken } : {}),
    tokenType: result.token_type === 'bearer' || BEARER_ALIASES.includes(result.token_type) ? 'Bearer' : result.token_type,
    ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
    ...(scopes.length ? { scope: scopes.join(' ') } : {}),
  };
  const extra = Object.fromEntries(Object.entries(result).filter(([key, value]) => !TOKEN_FIELDS.has(key) && !/token|secret|password/i.test(key) && value !== undefined));
  return { credentials, expiresAt, scopes, extra };
}

/** Runs a provider call; any failure comes out as an OAuthProviderError with the secrets scrubbed. */
async function withProviderErrors<T>(secrets: string[], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const failure = describeFailure(err);
    throw new OAuthProviderError(scrubString(failure.message, secretValues(secrets.filter(Boolean))), failure.kind, failure.error);
  }
}

function describeFailure(err: unknown): { message: string; kind: OAuthProviderError['kind']; error?: string } {
  if (err instanceof OAuthProviderError) return err;
  if (err instanceof oauth.AuthorizationResponseError) {
    if (err.error === 'access_denied') return { message: `Access was denied at the provider${detail(err.error_description)}`, kind: 'rejected', error: err.error };
    return { message: `The provider refused the authorization: ${err.error}${detail(err.error_description)}`, kind: 'rejected', error: err.error };
  }
  if (err instanceof oauth.ResponseBodyError) {
    const kind = err.status >= 500 ? 'unavailable' : 'rejected';
    return { message: `The provider's token endpoint answered ${err.status} ${err.error}${detail(err.error_description)}`, kind, error: err.error };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0];
    const code = challenge?.parameters.error ?? 'invalid_client';
    return { message: `The provider's token endpoint refused the client (${err.status} ${code}): check the OAuth app's client id and secret`, kind: 'rejected', error: code };
  }
  if (err instanceof oauth.OperationProcessingError) {
    // A non-2xx answer without an OAuth error body, e.g. a 502 from a proxy.
    const status = (err.cause as { status?: unknown } | undefined)?.status;
    if ((err.code === oauth.RESPONSE_IS_NOT_CONFORM || err.code === oauth.RESPONSE_IS_NOT_JSON) && typeof status === 'number') {
      if (status >= 500 || status === 429) return { message: `The provider's endpoint failed with HTTP ${status}`, kind: 'unavailable' };
      return { message: `The provider's endpoint answered HTTP ${status} without an OAuth response (check the OAuth app's URLs)`, kind: 'invalid' };
    }
    if (err.code === oauth.HTTP_REQUEST_FORBIDDEN) return { message: 'OAuth endpoints must use https (http is only allowed for localhost)', kind: 'invalid' };
    return { message: `The provider's answer is not a valid OAuth response: ${err.message}`, kind: 'invalid' };
  }
  if (err instanceof oauth.UnsupportedOperationError) return { message: `The provider's answer is not supported: ${err.message}`, kind: 'invalid' };
  const error = err as Error;
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError') return { message: "The provider's token endpoint did not answer in time", kind: 'unavailable' };
  const cause = (error?.cause as { code?: string } | undefined)?.code;
  return { message: `The provider's token endpoint could not be reached${cause ? ` (${cause})` : ''}`, kind: 'unavailable' };
}

/** The provider's own description, shortened and stripped of control characters. */
function detail(description: string | undefined): string {
  const clean = description?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean ? `: ${clean.slice(0, 300)}` : '';
}
