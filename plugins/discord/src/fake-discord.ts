// A local Discord REST API (v10) for tests, speaking Discord's wire format: /api/v10 paths,
// `Authorization: Bot <token>`, JSON bodies, `{ message, code, errors }` error bodies (50035
// Invalid Form Body with nested `_errors`), X-RateLimit-* headers on every answer, and 429s
// with Retry-After, X-RateLimit-Scope and `{ message, retry_after, global }`.
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';

export interface FakeDiscordChannel {
  id: string;
  guild_id?: string;
  /** false: the bot cannot see it (403 Missing Access). */
  visible?: boolean;
}

export interface FakeDiscordUser {
  id: string;
  username: string;
  /** false: the user does not accept DMs from the bot (403, code 50007). */
  acceptsDms?: boolean;
}

export interface FakeDiscordMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: unknown[];
  body: Record<string, unknown>;
}

export interface FakeDiscord {
  /** The API base to use as the connection's baseUrl (the client adds /v10). */
  apiUrl: string;
  server: FakeServer;
  requests: RecordedRequest[];
  messages: FakeDiscordMessage[];
  /** DM channels opened, by recipient id. */
  dmChannels: Map<string, string>;
  /** The next request gets this answer instead. */
  failNext(answer: FakeResponse | Promise<FakeResponse>): void;
  close(): Promise<void>;
}

export const FAKE_BOT_USER = { id: '1100000000000000001', username: 'patchbay-bot', discriminator: '0', global_name: null, avatar: null, bot: true, flags: 0 };

const rateHeaders = (bucket: string): Record<string, string> => ({
  'x-ratelimit-limit': '5',
  'x-ratelimit-remaining': '4',
  'x-ratelimit-reset': String(Date.now() / 1000 + 5),
  'x-ratelimit-reset-after': '5.000',
  'x-ratelimit-bucket': bucket,
});

const error = (status: number, code: number, message: string, errors?: unknown): FakeResponse => ({ status, json: { message, code, ...(errors ? { errors } : {}) }, headers: rateHeaders('err') });
const fieldError = (code: string, message: string) => ({ _errors: [{ code, message }] });

export async function startFakeDiscord(options: { token: string; channels?: FakeDiscordChannel[]; users?: FakeDiscordUser[] }): Promise<FakeDiscord> {
  const channels = new Map((options.channels ?? []).map((c) => [c.id, c]));
  const users = new Map((options.users ?? []).map((u) => [u.id, u]));
  const messages: FakeDiscordMessage[] = [];
  const dmChannels = new Map<string, string>();
  const dmRecipients = new Map<string, string>();
  const queued: Array<FakeResponse | Promise<FakeResponse>> = [];
  let next = 1_250_000_000_000_000_000n;
  const snowflake = () => String((next += 4_194_304n));

  const server = await startFakeServer((req) => {
    const failure = queued.shift();
    if (failure) return failure;
    // Clients send `@me` as is or percent-encoded.
    const pathname = decodeURIComponent(new URL(req.url, 'http://fake').pathname);
    if (!pathname.startsWith('/api/v10/')) return { status: 404, json: { message: '404: Not Found', code: 0 } };
    const path = pathname.slice('/api/v10'.length);
    if (req.headers.authorization !== `Bot ${options.token}`) return { status: 401, json: { message: '401: Unauthorized', code: 0 } };

    if (req.method === 'GET' && path === '/users/@me') return { json: FAKE_BOT_USER, headers: rateHeaders('me') };

    if (req.method === 'POST' && path === '/users/@me/channels') {
      const recipient = String((req.json as { recipient_id?: unknown } | undefined)?.recipient_id ?? '');
      if (!/^\d{17,20}$/.test(recipient)) return error(400, 50035, 'Invalid Form Body', { recipient_id: fieldError('NUMBER_TYPE_COERCE', `Value "${recipient}" is not snowflake.`) });
      const user = users.get(recipient);
      if (!user) return error(400, 50033, 'Invalid Recipient(s)');
      let id = dmChannels.get(recipient);
      if (!id) {
        id = snowflake();
        dmChannels.set(recipient, id);
        dmRecipients.set(id, recipient);
      }
      return { json: { id, type: 1, last_message_id: null, flags: 0, recipients: [{ id: user.id, username: user.username, discriminator: '0', global_name: null, avatar: null }] }, headers: rateHeaders('dm') };
    }

    const match = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (req.method === 'POST' && match) {
      const channelId = match[1]!;
      const dmUser = dmRecipients.get(channelId);
      const channel = channels.get(channelId);
      if (!channel && !dmUser) return error(404, 10003, 'Unknown Channel');
      if (channel?.visible === false) return error(403, 50001, 'Missing Access');
      if (dmUser && users.get(dmUser)?.acceptsDms === false) return error(403, 50007, 'Cannot send messages to this user');
      if (!/^application\/json/.test(String(req.headers['content-type'] ?? ''))) return error(400, 50035, 'Invalid Form Body');
      const body = (req.json ?? {}) as Record<string, unknown>;
      const content = typeof body.content === 'string' ? body.content : '';
      const embeds = Array.isArray(body.embeds) ? body.embeds : [];
      if (content.length > 2000) return error(400, 50035, 'Invalid Form Body', { content: fieldError('BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.') });
      if (embeds.length > 10) return error(400, 50035, 'Invalid Form Body', { embeds: fieldError('BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.') });
      if (!content && !embeds.length) return error(400, 50006, 'Cannot send an empty message');
      const message: FakeDiscordMessage = { id: snowflake(), channel_id: channelId, content, embeds, body };
      messages.push(message);
      return {
        json: {
          id: message.id,
          type: 0,
          channel_id: channelId,
          content,
          embeds,
          author: FAKE_BOT_USER,
          attachments: [],
          mentions: [],
          mention_roles: [],
          mention_everyone: false,
          pinned: false,
          tts: body.tts === true,
          timestamp: new Date().toISOString(),
          edited_timestamp: null,
          flags: typeof body.flags === 'number' ? body.flags : 0,
          components: [],
        },
        headers: rateHeaders('messages'),
      };
    }
    return { status: 404, json: { message: '404: Not Found', code: 0 } };
  });

  return {
    apiUrl: `${server.url}/api`,
    server,
    requests: server.requests,
    messages,
    dmChannels,
    failNext(answer) {
      queued.push(answer);
    },
    close: () => server.close(),
  };
}

/** Discord's 429 as it sends it: Retry-After (whole seconds) and the precise wait in the body. */
export function rateLimited(retryAfterSeconds: number, options: { global?: boolean } = {}): FakeResponse {
  return {
    status: 429,
    headers: {
      'retry-after': String(Math.ceil(retryAfterSeconds)),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset-after': String(retryAfterSeconds),
      'x-ratelimit-bucket': 'messages',
      'x-ratelimit-scope': options.global ? 'global' : 'user',
      ...(options.global ? { 'x-ratelimit-global': 'true' } : {}),
    },
    json: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: options.global ?? false },
  };
}
