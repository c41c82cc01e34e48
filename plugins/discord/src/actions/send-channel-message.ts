// POST /channels/{channel.id}/messages: content and/or embeds in a server channel or thread.
import { defineAction, z } from '@patchbay/sdk';
import { Routes, type APIMessage } from 'discord-api-types/v10';
import { callDiscord, discordClientFor } from '../client.ts';
import { checkMessage, messageBody, messageFields, sentMessage, sentMessageOf, snowflake } from '../message.ts';

export const sendChannelMessageInput = z
  .object({
    channel_id: snowflake.describe('The channel (or thread) id: right-click the channel → Copy Channel ID (Developer Mode on)'),
    ...messageFields,
  })
  .superRefine(checkMessage);

export const sendChannelMessage = defineAction({
  key: 'send_channel_message',
  displayName: 'Send a channel message',
  description: 'Post a message (content and/or embeds) to a channel or thread the bot can see and send in.',
  input: sendChannelMessageInput,
  output: sentMessage,
  async run(ctx) {
    const client = await discordClientFor(ctx);
    const message = await callDiscord<APIMessage>(client, 'POST /channels/{channel.id}/messages', (rest) =>
      rest.post(Routes.channelMessages(ctx.input.channel_id), { body: messageBody(ctx.input), signal: ctx.signal }),
    );
    return sentMessageOf(message);
  },
});
