// Posts a message to a Teams channel: POST /teams/{team-id}/channels/{channel-id}/messages, with
// optional Adaptive Card attachments.
import { defineAction, z } from '@patchbay/sdk';
import { graphCall, graphClient } from '@patchbay/microsoft-graph';
import { adaptiveCardsInput, contentInput, contentTypeInput, messageBody, sentMessageOutput, type GraphChatMessage } from '../messages.ts';

export const postChannelMessage = defineAction({
  key: 'post_channel_message',
  displayName: 'Post a channel message',
  description: 'Post a message (HTML or text, optionally with Adaptive Cards) to a channel of a team, as the signed-in user.',
  input: z
    .object({
      team_id: z.string().trim().min(1).describe('The team id (a GUID; see list_teams)'),
      channel_id: z.string().trim().min(1).describe('The channel id, e.g. 19:…@thread.tacv2 (see list_channels)'),
      content: contentInput.optional(),
      content_type: contentTypeInput,
      subject: z.string().max(255).optional().describe('Optional subject line, shown above the message'),
      adaptive_cards: adaptiveCardsInput,
    })
    .refine((input) => input.content !== undefined || (input.adaptive_cards?.length ?? 0) > 0, { message: 'give content, adaptive_cards, or both', path: ['content'] }),
  output: z.object({
    ...sentMessageOutput,
    team_id: z.string(),
    channel_id: z.string(),
  }),
  async run(ctx) {
    const { input } = ctx;
    const path = `/teams/${encodeURIComponent(input.team_id)}/channels/${encodeURIComponent(input.channel_id)}/messages`;
    const sent = await graphCall<GraphChatMessage>(ctx, 'POST /teams/{team-id}/channels/{channel-id}/messages', () => graphClient(ctx).api(path).post(messageBody(input)));
    return {
      id: sent.id,
      created_at: sent.createdDateTime ?? null,
      web_url: sent.webUrl ?? null,
      team_id: sent.channelIdentity?.teamId ?? input.team_id,
      channel_id: sent.channelIdentity?.channelId ?? input.channel_id,
    };
  },
});
