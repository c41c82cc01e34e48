// A local stand-in for the Microsoft Teams part of Microsoft Graph v1.0, for tests: the real
// paths (with or without the /v1.0 prefix), `Authorization: Bearer`, absolute `@odata.nextLink`
// URLs on the fake's own host, Graph error bodies `{ error: { code, message, innerError } }`, 429
// with Retry-After, 401 InvalidAuthenticationToken, and Graph's rules for chats and messages.
import type { PluginDefinition } from '@patchbay/sdk';
import { useFakeProvider, type FakeResponse, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export interface FakeUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
}

export interface FakeChannel {
  id: string;
  displayName: string;
  description: string | null;
  membershipType: 'standard' | 'private' | 'shared';
  email: string;
}

export interface FakeTeam {
  id: string;
  displayName: string;
  description: string | null;
  channels: FakeChannel[];
}

export interface FakeMessage {
  id: string;
  body: { contentType: string; content: string };
  attachments: Array<Record<string, unknown>>;
  subject: string | null;
  teamId?: string;
  channelId?: string;
  chatId?: string;
}

export interface FakeTeamsState {
  /** The one bearer token the fake accepts. */
  accessToken: string;
  me: FakeUser;
  users: FakeUser[];
  teams: FakeTeam[];
  chats: Array<{ id: string; memberIds: string[] }>;
  messages: FakeMessage[];
  /** Items per page on collections (Graph's own page sizes vary). */
  pageSize: number;
  /** The next `throttled` requests answer 429 with `Retry-After: retryAfter`. */
  throttled: number;
  retryAfter: string;
}

const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers: { 'request-id': 'fake-request-id', ...headers },
  json: { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': 'fake-request-id', 'client-request-id': 'fake-client-request-id' } } },
});

function channels(count: number, prefix: string): FakeChannel[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `19:${prefix}${i}@thread.tacv2`,
    displayName: i === 0 ? 'General' : `Channel ${i}`,
    description: i === 0 ? 'The default channel' : null,
    membershipType: i === count - 1 ? 'private' : 'standard',
    email: i === 0 ? `general.${prefix}@contoso.onmicrosoft.com` : '',
  }));
}

