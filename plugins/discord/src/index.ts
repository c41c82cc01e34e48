// @patchbay/plugin-discord: send channel and direct messages as a bot, and receive slash
// commands through the interactions endpoint, on @discordjs/rest and discord-api-types.
import { definePlugin } from '@patchbay/sdk';
import { sendChannelMessage } from './actions/send-channel-message.ts';
import { sendDirectMessage } from './actions/send-direct-message.ts';
import { discordBotToken } from './auth.ts';
import { DISCORD_API_URL } from './client.ts';
import { interactions } from './triggers/interactions.ts';

export const discordPlugin = definePlugin({
  key: 'discord',
  displayName: 'Discord',
  category: 'chat',
  description: 'Send Discord channel and direct messages as your bot, and run flows from slash commands.',
  baseUrl: DISCORD_API_URL,
  auth: [discordBotToken],
  actions: [sendChannelMessage, sendDirectMessage],
  triggers: [interactions],
});

export default discordPlugin;
