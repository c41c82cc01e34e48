// A local Slack Web API for tests, speaking Slack's wire format: POST /api/<method> with a form or
// JSON body, the token as `Authorization: Bearer` (or a `token` form field), HTTP 200 with
// `{ ok: false, error }` for failures, cursor pagination in response_metadata.next_cursor, the
// x-oauth-scopes headers, and HTTP 429 + Retry-After for rate limits.
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';

export interface FakeChannel {
  id: string;
  name: string;
  is_private?: boolean;
  is_archived?: boolean;
  is_member?: boolean;
  is_im?: boolean;
  is_mpim?: boolean;
  num_members?: number;
  topic?: string;
}

export interface FakeUser {
  id: string;
  name: string;
  real_name: string;
  email: string;
  is_bot?: boolean;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  user: string;
}

/** One Web API call as the fake understood it. */
export interface SlackCall {
  method: string;
  params: Record<string, unknown>;
  /** The token the call carried (header or form field). */
  token?: string;
  contentType: string;
  request: RecordedRequest;
}

export interface FakeSlack {
  /** The Web API base URL to use as the connection's baseUrl (ends in /api/). */
  apiUrl: string;
  server: FakeServer;
  calls: SlackCall[];
  messages: FakeMessage[];
  /** The next call of `method` gets this answer instead (a 429, a 500, an { ok: false } body …). */
  failNext(method: string, answer: FakeResponse | Promise<FakeResponse>): void;
  close(): Promise<void>;
}

export const FAKE_TEAM = { id: 'T0PATCHBAY', name: 'Patchbay Test', domain: 'patchbay-test' };
export const FAKE_BOT = { user_id: 'U0BOT', bot_id: 'B0BOT', name: 'patchbay' };
const ALL_SCOPES = ['chat:write', 'channels:read', 'groups:read', 'im:read', 'mpim:read', 'users:read', 'users:read.email'];

const NEEDED: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'conversations.list': 'channels:read',
  'users.lookupByEmail': 'users:read.email',
};

export interface FakeSlackOptions {
  /** The one token the fake accepts. */
  token: string;
  channels?: FakeChannel[];
  users?: FakeUser[];
  /** Scopes the token has (x-oauth-scopes); a method needing another answers missing_scope. */
  scopes?: string[];
  /** Other routes served before the Web API (e.g. an OAuth authorization server); undefined falls through. */
  routes?: (req: RecordedRequest) => FakeResponse | undefined;
}

