// Helpers shared by the manifest and sync integration tests: waiting for runs through the API,
// and a scan of everything a run left behind for secret values (Temporal history included).
import { readFileSync } from 'node:fs';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { GqlResult, TestHub, TestOrg } from './harness.ts';

export const FIXTURES = new URL('../../workflows/src/manifests/fixtures/', import.meta.url);
export const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

export interface RunView {
  id: string;
  kind: string;
  status: string;
  action: string | null;
  output: unknown;
  error: string | null;
  attempts: number;
  workflowId: string;
}

const RUN = `query ManifestTestRun($id: ID!) { run(id: $id) { id kind status action output error attempts workflowId } }`;

/** Polls the run through the API until it is terminal. */
export async function waitForRun(hub: TestHub, token: string, runId: string, timeoutMs = 45_000, responses?: unknown[]): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await hub.gql<{ run: RunView | null }, { id: string }>(RUN, { id: runId }, token);
    responses?.push(result);
    const run = result.data?.run;
    if (run && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status ?? JSON.stringify(result.errors)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The run's whole Temporal history with payloads decoded, as one string. */
export async function temporalHistoryText(hub: TestHub, workflowId: string): Promise<string> {
  const history = await hub.hub.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
}

export const connectionGid = (id: string) => encodeGlobalID('Connection', id);
export const runGid = (id: string) => encodeGlobalID('Run', id);

/**
 * GraphQL for a test file, as its org's ADMIN unless told otherwise, every answer kept in
 * `responses` (the file checks at the end that no secret shows up in any). `session` is called
 * per request, so the kit can be made at module level and the hub started in beforeAll.
 */
export function gqlKit(session: () => { hub: TestHub; org: TestOrg }) {
  const responses: unknown[] = [];
  async function call<T = any>(query: string, variables: Record<string, unknown>, token = session().org.tokens.ADMIN): Promise<GqlResult<T>> {
    const result = await session().hub.gql<T, Record<string, unknown>>(query, variables, token);
    responses.push(result);
    return result;
  }
  async function data<T = any>(query: string, variables: Record<string, unknown>, token = session().org.tokens.ADMIN): Promise<T> {
    const result = await call<T>(query, variables, token);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }
  return { responses, call, data };
}

/** A manifest `oauth` block (authorization code + refresh) against `authorizeUrl` and `tokenUrl`. */
export function manifestOAuthBlock(authorizeUrl: string, tokenUrl: string) {
  const client = { client_id: '{{ CLIENT_ID }}', client_secret: '{{ CLIENT_SECRET }}' };
  return {
    authenticate_url: `${authorizeUrl}?client_id={{ CLIENT_ID }}&redirect_uri={{ redirect_url }}&response_type=code`,
    access_token: { url: tokenUrl, method: 'POST', data: { ...client, redirect_uri: '{{ redirect_url }}', grant_type: 'authorization_code' } },
    refresh: { url: tokenUrl, method: 'POST', data: { ...client, refresh_token: '{{ oauth.refresh_token }}', grant_type: 'refresh_token' } },
  };
}

export interface FakeOAuthOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** The consent page's path (it redirects back at once with a code and the state). */
  authorizePath: string;
  /** A new access token (the test keeps track of which are valid). */
  issue(): string;
  /** expires_in of the first token (default 3600). */
  firstExpiresIn?: () => number;
  /** A refresh answered invalid_grant when this says so. */
  refuseRefresh?: () => boolean;
}

/**
 * The provider's side of a manifest's OAuth flow, for a startFakeServer handler: the consent
 * redirect and the token endpoint (`/token`: authorization_code, with ChiefOnboarding's
 * `code=` on the URL, and refresh_token). Answers undefined for any other request.
 */
export function fakeOAuthRoutes(options: FakeOAuthOptions) {
  /** Every code handed out (tests check that none leaks). */
  const codes: string[] = [];
  const handle = (req: { method: string; url: string; json?: unknown }): { status?: number; json?: unknown; headers?: Record<string, string> } | undefined => {
    const url = new URL(req.url, 'http://fake');
    const body = (req.json ?? {}) as Record<string, string>;
    if (req.method === 'GET' && url.pathname === options.authorizePath) {
      if (url.searchParams.get('client_id') !== options.clientId) return { status: 400, json: { error: 'invalid_client' } };
      const back = new URL(url.searchParams.get('redirect_uri')!);
      const code = `code-${Math.random().toString(36).slice(2, 12)}`;
      codes.push(code);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      return { status: 302, headers: { location: back.toString() } };
    }
    if (req.method !== 'POST' || url.pathname !== '/token') return undefined;
    if (body.client_id !== options.clientId || body.client_secret !== options.clientSecret) return { status: 401, json: { error: 'invalid_client' } };
    if (body.grant_type === 'authorization_code') {
      if (!codes.includes(url.searchParams.get('code') ?? '')) return { status: 400, json: { error: 'invalid_grant' } };
      if (!body.redirect_uri?.endsWith('/oauth/callback')) return { status: 400, json: { error: 'invalid_request' } };
      return { json: { access_token: options.issue(), refresh_token: options.refreshToken, token_type: 'Bearer', expires_in: options.firstExpiresIn?.() ?? 3600 } };
    }
    if (body.grant_type === 'refresh_token') {
      if (options.refuseRefresh?.() || body.refresh_token !== options.refreshToken) {
        return { status: 400, json: { error: 'invalid_grant', error_description: `refresh token ${body.refresh_token} was revoked` } };
      }
      return { json: { access_token: options.issue(), token_type: 'Bearer', expires_in: 3600 } };
    }
    return { status: 400, json: { error: 'unsupported_grant_type' } };
  };
  return { handle, codes };
}

/** The browser's part: the provider's consent page redirects to the hub's callback (PUBLIC_URL's path on the test hub's port). */
export async function consentAndReturn(hubUrl: string, authorizationUrl: string): Promise<{ consent: Response; callback: Response; callbackUrl: URL }> {
  const consent = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = consent.headers.get('location');
  if (!location) throw new Error(`the provider did not redirect (status ${consent.status})`);
  const callbackUrl = new URL(location);
  const callback = await fetch(`${hubUrl}${callbackUrl.pathname}${callbackUrl.search}`, { redirect: 'manual' });
  return { consent, callback, callbackUrl };
}
