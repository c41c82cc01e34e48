import { describePlugin, testAuth } from '@patchbay/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackConfigFromTokenResponse } from './auth.ts';
import { startFakeSlack, type FakeSlack } from './fake-slack.ts';
import slack from './index.ts';

const TOKEN = 'xoxb-6666-auth-secret';
let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN });
});
afterAll(() => fake.close());

describe('connection test (auth.test)', () => {
  it('passes for a good bot token and an OAuth token, naming the workspace', async () => {
    const bot = await testAuth({ plugin: slack, mode: 'BOT_TOKEN', credentials: { botToken: TOKEN }, config: { baseUrl: fake.apiUrl } });
    expect(bot).toMatchObject({ ok: true, message: 'Connected to Patchbay Test as patchbay' });
    const oauth = await testAuth({ plugin: slack, mode: 'OAUTH2', credentials: { accessToken: TOKEN }, config: { baseUrl: fake.apiUrl } });
    expect(oauth.ok).toBe(true);
    const calls = fake.calls.filter((c) => c.method === 'auth.test');
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call.request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('fails with Slack\'s reason for a bad token, without echoing it', async () => {
    const result = await testAuth({ plugin: slack, mode: 'BOT_TOKEN', credentials: { botToken: 'xoxb-not-valid' }, config: { baseUrl: fake.apiUrl } });
    expect(result.ok).toBe(false);
    expect(result.message).toBe('Slack auth.test failed: invalid_auth');
  });
});

describe('OAuth v2 install', () => {
  it("asks for bot scopes comma-separated at Slack's v2 endpoints, without PKCE", () => {
    const oauth = slack.auth.find((a) => a.mode === 'OAUTH2')!;
    expect(oauth.oauth).toMatchObject({ authorizationUrl: 'https://slack.com/oauth/v2/authorize', tokenUrl: 'https://slack.com/api/oauth.v2.access', scopeSeparator: ',', pkce: false });
    expect(oauth.scopes).toEqual(expect.arrayContaining(['chat:write', 'channels:read', 'users:read.email']));
  });

  it("keeps the workspace, bot user and app ids from oauth.v2.access's answer", () => {
    // oauth.v2.access's documented answer, minus the token fields the hub never offers.
    const response = {
      ok: true,
      bot_user_id: 'U0BOT',
      app_id: 'A0APP',
      team: { name: 'Patchbay Test', id: 'T0PATCHBAY' },
      enterprise: null,
      is_enterprise_install: false,
    };
    expect(slackConfigFromTokenResponse(response)).toEqual({ teamId: 'T0PATCHBAY', teamName: 'Patchbay Test', botUserId: 'U0BOT', appId: 'A0APP' });
    expect(slackConfigFromTokenResponse({ team: null, enterprise: { id: 'E0ENT', name: 'Grid' } })).toEqual({ enterpriseId: 'E0ENT' });
  });
});

describe('catalog', () => {
  it('describes both auth modes, every action with JSON Schema, and both triggers', () => {
    const described = describePlugin(slack);
    expect(described.authModes).toEqual(['OAUTH2', 'BOT_TOKEN']);
    expect(described.actions.map((a) => a.key)).toEqual(['post_message', 'update_message', 'list_channels', 'lookup_user_by_email']);
    const post = described.actions.find((a) => a.key === 'post_message')!.inputSchema as { properties: Record<string, { description?: string }> };
    expect(post.properties.channel!.description).toMatch(/Channel id/);
    expect(described.triggers).toEqual([
      { key: 'events', displayName: 'Events API', kind: 'WEBHOOK' },
      { key: 'slash_command', displayName: 'Slash command', kind: 'WEBHOOK' },
    ]);
    expect(slack.baseUrl).toBe('https://slack.com/api/');
  });
});