export async function startFakeSlack(options: FakeSlackOptions): Promise<FakeSlack> {
  const channels = options.channels ?? [];
  const users = options.users ?? [];
  const scopes = options.scopes ?? ALL_SCOPES;
  const calls: SlackCall[] = [];
  const messages: FakeMessage[] = [];
  const failures = new Map<string, Array<FakeResponse | Promise<FakeResponse>>>();
  let clock = 1_712_345_678_000_100;

  const ok = (body: Record<string, unknown>): FakeResponse => ({
    json: { ok: true, ...body },
    headers: { 'x-oauth-scopes': scopes.join(','), 'x-accepted-oauth-scopes': '' },
  });
  const fail = (error: string, extra: Record<string, unknown> = {}): FakeResponse => ({ json: { ok: false, error, ...extra }, headers: { 'x-oauth-scopes': scopes.join(',') } });
  const nextTs = () => {
    clock += 100;
    const s = String(clock);
    return `${s.slice(0, 10)}.${s.slice(10)}`;
  };
  const findChannel = (ref: unknown) => channels.find((c) => c.id === ref || `#${c.name}` === ref || c.name === ref);

  const server = await startFakeServer((req) => {
    const routed = options.routes?.(req);
    if (routed) return routed;
    const url = new URL(req.url, 'http://fake');
    const match = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (!match) return { status: 404, body: 'Not Found' };
    const method = match[1]!;
    const contentType = String(req.headers['content-type'] ?? '');
    const params: Record<string, unknown> = /json/.test(contentType) ? ((req.json as Record<string, unknown>) ?? {}) : Object.fromEntries(new URLSearchParams(req.body));
    for (const [k, v] of url.searchParams) params[k] ??= v;
    const header = String(req.headers.authorization ?? '');
    const token = header.startsWith('Bearer ') ? header.slice(7) : typeof params.token === 'string' ? params.token : undefined;
    calls.push({ method, params, token, contentType, request: req });

    if (req.method !== 'POST' && req.method !== 'GET') return { status: 405, body: 'Method Not Allowed' };
    const queued = failures.get(method)?.shift();
    if (queued) return queued;
    if (!token) return fail('not_authed');
    if (token !== options.token) return fail('invalid_auth');
    const needed = NEEDED[method];
    if (needed && !scopes.includes(needed)) return fail('missing_scope', { needed, provided: scopes.join(',') });

    switch (method) {
      case 'auth.test':
        return ok({ url: `https://${FAKE_TEAM.domain}.slack.com/`, team: FAKE_TEAM.name, user: FAKE_BOT.name, team_id: FAKE_TEAM.id, user_id: FAKE_BOT.user_id, bot_id: FAKE_BOT.bot_id, is_enterprise_install: false });

      case 'chat.postMessage': {
        const channel = findChannel(params.channel);
        if (!params.channel || !channel) return fail('channel_not_found');
        if (channel.is_archived) return fail('is_archived');
        if (channel.is_member === false) return fail('not_in_channel');
        const blocks = typeof params.blocks === 'string' ? (JSON.parse(params.blocks) as unknown[]) : (params.blocks as unknown[] | undefined);
        const text = typeof params.text === 'string' ? params.text : undefined;
        if (!text && !blocks?.length) return fail('no_text');
        if (blocks && blocks.length > 50) return fail('invalid_blocks');
        const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : undefined;
        if (threadTs && !messages.some((m) => m.channel === channel.id && m.ts === threadTs)) return fail('thread_not_found');
        const message: FakeMessage = { channel: channel.id, ts: nextTs(), text: text ?? '', user: FAKE_BOT.user_id, ...(blocks ? { blocks } : {}), ...(threadTs ? { thread_ts: threadTs } : {}) };
        messages.push(message);
        return ok({ channel: channel.id, ts: message.ts, message: { type: 'message', bot_id: FAKE_BOT.bot_id, user: message.user, text: message.text, ts: message.ts, ...(blocks ? { blocks } : {}), ...(threadTs ? { thread_ts: threadTs } : {}) } });
      }

      case 'chat.update': {
        const channel = findChannel(params.channel);
        if (!channel) return fail('channel_not_found');
        const message = messages.find((m) => m.channel === channel.id && m.ts === params.ts);
        if (!message) return fail('message_not_found');
        if (message.user !== FAKE_BOT.user_id) return fail('cant_update_message');
        const blocks = typeof params.blocks === 'string' ? (JSON.parse(params.blocks) as unknown[]) : (params.blocks as unknown[] | undefined);
        if (typeof params.text === 'string') message.text = params.text;
        if (blocks) message.blocks = blocks;
        return ok({ channel: channel.id, ts: message.ts, text: message.text, message: { type: 'message', text: message.text, user: message.user, ...(message.blocks ? { blocks: message.blocks } : {}) } });
      }

      case 'conversations.list': {
        const types = String(params.types ?? 'public_channel').split(',');
        const excludeArchived = params.exclude_archived === true || params.exclude_archived === 'true';
        const limit = Math.min(Number(params.limit ?? 100) || 100, 1000);
        let offset = 0;
        if (params.cursor) {
          const decoded = Buffer.from(String(params.cursor), 'base64').toString('utf8');
          if (!/^offset:\d+$/.test(decoded)) return fail('invalid_cursor');
          offset = Number(decoded.slice(7));
        }
        const visible = channels.filter((c) => {
          const type = c.is_im ? 'im' : c.is_mpim ? 'mpim' : c.is_private ? 'private_channel' : 'public_channel';
          return types.includes(type) && !(excludeArchived && c.is_archived);
        });
        const page = visible.slice(offset, offset + limit);
        const next = offset + limit < visible.length ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '';
        return ok({
          channels: page.map((c) => ({
            id: c.id,
            name: c.name,
            is_channel: !c.is_private && !c.is_im && !c.is_mpim,
            is_private: c.is_private ?? false,
            is_archived: c.is_archived ?? false,
            is_member: c.is_member ?? true,
            is_im: c.is_im ?? false,
            is_mpim: c.is_mpim ?? false,
            num_members: c.num_members ?? 3,
            created: 1_700_000_000,
            topic: { value: c.topic ?? '', creator: '', last_set: 0 },
            purpose: { value: '', creator: '', last_set: 0 },
          })),
          response_metadata: { next_cursor: next },
        });
      }

      case 'users.lookupByEmail': {
        if (!params.email) return fail('invalid_arguments');
        const user = users.find((u) => u.email.toLowerCase() === String(params.email).toLowerCase());
        if (!user) return fail('users_not_found');
        return ok({
          user: {
            id: user.id,
            team_id: FAKE_TEAM.id,
            name: user.name,
            deleted: false,
            real_name: user.real_name,
            tz: 'Europe/Paris',
            is_bot: user.is_bot ?? false,
            profile: { real_name: user.real_name, display_name: user.name, email: user.email },
          },
        });
      }

      default:
        return fail('unknown_method', { req_method: method });
    }
  });

  return {
    apiUrl: `${server.url}/api/`,
    server,
    calls,
    messages,
    failNext(method, answer) {
      failures.set(method, [...(failures.get(method) ?? []), answer]);
    },
    close: () => server.close(),
  };
}
