// A fake GitHub REST API for tests, speaking GitHub's wire format: `Authorization: token …` /
// `Bearer …`, x-ratelimit-* headers on every answer, `{ message, documentation_url, errors }`
// error bodies, 401 Bad credentials, 404 Not Found, 422 Validation Failed, the primary rate
// limit (403 + x-ratelimit-remaining: 0) and the secondary one (403 + retry-after), and the
// GitHub App flow: an RS256 JWT (verified against the app's public key) exchanged at
// POST /app/installations/{id}/access_tokens for an installation token.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { Webhooks } from '@octokit/webhooks';
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';

/** X-Hub-Signature-256 for a delivery body, computed by @octokit/webhooks itself (as GitHub signs). */
export const signGithubDelivery = (secret: string, body: string): Promise<string> => new Webhooks({ secret }).sign(body);

export interface FakeGithubOptions {
  /** Personal access / fine-grained tokens the fake accepts. */
  tokens?: string[];
  /** A GitHub App: its id, public key (PEM), and the installation it may get tokens for. */
  app?: { id: number; slug: string; publicKey: string; installationId: number };
  /** A path prefix, as GitHub Enterprise Server's /api/v3. */
  prefix?: string;
}

export interface FakeGithub extends FakeServer {
  /** The base URL to configure (url + prefix). */
  baseUrl: string;
  /** Installation tokens issued so far. */
  installationTokens: string[];
  /** Make the next answer(s) a failure. */
  failNext(kind: 'primary-rate-limit' | 'secondary-rate-limit' | 'server-error', times?: number): void;
  /** Forget recorded requests and pending failures. */
  reset(): void;
  issues: Array<{ owner: string; repo: string; number: number; title: string; body: string | null; labels: string[]; assignees: string[] }>;
  comments: Array<{ owner: string; repo: string; issue_number: number; body: string; user: string }>;
}

const DOCS = 'https://docs.github.com/rest';
export const RATE_LIMIT_RESET = 1_900_000_000;

