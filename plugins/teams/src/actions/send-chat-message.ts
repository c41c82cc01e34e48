// Sends a 1:1 chat message: finds or creates the oneOnOne chat between the signed-in user and the
// target (POST /chats returns the existing chat when there is one), then POST /chats/{id}/messages.
import { defineAction, z } from '@patchbay/sdk';
import { graphBaseUrl, graphCall, graphClient } from '@patchbay/microsoft-graph';
import { contentInput, contentTypeInput, messageBody, sentMessageOutput, type GraphChatMessage } from '../messages.ts';

const member = (baseUrl: string, user: string) => ({
  '@odata.type': '#microsoft.graph.aadUserConversationMember',
  roles: ['owner'],
  // OData key literal: single quotes doubled.
  'user@odata.bind': `${baseUrl}/users('${encodeURIComponent(user.replace(/'/g, "''"))}')`,
});

export const sendChatMessage = defineAction({
  key: 'send_chat_message',
  displayName: 'Send a 1:1 chat message',
  description: 'Send a chat message to one person (by Microsoft Entra user id or sign-in email), creating the 1:1 chat if there is none yet.',
  input: z.object({
    user: z.string().trim().min(1).describe('The recipient: Microsoft Entra user id (GUID) or user principal name / email (ada@contoso.com)'),
    content: contentInput,
    content_type: contentTypeInput,
  }),
  output: z.object({ ...sentMessageOutput, chat_id: z.string().describe('The 1:1 chat the message went to') }),
  async run(ctx) {
    const { input } = ctx;
    const client = graphClient(ctx);
    const me = await graphCall<{ id: string }>(ctx, 'GET /me', () => client.api('/me').select('id').get());
    const base = graphBaseUrl(ctx.config);
    const chat = await graphCall<{ id: string }>(ctx, 'POST /chats', () =>
      client.api('/chats').post({ chatType: 'oneOnOne', members: [member(base, me.id), member(base, input.user)] }),
    );
    const sent = await graphCall<GraphChatMessage>(ctx, 'POST /chats/{chat-id}/messages', () =>
      client.api(`/chats/${encodeURIComponent(chat.id)}/messages`).post(messageBody(input)),
    );
    return { id: sent.id, created_at: sent.createdDateTime ?? null, web_url: sent.webUrl ?? null, chat_id: sent.chatId ?? chat.id };
  },
});
