// The two ways to connect Slack: install the app through OAuth v2 (bot scopes), or paste a bot
// token (xoxb-…) from an app installed by hand. Both are tested with auth.test.
import { botToken, oauth2, type AuthTestContext, type TestResult } from '@patchbay/sdk';
import { callSlack, createSlackClient } from './client.ts';

/** Bot scopes the actions and triggers need; an org's OAuth app may ask for others. */
export const SLACK_BOT_SCOPES = ['chat:write', 'channels:read', 'groups:read', 'im:read', 'mpim:read', 'users:read', 'users:read.email', 'commands'];

/** auth.test: the cheapest call that proves the token works, and names the workspace. */
export async function testSlackConnection({ credentials, config, signal }: AuthTestContext<unknown>): Promise<TestResult> {
  const client = await createSlackClient({ credentials, config, signal });
  const result = await callSlack('auth.test', signal, () => client.auth.test());
  return { ok: true, message: `Connected to ${result.team ?? result.team_id ?? 'the workspace'} as ${result.user ?? result.user_id ?? 'the bot'}` };
}

/**
 * What of oauth.v2.access's answer the connection keeps (non-secret): the workspace, the bot's
 * user id and the app id. Slack sends `team: { id, name }` and, for Enterprise Grid installs,
 * `enterprise: { id, name }`.
 */
export function slackConfigFromTokenResponse(response: Record<string, unknown>): Record<string, unknown> {
  const team = response.team as { id?: unknown; name?: unknown } | null | undefined;
  const enterprise = response.enterprise as { id?: unknown; name?: unknown } | null | undefined;
  const kept: Record<string, unknown> = {};
  if (typeof team?.id === 'string') kept.teamId = team.id;
  if (typeof team?.name === 'string') kept.teamName = team.name;
  if (typeof enterprise?.id === 'string') kept.enterpriseId = enterprise.id;
  if (typeof response.bot_user_id === 'string') kept.botUserId = response.bot_user_id;
  if (typeof response.app_id === 'string') kept.appId = response.app_id;
  return kept;
}

export const slackOAuth = oauth2({
  authorizationUrl: 'https://slack.com/oauth/v2/authorize',
  tokenUrl: 'https://slack.com/api/oauth.v2.access',
  scopes: SLACK_BOT_SCOPES,
  // Slack joins scopes with commas. PKCE is only for apps Slack has turned into public clients
  // (a one-way switch); the hub is a confidential client with a client secret.
  scopeSeparator: ',',
  pkce: false,
  // Bot tokens do not expire unless the app turns token rotation on; then Slack sends a refresh token.
  refresh: true,
  configFromTokenResponse: slackConfigFromTokenResponse,
  test: testSlackConnection,
});

export const slackBotToken = botToken({ test: testSlackConnection });
