// How a user connects "any HTTP API": no credentials (put `{{ secrets.X }}` in headers
// instead), an API key / bearer token placed where the API wants it, or HTTP basic. Every
// kind takes an optional `testUrl` that the connection test GETs.
import { apiKey, basic, none, z, type ApiKeyPlacement, type AuthMode, type AuthTestContext, type TestResult } from '@patchbay/sdk';

/** A header name (RFC 9110 token); also accepted as a query parameter name. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const testUrl = z
  .string()
  .trim()
  .min(1)
  .optional()
  .describe('Optional: a URL (absolute, or relative to baseUrl) fetched with GET, with the credentials applied, to check the connection; any 2xx passes');

const commonConfig = z.object({ testUrl });

const apiKeyConfig = z.object({
  apiKeyIn: z.enum(['header', 'query']).default('header').describe('Where the key goes: a request header (default) or a query parameter'),
  apiKeyName: z
    .string()
    .trim()
    .regex(HEADER_NAME, 'must be a header or query parameter name (letters, digits, - _ . and no spaces)')
    .optional()
    .describe('Header or query parameter name; default "Authorization" for a header, "api_key" for a query parameter'),
  apiKeyPrefix: z
    .string()
    .optional()
    .describe('Text before the key in a header, e.g. "Bearer" or "Token"; default "Bearer " for Authorization, none otherwise. A prefix ending in a letter or digit gets a space appended'),
  testUrl,
});

const configString = (config: Record<string, unknown>, key: string): string | undefined => {
  const value = config[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

/**
 * Where the API key goes, from the connection's settings. The stored config may not have
 * been through the schema (defaults absent), so the defaults are applied here as well.
 */
export function apiKeyPlacement(config: Record<string, unknown>): Extract<ApiKeyPlacement, { in: 'header' | 'query' }> {
  const name = configString(config, 'apiKeyName');
  if (config.apiKeyIn === 'query') return { in: 'query', name: name ?? 'api_key' };
  const header = name ?? 'Authorization';
  const raw = typeof config.apiKeyPrefix === 'string' ? config.apiKeyPrefix : header.toLowerCase() === 'authorization' ? 'Bearer ' : '';
  const prefix = /[A-Za-z0-9]$/.test(raw) ? `${raw} ` : raw;
  return { in: 'header', name: header, prefix };
}

/** The header and query names the connection's credentials occupy on every request. */
export function credentialSlots(mode: AuthMode, config: Record<string, unknown>): { headers: string[]; query: string[] } {
  if (mode === 'NONE') return { headers: [], query: [] };
  if (mode === 'API_KEY') {
    const placement = apiKeyPlacement(config);
    return placement.in === 'header' ? { headers: [placement.name.toLowerCase()], query: [] } : { headers: [], query: [placement.name] };
  }
  return { headers: ['authorization'], query: [] };
}

/** The connection test: GET `testUrl` when one is configured; otherwise nothing to check. */
export async function testConnection({ config, http }: AuthTestContext<unknown>): Promise<TestResult> {
  const url = configString(config, 'testUrl');
  if (!url) return { ok: true, message: 'No test URL configured' };
  const res = await http.request({ method: 'GET', url, responseType: 'text', throwOnError: false, timeoutMs: 15_000 });
  const target = new URL(res.url);
  const ok = res.status >= 200 && res.status < 300;
  return { ok, message: `GET ${target.origin}${target.pathname} answered ${res.status}${ok ? '' : ` ${statusHint(res.status)}`}`.trim() };
}

function statusHint(status: number): string {
  if (status === 401 || status === 403) return '(the credentials were refused)';
  if (status === 404) return '(check testUrl and baseUrl)';
  return '';
}

export const noAuth = none({ config: commonConfig, test: testConnection });

export const apiKeyAuth = apiKey({
  label: 'API key or token',
  placement: apiKeyPlacement,
  config: apiKeyConfig,
  test: testConnection,
});

export const basicAuth = basic({ config: commonConfig, test: testConnection });
