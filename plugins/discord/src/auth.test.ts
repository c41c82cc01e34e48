import { describePlugin, testAuth } from '@patchbay/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BOT_USER, startFakeDiscord, type FakeDiscord } from './fake-discord.ts';
import discord from './index.ts';

const TOKEN = 'MTEwMDAwMDAwMDAwMDAwMDAwMQ.Gx1Y2z.auth-secret-token-7890';
let fake: FakeDiscord;

beforeAll(async () => {
  fake = await startFakeDiscord({ token: TOKEN });
});
afterAll(() => fake.close());

describe('connection test (GET /users/@me)', () => {
  it('passes for the bot token, sent as "Bot <token>"', async () => {
    const result = await testAuth({ plugin: discord, mode: 'BOT_TOKEN', credentials: { botToken: TOKEN }, config: { baseUrl: fake.apiUrl } });
    expect(result).toMatchObject({ ok: true, message: `Connected as ${FAKE_BOT_USER.username} (${FAKE_BOT_USER.id})` });
    const req = fake.requests.at(-1)!;
    expect(`${req.method} ${decodeURIComponent(req.url)}`).toBe('GET /api/v10/users/@me');
    expect(req.headers.authorization).toBe(`Bot ${TOKEN}`);
  });

  it('fails for a refused token, and the message does not echo it', async () => {
    const result = await testAuth({ plugin: discord, mode: 'BOT_TOKEN', credentials: { botToken: 'not-the-token' }, config: { baseUrl: fake.apiUrl } });
    expect(result.ok).toBe(false);
    expect(result.message).toContain('answered 401');
    expect(result.message).not.toContain('not-the-token');
  });
});

describe('catalog', () => {
  it('offers the bot token, both actions with JSON Schema, and the interactions trigger', () => {
    const described = describePlugin(discord);
    expect(described.authModes).toEqual(['BOT_TOKEN']);
    expect(described.actions.map((a) => a.key)).toEqual(['send_channel_message', 'send_direct_message']);
    const input = described.actions[0]!.inputSchema as { properties: Record<string, { maxLength?: number; maxItems?: number; description?: string }> };
    expect(input.properties.content).toMatchObject({ maxLength: 2000 });
    expect(input.properties.embeds).toMatchObject({ maxItems: 10 });
    expect(input.properties.channel_id!.description).toMatch(/channel/);
    expect(described.triggers).toEqual([{ key: 'interactions', displayName: 'Interactions (slash commands)', kind: 'WEBHOOK' }]);
    expect(discord.baseUrl).toBe('https://discord.com/api');
  });
});
