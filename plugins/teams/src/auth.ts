// How a user connects Microsoft Teams: Microsoft identity platform OAuth 2.0 (authorization code
// + PKCE) with the delegated permissions the four actions need.
import { microsoftOAuth } from '@patchbay/microsoft-graph';

/** Delegated Microsoft Graph permissions, least privilege for each action. */
export const TEAMS_SCOPES = [
  'Team.ReadBasic.All', // list_teams
  'Channel.ReadBasic.All', // list_channels
  'ChannelMessage.Send', // post_channel_message
  'Chat.Create', // send_chat_message: find or create the 1:1 chat
  'ChatMessage.Send', // send_chat_message
];

export const teamsOAuth = microsoftOAuth(TEAMS_SCOPES);
