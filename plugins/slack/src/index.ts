// @patchbay/plugin-slack: post and update messages, list channels, find users by email, and
// receive Events API events and slash commands, on Slack's own WebClient.
import { definePlugin } from '@patchbay/sdk';
import { listChannels } from './actions/list-channels.ts';
import { lookupUserByEmail } from './actions/lookup-user-by-email.ts';
import { postMessage } from './actions/post-message.ts';
import { updateMessage } from './actions/update-message.ts';
import { slackBotToken, slackOAuth } from './auth.ts';
import { SLACK_API_URL } from './client.ts';
import { events } from './triggers/events.ts';
import { slashCommand } from './triggers/slash-command.ts';

export const slackPlugin = definePlugin({
  key: 'slack',
  displayName: 'Slack',
  category: 'chat',
  description: 'Post and update Slack messages, list channels, look up users, and react to Slack events and slash commands.',
  baseUrl: SLACK_API_URL,
  auth: [slackOAuth, slackBotToken],
  actions: [postMessage, updateMessage, listChannels, lookupUserByEmail],
  triggers: [events, slashCommand],
});

export default slackPlugin;
export { slackConfigFromTokenResponse, SLACK_BOT_SCOPES } from './auth.ts';