export async function startFakeGithub(options: FakeGithubOptions = {}): Promise<FakeGithub> {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const tokens = new Set(options.tokens ?? []);
  const appKey: KeyObject | undefined = options.app ? createPublicKey(options.app.publicKey) : undefined;
  const installationTokens: string[] = [];
  const failures: Array<'primary-rate-limit' | 'secondary-rate-limit' | 'server-error'> = [];
  const issues: FakeGithub['issues'] = [];
  const comments: FakeGithub['comments'] = [];
  let remaining = 4999;
  let baseUrl = '';

  const rateHeaders = (left = remaining): Record<string, string> => ({
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': String(left),
    'x-ratelimit-used': String(5000 - left),
    'x-ratelimit-reset': String(RATE_LIMIT_RESET),
    'x-ratelimit-resource': 'core',
    'x-github-api-version-selected': '2022-11-28',
    'x-github-request-id': `FAKE:${Math.random().toString(16).slice(2, 10)}`,
  });
  const error = (status: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): FakeResponse => ({
    status,
    headers: { ...rateHeaders(), ...headers },
    json: { message, documentation_url: `${DOCS}${extra.path ?? ''}`, status: String(status), ...extra, path: undefined },
  });
  const ok = (status: number, json: unknown): FakeResponse => ({ status, headers: rateHeaders(), json });

  /** Who the Authorization header names: a user token, an installation, or the app (JWT). */
  function caller(req: RecordedRequest): { kind: 'user' | 'installation' | 'app'; login: string } | { kind: 'none'; why: string } {
    const header = String(req.headers.authorization ?? '');
    const match = /^(token|bearer) (.+)$/i.exec(header);
    if (!match) return { kind: 'none', why: 'Requires authentication' };
    const credential = match[2]!;
    if (tokens.has(credential)) return { kind: 'user', login: 'octocat' };
    if (installationTokens.includes(credential)) return { kind: 'installation', login: `${options.app!.slug}[bot]` };
    if (credential.split('.').length === 3 && appKey) {
      const why = jwtProblem(credential, appKey, options.app!.id);
      return why ? { kind: 'none', why } : { kind: 'app', login: options.app!.slug };
    }
    return { kind: 'none', why: 'Bad credentials' };
  }

  const server = await startFakeServer((req) => {
    const url = new URL(req.url, 'http://fake');
    if (!url.pathname.startsWith(`${prefix}/`)) return error(404, 'Not Found');
    const path = url.pathname.slice(prefix.length);
    const failure = failures.shift();
    if (failure === 'primary-rate-limit') {
      return error(403, 'API rate limit exceeded for user ID 1.', { path: '/overview/resources-in-the-rest-api#rate-limiting' }, rateHeaders(0));
    }
    if (failure === 'secondary-rate-limit') {
      return error(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', { path: '/overview/rate-limits-for-the-rest-api' }, { 'retry-after': '30' });
    }
    if (failure === 'server-error') return { status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };

    const who = caller(req);
    if (who.kind === 'none') return error(401, who.why);
    remaining -= 1;

    if (req.method === 'GET' && path === '/user') {
      if (who.kind !== 'user') return error(403, 'Resource not accessible by integration');
      return ok(200, { login: who.login, id: 1, type: 'User', html_url: 'https://github.com/octocat' });
    }
    if (req.method === 'GET' && path === '/app') {
      if (who.kind !== 'app') return error(401, 'A JSON web token could not be decoded');
      return ok(200, { id: options.app!.id, slug: options.app!.slug, name: 'Patchbay Test App', owner: { login: 'acme' } });
    }
    const exchange = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (req.method === 'POST' && exchange) {
      if (who.kind !== 'app') return error(401, 'A JSON web token could not be decoded');
      if (Number(exchange[1]) !== options.app!.installationId) return error(404, 'Not Found');
      const token = `ghs_fake${installationTokens.length}${Math.random().toString(36).slice(2, 12)}`;
      installationTokens.push(token);
      return ok(201, { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { issues: 'write' }, repository_selection: 'all' });
    }
    if (who.kind === 'app') return error(401, 'A JSON web token could not be decoded');

    const issueRoute = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(path);
    if (req.method === 'POST' && issueRoute) {
      const [, owner, repo] = issueRoute as unknown as [string, string, string];
      if (repo === 'missing') return error(404, 'Not Found', { path: '/issues/issues#create-an-issue' });
      const body = (req.json ?? {}) as { title?: unknown; body?: string; labels?: string[]; assignees?: string[] };
      if (typeof body.title !== 'string' || body.title === '') {
        return error(422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }], path: '/issues/issues#create-an-issue' });
      }
      const invalid = (body.assignees ?? []).find((a) => a === 'ghost');
      if (invalid) return error(422, 'Validation Failed', { errors: [{ value: invalid, resource: 'Issue', field: 'assignees', code: 'invalid' }] });
      const number = issues.length + 1;
      issues.push({ owner, repo, number, title: body.title, body: body.body ?? null, labels: body.labels ?? [], assignees: body.assignees ?? [] });
      return ok(201, {
        id: 1_000 + number,
        node_id: `I_fake${number}`,
        number,
        url: `${baseUrl}/repos/${owner}/${repo}/issues/${number}`,
        html_url: `https://github.com/${owner}/${repo}/issues/${number}`,
        state: 'open',
        title: body.title,
        body: body.body ?? null,
        user: { login: who.login, id: 1 },
        labels: (body.labels ?? []).map((name, i) => ({ id: i + 1, name, color: 'ededed', default: false })),
        assignees: (body.assignees ?? []).map((login, i) => ({ login, id: 10 + i })),
        assignee: body.assignees?.[0] ? { login: body.assignees[0], id: 10 } : null,
        comments: 0,
        created_at: '2026-11-22T10:00:00Z',
        updated_at: '2026-11-22T10:00:00Z',
        closed_at: null,
        author_association: 'OWNER',
      });
    }
    const commentRoute = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (req.method === 'POST' && commentRoute) {
      const [, owner, repo, n] = commentRoute as unknown as [string, string, string, string];
      const issueNumber = Number(n);
      if (!issues.some((i) => i.owner === owner && i.repo === repo && i.number === issueNumber)) return error(404, 'Not Found', { path: '/issues/comments#create-an-issue-comment' });
      const body = (req.json ?? {}) as { body?: unknown };
      if (typeof body.body !== 'string' || body.body === '') return error(422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] });
      comments.push({ owner, repo, issue_number: issueNumber, body: body.body, user: who.login });
      const id = 5_000 + comments.length;
      return ok(201, {
        id,
        node_id: `IC_fake${id}`,
        url: `${baseUrl}/repos/${owner}/${repo}/issues/comments/${id}`,
        html_url: `https://github.com/${owner}/${repo}/issues/${issueNumber}#issuecomment-${id}`,
        issue_url: `${baseUrl}/repos/${owner}/${repo}/issues/${issueNumber}`,
        body: body.body,
        user: { login: who.login, id: 1 },
        created_at: '2026-11-22T10:05:00Z',
        updated_at: '2026-11-22T10:05:00Z',
        author_association: 'OWNER',
      });
    }
    return error(404, 'Not Found');
  });
  baseUrl = `${server.url}${prefix}`;
  return {
    ...server,
    baseUrl,
    installationTokens,
    issues,
    comments,
    reset() {
      server.requests.length = 0;
      failures.length = 0;
    },
    failNext(kind, times = 1) {
      for (let i = 0; i < times; i++) failures.push(kind);
    },
  };
}

/** Why a GitHub App JWT is unacceptable, or undefined when it is good (RS256, iss = app id, not expired). */
function jwtProblem(jwt: string, key: KeyObject, appId: number): string | undefined {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  let head: { alg?: string };
  let claims: { iss?: unknown; exp?: unknown; iat?: unknown };
  try {
    head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return 'A JSON web token could not be decoded';
  }
  if (head.alg !== 'RS256') return "'alg' must be RS256";
  if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return 'A JSON web token could not be decoded';
  if (String(claims.iss) !== String(appId)) return `'Issuer' claim ('iss') must be an Integer`;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp < now) return "'Expiration time' claim ('exp') is too far in the future or has passed";
  if (claims.exp - now > 600 + 60) return "'Expiration time' claim ('exp') is too far in the future";
  return undefined;
}
