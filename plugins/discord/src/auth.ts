// A Discord bot token (Developer Portal → your application → Bot → Reset Token), sent as
// `Authorization: Bot <token>`, tested with GET /users/@me.
import { botToken, type AuthTestContext, type TestResult } from '@patchbay/sdk';
import type { APIUser } from 'discord-api-types/v10';
import { Routes } from 'discord-api-types/v10';
import { callDiscord, createDiscordClient } from './client.ts';

export async function testDiscordConnection({ credentials, config, signal }: AuthTestContext<unknown>): Promise<TestResult> {
  const client = await createDiscordClient({ credentials, config, signal });
  const me = await callDiscord<APIUser>(client, 'GET /users/@me', (rest) => rest.get(Routes.user('@me')));
  if (!me.bot) return { ok: false, message: `The token belongs to ${me.username}, which is not a bot user; use the token from the Bot page` };
  return { ok: true, message: `Connected as ${me.username}${me.discriminator && me.discriminator !== '0' ? `#${me.discriminator}` : ''} (${me.id})` };
}

export const discordBotToken = botToken({ scheme: 'Bot', test: testDiscordConnection });
