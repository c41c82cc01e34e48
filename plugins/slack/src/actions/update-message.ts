// chat.update: replace the text and/or blocks of a message the bot posted.
import { defineAction, z } from '@patchbay/sdk';
import { callSlack, slackClientFor } from '../client.ts';
import { channelId, messageBlocks, messageText, messageTs, needsTextOrBlocks, postedMessage } from '../message.ts';

export const updateMessageInput = z
  .object({
    channel: channelId.describe('The channel id the message is in (C…, G…, D…)'),
    ts: messageTs.describe('The timestamp of the message to update'),
    text: messageText.optional(),
    blocks: messageBlocks.optional(),
  })
  .superRefine(needsTextOrBlocks);

export const updateMessage = defineAction({
  key: 'update_message',
  displayName: 'Update a message',
  description: "Replace a message's text and/or blocks. Only messages the bot posted can be updated.",
  input: updateMessageInput,
  output: postedMessage,
  async run(ctx) {
    const { input } = ctx;
    const client = await slackClientFor(ctx);
    const result = await callSlack('chat.update', ctx.signal, () =>
      client.chat.update({ channel: input.channel, ts: input.ts, text: input.text, blocks: input.blocks } as Parameters<typeof client.chat.update>[0]),
    );
    return {
      channel: result.channel ?? input.channel,
      ts: result.ts ?? input.ts,
      ...(result.text !== undefined ? { text: result.text } : {}),
    };
  },
});