export function defaultTeamsState(): FakeTeamsState {
  const me = { id: '48d31887-5fad-4d73-a9f5-3c356e68a038', displayName: 'Megan Bowen', userPrincipalName: 'MeganB@contoso.onmicrosoft.com' };
  return {
    accessToken: 'eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZha2UtdGVhbXMtYWNjZXNzLXRva2VuIn0.fake',
    me,
    users: [me, { id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd', displayName: 'Adele Vance', userPrincipalName: 'AdeleV@contoso.onmicrosoft.com' }],
    teams: [
      { id: '02bd9fd6-8f93-4758-87c3-1fb73740a315', displayName: 'Mark 8 Project Team', description: 'Welcome to the team that we have assembled to create the Mark 8.', channels: channels(5, 'mark8') },
      { id: '13be6971-79db-4f33-9d41-b25589ca25af', displayName: 'Retail', description: null, channels: channels(1, 'retail') },
    ],
    chats: [],
    messages: [],
    pageSize: 2,
    throttled: 0,
    retryAfter: '7',
  };
}

/** Pages `items` by a numeric $skiptoken, with an absolute next link on the request's own host. */
function page<T>(req: RecordedRequest, url: URL, items: T[], size: number, context: string): FakeResponse {
  const skip = Number(url.searchParams.get('$skiptoken') ?? '0');
  const value = items.slice(skip, skip + size);
  const next = new URL(url.pathname + url.search, `http://${req.headers.host}`);
  next.searchParams.set('$skiptoken', String(skip + size));
  return {
    json: {
      '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#${context}`,
      ...(skip + size < items.length ? { '@odata.nextLink': next.toString() } : {}),
      value,
    },
  };
}

let sequence = 1_616_965_872_395;

/** The request handler; `state` is live, so a test can change it between calls. */
export function fakeTeamsGraph(state: FakeTeamsState = defaultTeamsState()) {
  const findUser = (key: string) => state.users.find((u) => u.id === key || u.userPrincipalName.toLowerCase() === key.toLowerCase());

  function postMessage(body: unknown, where: Pick<FakeMessage, 'teamId' | 'channelId' | 'chatId'>): FakeResponse {
    const message = body as { body?: { contentType?: string; content?: string }; attachments?: Array<Record<string, unknown>>; subject?: string };
    if (!message?.body?.content && !message?.attachments?.length) return graphError(400, 'BadRequest', 'Missing body content');
    const attachments = message.attachments ?? [];
    for (const attachment of attachments) {
      if (!message.body?.content?.includes(`<attachment id="${attachment.id}"></attachment>`)) {
        return graphError(400, 'BadRequest', `Attachment with id ${attachment.id} was not found in the message body.`);
      }
      if (message.body.contentType !== 'html') return graphError(400, 'BadRequest', 'Attachments require an html body.');
      if (attachment.contentType === 'application/vnd.microsoft.card.adaptive') {
        try {
          JSON.parse(String(attachment.content));
        } catch {
          return graphError(400, 'BadRequest', 'Invalid adaptive card content: it must be a JSON string.');
        }
      }
    }
    const saved: FakeMessage = {
      id: String(sequence++),
      body: { contentType: message.body?.contentType ?? 'text', content: message.body?.content ?? '' },
      attachments,
      subject: message.subject ?? null,
      ...where,
    };
    state.messages.push(saved);
    return {
      status: 201,
      json: {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#chatMessage',
        id: saved.id,
        replyToId: null,
        etag: saved.id,
        messageType: 'message',
        createdDateTime: new Date(2026, 0, 15, 9, 30).toISOString(),
        lastModifiedDateTime: new Date(2026, 0, 15, 9, 30).toISOString(),
        subject: saved.subject,
        importance: 'normal',
        locale: 'en-us',
        webUrl: where.teamId
          ? `https://teams.microsoft.com/l/message/${encodeURIComponent(where.channelId!)}/${saved.id}?groupId=${where.teamId}&tenantId=fake-tenant&createdTime=${saved.id}`
          : null,
        chatId: where.chatId ?? null,
        channelIdentity: where.teamId ? { teamId: where.teamId, channelId: where.channelId } : null,
        from: { user: { id: state.me.id, displayName: state.me.displayName, userIdentityType: 'aadUser' } },
        body: saved.body,
        attachments,
        mentions: [],
        reactions: [],
      },
    };
  }

  function createChat(body: unknown): FakeResponse {
    const chat = body as { chatType?: string; members?: Array<Record<string, unknown>> };
    if (chat?.chatType !== 'oneOnOne') return graphError(400, 'BadRequest', 'Only oneOnOne chats are emulated');
    if (chat.members?.length !== 2) return graphError(400, 'BadRequest', 'A oneOnOne chat must have exactly two members.');
    const ids: string[] = [];
    for (const member of chat.members) {
      if (member['@odata.type'] !== '#microsoft.graph.aadUserConversationMember') return graphError(400, 'BadRequest', 'Members must be aadUserConversationMember.');
      const bind = /\/users\('([^']*)'\)$/.exec(decodeURIComponent(String(member['user@odata.bind'] ?? '')));
      const user = bind && findUser(bind[1]!);
      if (!user) return graphError(404, 'NotFound', `User '${bind?.[1] ?? member['user@odata.bind']}' was not found.`);
      ids.push(user.id);
    }
    if (!ids.includes(state.me.id)) return graphError(403, 'Forbidden', 'The signed-in user must be a member of the chat.');
    const sorted = [...ids].sort();
    const existing = state.chats.find((c) => c.memberIds.join() === sorted.join());
    const found = existing ?? { id: `19:${sorted.join('_')}@unq.gbl.spaces`, memberIds: sorted };
    if (!existing) state.chats.push(found);
    return { status: existing ? 200 : 201, json: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#chats/$entity', id: found.id, topic: null, chatType: 'oneOnOne', createdDateTime: '2026-01-15T09:00:00Z' } };
  }

  function handle(req: RecordedRequest): FakeResponse {
    const url = new URL(req.url, 'http://fake');
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\.0(?=\/)/, ''));
    if (req.headers.authorization !== `Bearer ${state.accessToken}`) {
      return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', { 'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"' });
    }
    if (state.throttled > 0) {
      state.throttled--;
      return graphError(429, 'TooManyRequests', 'Too many requests from Identifier:fake under category:Teams. Please try again later.', { 'retry-after': state.retryAfter });
    }
    if (req.method === 'GET' && path === '/me') return { json: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...state.me, mail: state.me.userPrincipalName } };
    if (req.method === 'GET' && path === '/me/joinedTeams') {
      const teams = state.teams.map(({ channels: _c, ...team }) => ({ ...team, isArchived: false, tenantId: 'dcd219dd-bc68-4b9b-bf0b-4a33a796be35' }));
      return page(req, url, teams, state.pageSize, 'teams');
    }
    let m = /^\/teams\/([^/]+)\/channels(?:\/([^/]+)\/messages)?$/.exec(path);
    if (m) {
      const team = state.teams.find((t) => t.id === m![1]);
      if (!team) return graphError(404, 'NotFound', `No team found with Group Id ${m[1]}`);
      if (!m[2] && req.method === 'GET') {
        const filter = url.searchParams.get('$filter');
        const prefix = filter && /^startswith\(displayName,'(.*)'\)$/.exec(filter)?.[1]?.replace(/''/g, "'");
        if (filter && prefix === undefined) return graphError(400, 'BadRequest', `Invalid filter clause: ${filter}`);
        const list = team.channels.filter((c) => !prefix || c.displayName.toLowerCase().startsWith(prefix.toLowerCase()));
        return page(req, url, list.map((c) => ({ ...c, createdDateTime: '2025-11-01T08:00:00Z', webUrl: `https://teams.microsoft.com/l/channel/${encodeURIComponent(c.id)}/${encodeURIComponent(c.displayName)}?groupId=${team.id}` })), state.pageSize, `teams('${team.id}')/channels`);
      }
      if (m[2] && req.method === 'POST') {
        if (!team.channels.some((c) => c.id === m![2])) return graphError(404, 'NotFound', `Channel ${m[2]} was not found in team ${team.id}.`);
        return postMessage(req.json, { teamId: team.id, channelId: m[2] });
      }
    }
    if (req.method === 'POST' && path === '/chats') return createChat(req.json);
    m = /^\/chats\/([^/]+)\/messages$/.exec(path);
    if (m && req.method === 'POST') {
      if (!state.chats.some((c) => c.id === m![1])) return graphError(404, 'NotFound', `Chat ${m[1]} was not found.`);
      return postMessage(req.json, { chatId: m[1] });
    }
    return graphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop()}'.`);
  }

  return { state, handle };
}

/** For a vitest file: one fake for the file, reset before each test; `run(action, input, accessToken?)` runs an action of `plugin` as an OAUTH2 connection. */
export function useFakeTeams(plugin: PluginDefinition) {
  return useFakeProvider({ beforeAll, afterAll, beforeEach }, { plugin, fake: fakeTeamsGraph(), initialState: defaultTeamsState, basePath: '/v1.0' });
}
