// @patchbay/plugin-teams: post to Microsoft Teams channels, send 1:1 chat messages, and list the
// teams and channels the signed-in user belongs to, through Microsoft Graph.
import { definePlugin } from '@patchbay/sdk';
import { listChannels } from './actions/list-channels.ts';
import { listTeams } from './actions/list-teams.ts';
import { postChannelMessage } from './actions/post-channel-message.ts';
import { sendChatMessage } from './actions/send-chat-message.ts';
import { teamsOAuth } from './auth.ts';
import { GRAPH_BASE_URL } from '@patchbay/microsoft-graph';

export const teamsPlugin = definePlugin({
  key: 'teams',
  displayName: 'Microsoft Teams',
  category: 'chat',
  description: 'Post messages (with Adaptive Cards) to Teams channels, send 1:1 chat messages, and list teams and channels, as the signed-in Microsoft 365 user.',
  baseUrl: GRAPH_BASE_URL,
  auth: [teamsOAuth],
  actions: [postChannelMessage, sendChatMessage, listTeams, listChannels],
});

export default teamsPlugin;
