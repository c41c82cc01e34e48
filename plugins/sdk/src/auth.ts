// Auth kinds as values. A plugin lists the ways a user can connect; each says which secret
// fields to ask for (credentials), which non-secret settings it takes (config, always with an
// optional baseUrl), how to put the credentials on a request, and how to test them.
import { z } from 'zod';

export type AuthMode = 'OAUTH2' | 'OAUTH2_CLIENT_CREDENTIALS' | 'API_KEY' | 'BASIC' | 'BOT_TOKEN' | 'NONE';

/** Non-secret connection settings every auth kind accepts. */
export const baseConfigSchema = z.looseObject({
  baseUrl: z.url({ message: 'baseUrl must be an absolute http(s) URL' }).optional().describe('Override the provider address (regional clouds, proxies, test servers)'),
});

export interface RequestAuth {
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export interface TestResult {
  ok: boolean;
  message?: string;
}

export interface AuthTestContext<Credentials> {
  credentials: Credentials;
  config: Record<string, unknown> & { baseUrl?: string };
  /** An HTTP client with the credentials applied (see http.ts). */
  http: import('./http.ts').HttpClient;
  signal: AbortSignal;
}

export interface AuthMethod<Mode extends AuthMode = AuthMode, Credentials = unknown> {
  mode: Mode;
  /** zod schema of the secret fields (validated at connection time, then encrypted). */
  credentials: z.ZodType<Credentials>;
  /** zod schema of non-secret settings. */
  config: z.ZodType<Record<string, unknown> & { baseUrl?: string }>;
  /** How the credentials go on an outgoing request (config holds the connection's settings). */
  authorize(credentials: Credentials, config: Record<string, unknown>): RequestAuth;
  /** A cheap real call proving the credentials work; throw or return ok: false when they don't. */
  test?: (ctx: AuthTestContext<Credentials>) => Promise<TestResult | void>;
  /** OAuth2 only: default scopes. */
  scopes?: string[];
  oauth?: OAuth2Settings;
}

interface CommonOptions<Credentials> {
  config?: z.ZodObject;
  test?: AuthMethod<AuthMode, Credentials>['test'];
}

function configWith(extra?: z.ZodObject) {
  return (extra ? baseConfigSchema.extend(extra.shape) : baseConfigSchema) as AuthMethod['config'];
}

const secret = (label: string) => z.string().min(1, `${label} is required`).describe(label);

export type ApiKeyPlacement = { in: 'header'; name: string; prefix?: string } | { in: 'query'; name: string } | { in: 'none' };

/**
 * An API key sent in a header (default `Authorization: Bearer …`) or a query parameter. The
 * placement may depend on the connection's config; `fields` replaces the single `apiKey`
 * field when a provider needs other secret fields (a database connection string, say).
 */
export function apiKey<Fields extends z.ZodObject = z.ZodObject<{ apiKey: z.ZodString }>>(
  options: CommonOptions<z.output<Fields>> & {
    placement?: ApiKeyPlacement | ((config: Record<string, unknown>) => ApiKeyPlacement);
    label?: string;
    fields?: Fields;
  } = {},
): AuthMethod<'API_KEY', z.output<Fields>> {
  const fields = (options.fields ?? z.object({ apiKey: secret(options.label ?? 'API key') })) as unknown as z.ZodType<z.output<Fields>>;
  const placementFor = (config: Record<string, unknown>): ApiKeyPlacement =>
    typeof options.placement === 'function' ? options.placement(config) : (options.placement ?? { in: 'header', name: 'Authorization', prefix: 'Bearer ' });
  return {
    mode: 'API_KEY',
    credentials: fields,
    config: configWith(options.config),
    authorize: (credentials, config) => {
      const placement = placementFor(config);
      const key = String((credentials as { apiKey?: unknown }).apiKey ?? '');
      if (placement.in === 'header') return { headers: { [placement.name]: `${placement.prefix ?? ''}${key}` } };
      if (placement.in === 'query') return { query: { [placement.name]: key } };
      return {};
    },
    test: options.test,
  } satisfies AuthMethod<'API_KEY', z.output<Fields>>;
}

/** HTTP basic authentication. */
export function basic(options: CommonOptions<{ username: string; password: string }> = {}): AuthMethod<'BASIC', { username: string; password: string }> {
  return {
    mode: 'BASIC',
    credentials: z.object({ username: secret('Username'), password: secret('Password') }),
    config: configWith(options.config),
    authorize: ({ username, password }) => ({
      headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    }),
    test: options.test,
  } satisfies AuthMethod<'BASIC', { username: string; password: string }>;
}

/** A bot token (Slack `xoxb-…`, Discord `Bot …`), sent as `Authorization: <scheme> <token>`. */
export function botToken(options: CommonOptions<{ botToken: string }> & { scheme?: string } = {}): AuthMethod<'BOT_TOKEN', { botToken: string }> {
  const scheme = options.scheme ?? 'Bearer';
  return {
    mode: 'BOT_TOKEN',
    credentials: z.object({ botToken: secret('Bot token') }),
    config: configWith(options.config),
    authorize: ({ botToken: token }) => ({ headers: { Authorization: `${scheme} ${token}` } }),
    test: options.test,
  } satisfies AuthMethod<'BOT_TOKEN', { botToken: string }>;
}

/** No credentials (public APIs, or auth carried by the request itself). */
export function none(options: CommonOptions<Record<string, never>> = {}): AuthMethod<'NONE', Record<string, never>> {
  return {
    mode: 'NONE',
    credentials: z.object({}).strict() as unknown as z.ZodType<Record<string, never>>,
    config: configWith(options.config),
    authorize: () => ({}),
    test: options.test,
  } satisfies AuthMethod<'NONE', Record<string, never>>;
}

export interface OAuth2Settings {
  authorizationUrl?: string;
  tokenUrl: string;
  revocationUrl?: string;
  scopeSeparator?: string;
  pkce?: boolean;
  /** Extra query parameters for the authorization URL (e.g. access_type=offline). */
  extraAuthorizeParams?: Record<string, string>;
  /** Whether tokens are refreshed (a refresh_token is expected). */
  refresh?: boolean;
  /**
   * Provider endpoints that depend on the connection's settings (Salesforce production vs
   * sandbox login, a tenant id in the Microsoft URLs). Used unless the org's OAuth app names
   * its own URLs.
   */
  urlsFromConfig?: (config: Record<string, unknown>) => { authorizationUrl?: string; tokenUrl?: string; revocationUrl?: string };
  /**
   * Non-secret token-response fields to keep in the connection's config (Salesforce's
   * `instance_url` → `{ baseUrl }`). Runs after the code exchange and every refresh; token
   * fields (access/refresh/id tokens) are never offered.
   */
  configFromTokenResponse?: (response: Record<string, unknown>) => Record<string, unknown>;
}

export interface OAuth2Credentials {
  accessToken: string;
  refreshToken?: string;
  tokenType?: string;
  expiresAt?: string;
  scope?: string;
}

const oauthCredentials = z.object({
  accessToken: secret('Access token'),
  refreshToken: z.string().optional(),
  tokenType: z.string().optional(),
  expiresAt: z.string().optional(),
  scope: z.string().optional(),
});

/** OAuth2 authorization code (with PKCE by default); the hub runs the flow and keeps tokens fresh. */
export function oauth2(options: CommonOptions<OAuth2Credentials> & OAuth2Settings & { scopes?: string[] }): AuthMethod<'OAUTH2', OAuth2Credentials> {
  const { config, test, scopes, ...oauth } = options;
  return {
    mode: 'OAUTH2',
    credentials: oauthCredentials,
    config: configWith(config),
    authorize: ({ accessToken, tokenType }) => ({ headers: { Authorization: `${tokenType && tokenType.toLowerCase() !== 'bearer' ? tokenType : 'Bearer'} ${accessToken}` } }),
    test,
    scopes: scopes ?? [],
    oauth: { scopeSeparator: ' ', pkce: true, refresh: true, ...oauth },
  } satisfies AuthMethod<'OAUTH2', OAuth2Credentials>;
}

/** OAuth2 client credentials: the hub exchanges the client id/secret for a token and renews it. */
export function oauth2ClientCredentials(options: CommonOptions<OAuth2Credentials> & { tokenUrl: string; scopes?: string[] }): AuthMethod<'OAUTH2_CLIENT_CREDENTIALS', OAuth2Credentials> {
  const { config, test, scopes, tokenUrl } = options;
  return {
    mode: 'OAUTH2_CLIENT_CREDENTIALS',
    credentials: oauthCredentials,
    config: configWith(config),
    authorize: ({ accessToken }) => ({ headers: { Authorization: `Bearer ${accessToken}` } }),
    test,
    scopes: scopes ?? [],
    oauth: { tokenUrl, scopeSeparator: ' ', pkce: false, refresh: false },
  } satisfies AuthMethod<'OAUTH2_CLIENT_CREDENTIALS', OAuth2Credentials>;
}

export type AnyAuthMethod = AuthMethod<AuthMode, any>;
