// Pieces the three actions share: input schemas for URLs and headers, header merging, and the
// rule that a connection's credentials only travel to the host its baseUrl names.
import { PermanentError, z, type ActionContext, type Mapping } from '@patchbay/sdk';
import { credentialSlots, HEADER_NAME } from './auth.ts';

export const USER_AGENT = 'patchbay-plugin-http/0.1.0';

/** Absolute http(s) URL, or a path relative to the connection's baseUrl. */
export const targetUrl = z
  .string()
  .trim()
  .min(1, 'is required')
  .refine((v) => !/^[a-z][a-z0-9+.-]*:/i.test(v) || /^https?:\/\//i.test(v), 'must be an absolute http(s) URL or a path relative to the connection baseUrl')
  .describe('Absolute http(s) URL, or a path relative to the connection baseUrl (e.g. "/tickets")');

/** An absolute http(s) URL (no baseUrl involved). */
export const absoluteUrl = z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' });

export const headersSchema = z
  .record(
    z.string().regex(HEADER_NAME, 'is not a valid header name'),
    z.string().regex(/^[^\r\n\0]*$/, 'must not contain line breaks'),
  )
  .describe('Extra request headers; `{{ secrets.NAME }}` templates are filled in before the request');

export const timeoutMs = z.number().int().min(1).max(120_000).optional().describe('Give up after this many milliseconds (default 30000, at most 120000)');

export const mappingSchema: z.ZodType<Mapping> = z.lazy(() => z.union([z.string(), z.record(z.string(), mappingSchema)]));

/**
 * Request headers: defaults, then the caller's (later names win, case-insensitively). Headers
 * the connection's credentials occupy are dropped with a warning: the credentials win, and two
 * spellings of one header would otherwise be joined into one broken value.
 */
export function buildHeaders(ctx: ActionContext, defaults: Record<string, string>, user: Record<string, string> | undefined): Record<string, string> {
  const taken = new Set(credentialSlots(ctx.auth.mode, ctx.config).headers);
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...defaults })) merged[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(user ?? {})) {
    const key = name.toLowerCase();
    if (taken.has(key)) {
      ctx.logger.warn(`Ignoring the "${name}" header: this connection's credentials set it`);
      continue;
    }
    merged[key] = value;
  }
  return merged;
}

/** Drops query parameters the connection's credentials occupy (they would replace the key). */
export function buildQuery<Q extends Record<string, unknown>>(ctx: ActionContext, query: Q | undefined): Q | undefined {
  if (!query) return undefined;
  const taken = new Set(credentialSlots(ctx.auth.mode, ctx.config).query);
  const kept = Object.entries(query).filter(([name]) => {
    if (!taken.has(name)) return true;
    ctx.logger.warn(`Ignoring the "${name}" query parameter: this connection's credentials set it`);
    return false;
  });
  return Object.fromEntries(kept) as Q;
}

/**
 * A connection with credentials and a baseUrl sends those credentials only to the baseUrl's
 * origin: an absolute URL elsewhere is refused rather than leaking the key to another host.
 */
export function assertCredentialsStayHome(ctx: ActionContext, url: string): void {
  if (ctx.auth.mode === 'NONE' || !/^https?:\/\//i.test(url)) return;
  const base = typeof ctx.config.baseUrl === 'string' ? ctx.config.baseUrl : undefined;
  if (!base) return;
  const home = new URL(base).origin;
  const target = new URL(url).origin;
  if (target !== home) {
    throw new PermanentError(
      `Refused to send this connection's credentials to ${target}: they only go to its baseUrl's origin, ${home}. Use a URL on ${home}, or a connection without credentials (with {{ secrets.NAME }} in headers) for other hosts.`,
    );
  }
}

/** Response headers fit to return: lower-cased, without cookies (they may carry sessions). */
export function publicHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (key === 'set-cookie' || key === 'set-cookie2') continue;
    out[key] = value;
  }
  return out;
}
