// Microsoft Graph glue for Patchbay's Microsoft connectors (@patchbay/plugin-teams,
// @patchbay/plugin-outlook-calendar): the Graph SDK client built from an action context,
// Microsoft identity platform OAuth, Graph failures as the SDK's typed errors, and
// @odata.nextLink paging. A library, not a plugin: it exports no plugin and the hub does not load it.
import { Client, GraphError, TelemetryHandler, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { errorForResponse, headersRecord, oauth2, PermanentError, TransientError, z, type AuthTestContext, type HttpClient, type OAuth2Credentials } from '@patchbay/sdk';

export const GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';
export const LOGIN_BASE_URL = 'https://login.microsoftonline.com';

/** What building a Graph client needs: an action context, or an auth test context. */
export interface GraphContext {
  http: HttpClient;
  config: Record<string, unknown> & { baseUrl?: string };
  signal: AbortSignal;
}

export const graphBaseUrl = (config: GraphContext['config']) => (config.baseUrl ?? GRAPH_BASE_URL).replace(/\/+$/, '');

/**
 * The Graph SDK's last middleware, replaced: requests leave through the hub's HTTP client, which
 * puts the connection's bearer token on them and applies the hub's network guard, timeout and
 * cancellation. (The SDK's own AuthenticationHandler only serves https Graph hosts, and its
 * RetryHandler would retry behind Temporal's back, so neither is in the chain.)
 */
class HubTransport implements Middleware {
  constructor(private readonly http: HttpClient) {}

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const options = context.options ?? {};
    const res = await this.http.request({
      url,
      method: options.method ?? 'GET',
      headers: Object.fromEntries(new Headers(options.headers).entries()),
      body: typeof options.body === 'string' ? options.body : undefined,
      responseType: 'text',
      throwOnError: false,
    });
    const empty = res.status === 204 || res.status === 205 || res.status === 304;
    context.response = new Response(empty ? null : res.text, { status: res.status, headers: res.headers });
  }
}

/** A Graph client for `ctx.config.baseUrl` (default the worldwide v1.0 endpoint), without retries. */
export function graphClient(ctx: GraphContext): Client {
  return Client.initWithMiddleware({ baseUrl: graphBaseUrl(ctx.config), defaultVersion: '', middleware: [new TelemetryHandler(), new HubTransport(ctx.http)] });
}

/**
 * Runs one Graph call and turns its failure into the SDK's typed error: 401 → AuthError,
 * 429 → RateLimitError (Retry-After), other 4xx → PermanentError with Graph's message and code,
 * 5xx → TransientError. `what` names the call in the message, e.g. "POST /chats".
 */
export async function graphCall<T>(ctx: Pick<GraphContext, 'signal'>, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (err instanceof GraphError && err.statusCode >= 400) {
      // A Graph error body gives message and code; any other body (text, JSON of another shape)
      // is left for errorForResponse to read. (Graph keeps response headers on the former only.)
      const text = typeof err.body === 'string' ? err.body : err.body?.constructor === Object ? JSON.stringify(err.body) : '';
      const message = err.message ? `${err.message}${err.code ? ` (${err.code})` : ''}` : undefined;
      throw errorForResponse({ status: err.statusCode, headers: headersRecord(err.headers), text }, `Microsoft Graph ${what}`, { message });
    }
    // Failures before any answer (network, timeout, a refused address) come from the hub's HTTP
    // client as typed errors; the Graph SDK wraps them and keeps the kind's name in `code`.
    const message = `Microsoft Graph ${what} failed: ${(err as Error).message}`;
    throw err instanceof GraphError && err.code === 'PermanentError' ? new PermanentError(message) : new TransientError(message);
  }
}

/** A Graph resource path with its query parameters encoded (the Graph SDK does not encode them). */
export function graphPath(path: string, query: Record<string, string | number | undefined> = {}): string {
  const pairs = Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return pairs.length ? `${path}?${pairs.join('&')}` : path;
}

/** At most this many pages per listing, whatever the page sizes (a provider looping on one link stops here). */
const MAX_PAGES = 500;

/**
 * Follows `@odata.nextLink` until the collection ends, `max` items are in hand, or MAX_PAGES
 * pages were read (then `truncated` is true). Each next link
 * is fetched on the connection's baseUrl (its path and query only), so the token never goes to
 * another host.
 */
export async function allPages<T>(
  ctx: GraphContext,
  path: string,
  options: { max: number; headers?: Record<string, string> },
): Promise<{ items: T[]; truncated: boolean }> {
  const client = graphClient(ctx);
  const base = new URL(graphBaseUrl(ctx.config)).pathname.replace(/\/+$/, '');
  const items: T[] = [];
  let next: string | undefined = path;
  for (let pages = 0; next; pages++) {
    if (pages === MAX_PAGES) return { items, truncated: true };
    const current: string = next;
    const page: { value?: T[]; '@odata.nextLink'?: string } = await graphCall(ctx, `GET ${current.split('?')[0]}`, () => client.api(current).headers(options.headers ?? {}).get());
    items.push(...(page.value ?? []));
    const link: string | undefined = page['@odata.nextLink'];
    if (items.length >= options.max) return { items: items.slice(0, options.max), truncated: items.length > options.max || !!link };
    if (!link) break;
    const url: URL = new URL(link);
    next = (base && url.pathname.startsWith(`${base}/`) ? url.pathname.slice(base.length) : url.pathname) + url.search;
  }
  return { items, truncated: false };
}

const tenant = z
  .string()
  .regex(/^[A-Za-z0-9.-]+$/, 'must be "common", "organizations", "consumers", a tenant id or a domain')
  .default('common')
  .describe('Microsoft Entra tenant: "common" (default), "organizations", "consumers", a tenant id (GUID) or a domain like contoso.onmicrosoft.com');
const loginBaseUrl = z
  .url()
  .optional()
  .describe(`Microsoft identity platform host; default ${LOGIN_BASE_URL} (national clouds: https://login.microsoftonline.us, https://login.chinacloudapi.cn)`);

/**
 * Microsoft identity platform OAuth 2.0 authorization code flow with PKCE, for the tenant in the
 * connection's settings; `offline_access` gets a refresh token. The test reads `GET /me`.
 */
export function microsoftOAuth(scopes: string[]) {
  const urls = (config: Record<string, unknown>) => {
    const host = (typeof config.loginBaseUrl === 'string' ? config.loginBaseUrl : LOGIN_BASE_URL).replace(/\/+$/, '');
    const base = `${host}/${typeof config.tenant === 'string' && config.tenant ? config.tenant : 'common'}/oauth2/v2.0`;
    return { authorizationUrl: `${base}/authorize`, tokenUrl: `${base}/token` };
  };
  return oauth2({
    ...urls({}),
    urlsFromConfig: urls,
    scopes: ['openid', 'profile', 'offline_access', 'User.Read', ...scopes],
    extraAuthorizeParams: { response_mode: 'query' },
    config: z.object({ tenant, loginBaseUrl }),
    test: async (ctx: AuthTestContext<OAuth2Credentials>) => {
      const me = await graphCall(ctx, 'GET /me', () => graphClient(ctx).api('/me').select('id,displayName,userPrincipalName').get());
      return { ok: true, message: `Signed in as ${me.userPrincipalName ?? me.displayName ?? me.id}` };
    },
  });
}
