// A DM: open (or reuse) the DM channel with POST /users/@me/channels, then post in it.
import { defineAction, z } from '@patchbay/sdk';
import { Routes, type APIDMChannel, type APIMessage } from 'discord-api-types/v10';
import { callDiscord, discordClientFor } from '../client.ts';
import { checkMessage, messageBody, messageFields, sentMessage, sentMessageOf, snowflake } from '../message.ts';

export const sendDirectMessageInput = z
  .object({
    user_id: snowflake.describe('The user to message: right-click them → Copy User ID. They must share a server with the bot and accept DMs'),
    ...messageFields,
  })
  .superRefine(checkMessage);

export const sendDirectMessage = defineAction({
  key: 'send_direct_message',
  displayName: 'Send a direct message',
  description: 'Send a user a direct message (content and/or embeds) from the bot.',
  input: sendDirectMessageInput,
  output: sentMessage,
  async run(ctx) {
    const client = await discordClientFor(ctx);
    const dm = await callDiscord<APIDMChannel>(client, 'POST /users/@me/channels', (rest) =>
      rest.post(Routes.userChannels(), { body: { recipient_id: ctx.input.user_id }, signal: ctx.signal }),
    );
    const message = await callDiscord<APIMessage>(client, 'POST /channels/{channel.id}/messages', (rest) =>
      rest.post(Routes.channelMessages(dm.id), { body: messageBody(ctx.input), signal: ctx.signal }),
    );
    return sentMessageOf(message);
  },
});
