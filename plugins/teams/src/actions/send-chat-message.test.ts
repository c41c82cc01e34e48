import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeTeams } from '../fake-graph.ts';
import teams from '../index.ts';

const fake = useFakeTeams(teams);

const send = (input: unknown) => fake.run('send_chat_message', input);
const ADELE = '87d349ed-44d7-43e1-9a83-5f2406dee5bd';

describe('send_chat_message', () => {
  it('creates the oneOnOne chat with two aadUserConversationMembers, then posts the message', async () => {
    const out = await send({ user: 'AdeleV@contoso.onmicrosoft.com', content: 'Lunch?', content_type: 'text' });
    const chatId = `19:${[fake.state.me.id, ADELE].sort().join('_')}@unq.gbl.spaces`;
    expect(out).toEqual({ id: expect.any(String), chat_id: chatId, created_at: '2026-01-15T09:30:00.000Z', web_url: null });
    const [me, chat, message] = fake.server.requests;
    expect(me!.url).toBe('/v1.0/me?$select=id');
    expect(chat!.method).toBe('POST');
    expect(chat!.url).toBe('/v1.0/chats');
    expect(chat!.json).toEqual({
      chatType: 'oneOnOne',
      members: [
        { '@odata.type': '#microsoft.graph.aadUserConversationMember', roles: ['owner'], 'user@odata.bind': `${fake.baseUrl}/users('${fake.state.me.id}')` },
        { '@odata.type': '#microsoft.graph.aadUserConversationMember', roles: ['owner'], 'user@odata.bind': `${fake.baseUrl}/users('AdeleV%40contoso.onmicrosoft.com')` },
      ],
    });
    expect(message!.url).toBe(`/v1.0/chats/${encodeURIComponent(chatId)}/messages`);
    expect(message!.json).toEqual({ body: { contentType: 'text', content: 'Lunch?' } });
    for (const req of fake.server.requests) expect(req.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
  });

  it('finds the existing chat the second time (by user id) instead of creating another', async () => {
    const first = (await send({ user: 'AdeleV@contoso.onmicrosoft.com', content: 'one' })) as { chat_id: string };
    const second = (await send({ user: ADELE, content: 'two' })) as { chat_id: string };
    expect(second.chat_id).toBe(first.chat_id);
    expect(fake.state.chats).toHaveLength(1);
    expect(fake.state.messages.map((m) => [m.chatId, m.body.content])).toEqual([
      [first.chat_id, 'one'],
      [first.chat_id, 'two'],
    ]);
  });

  it("fails permanently with Graph's message when the user does not exist, sending nothing", async () => {
    const err = await failureOf(send({ user: 'nobody@contoso.onmicrosoft.com', content: 'hi' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/POST \/chats answered 404: User 'nobody@contoso.onmicrosoft.com' was not found/);
    expect(fake.state.messages).toHaveLength(0);
  });

  it('validates input', async () => {
    const err = await failureOf(send({ user: ' ', content: '', content_type: 'markdown' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['content', 'content_type', 'user']);
  });
});
