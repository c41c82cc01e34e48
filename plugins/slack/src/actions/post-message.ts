// chat.postMessage: text and/or Block Kit blocks to a channel, DM or thread.
import { defineAction, z } from '@patchbay/sdk';
import { callSlack, slackClientFor } from '../client.ts';
import { channelId, messageBlocks, messageText, messageTs, needsTextOrBlocks, postedMessage } from '../message.ts';

export const postMessageInput = z
  .object({
    channel: channelId,
    text: messageText.optional(),
    blocks: messageBlocks.optional(),
    thread_ts: messageTs.optional().describe('Reply in the thread of this message (its ts)'),
    reply_broadcast: z.boolean().optional().describe('With thread_ts: also show the reply in the channel'),
    unfurl_links: z.boolean().optional().describe('Unfurl links to text content (Slack default: on for bots only for some links)'),
    unfurl_media: z.boolean().optional().describe('Unfurl media links (Slack default: on)'),
  })
  .superRefine(needsTextOrBlocks);

export const postMessage = defineAction({
  key: 'post_message',
  displayName: 'Post a message',
  description: 'Post a message (text and/or Block Kit blocks) to a channel, a DM or a thread. The bot must be in the channel (or have chat:write.public).',
  input: postMessageInput,
  output: postedMessage,
  async run(ctx) {
    const { input } = ctx;
    const client = await slackClientFor(ctx);
    const result = await callSlack('chat.postMessage', ctx.signal, () =>
      client.chat.postMessage({
        channel: input.channel,
        text: input.text,
        blocks: input.blocks as never,
        thread_ts: input.thread_ts,
        reply_broadcast: input.reply_broadcast,
        unfurl_links: input.unfurl_links,
        unfurl_media: input.unfurl_media,
      } as Parameters<typeof client.chat.postMessage>[0]),
    );
    return {
      channel: result.channel ?? input.channel,
      ts: result.ts!,
      ...(result.message?.thread_ts ? { thread_ts: result.message.thread_ts } : {}),
      ...(result.message?.text !== undefined ? { text: result.message.text } : {}),
    };
  },
});
