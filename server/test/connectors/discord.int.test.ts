// Discord end to end: a bot-token connection made through GraphQL (tested with GET /users/@me),
// send_channel_message run through runAction → Temporal → the plugin → @discordjs/rest → the
// fake Discord, interactions through a /hooks endpoint, and no token anywhere in GraphQL or the logs.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_BOT_USER, rateLimited, startFakeDiscord, type FakeDiscord } from '../../../plugins/discord/src/fake-discord.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';
import { waitForEvent } from '../webhooks-helpers.ts';

const BOT_TOKEN = 'MTEwMDAwMDAwMDAwMDAwMDAwMQ.GeE2eX.discord-e2e-bot-secret-4f3e2d1c';
const CHANNEL = '1200000000000000001';
// The application's Ed25519 key pair; the endpoint's secret is the public key as 64 hex digits.
const appKeys = generateKeyPairSync('ed25519');
const PUBLIC_KEY_HEX = Buffer.from(appKeys.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');

const CreateConnection = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status authMode lastError config } }`;
const CreateEndpoint = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url verification } } }`;

let hub: TestHub;
let org: TestOrg;
let discord: FakeDiscord;
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  discord = await startFakeDiscord({ token: BOT_TOKEN, channels: [{ id: CHANNEL, guild_id: '1300000000000000001' }] });
  hub = await TestHub.start();
  org = await hub.createOrg('discord');
});

afterAll(async () => {
  await stopHub();
  await discord?.close();
});

describe('Discord through the hub', () => {
  let connectionId: string;

  it('creates a bot-token connection, tested with GET /users/@me', async () => {
    const { createConnection } = await gql<{ createConnection: { id: string; status: string; authMode: string; lastError: string | null } }>(CreateConnection, {
      input: { integrationKey: 'discord', name: 'Discord bot', authMode: 'BOT_TOKEN', credentials: { botToken: BOT_TOKEN }, config: { baseUrl: discord.apiUrl } },
    });
    expect(createConnection).toMatchObject({ status: 'ACTIVE', authMode: 'BOT_TOKEN', lastError: null });
    connectionId = createConnection.id;
    const test = discord.requests.find((r) => decodeURIComponent(r.url) === '/api/v10/users/@me');
    expect(test?.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
  });

  it('runs send_channel_message: SUCCEEDED, and the fake Discord got the message with the bot token', async () => {
    const before = discord.requests.length;
    const embeds = [{ title: 'Order 42', description: 'Shipped with UPS' }];
    const run = await runToEnd(connectionId, 'send_channel_message', { channel_id: CHANNEL, content: 'Order **42** shipped', embeds });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const stored = discord.messages.at(-1)!;
    expect(run.output).toEqual({ id: stored.id, channel_id: CHANNEL, timestamp: expect.any(String), content: 'Order **42** shipped', embeds: 1, author_id: FAKE_BOT_USER.id });
    const upstream = discord.requests.slice(before);
    expect(upstream.map((r) => `${r.method} ${r.url}`)).toEqual([`POST /api/v10/channels/${CHANNEL}/messages`]);
    expect(upstream[0]!.headers.authorization).toBe(`Bot ${BOT_TOKEN}`);
    expect(upstream[0]!.json).toEqual({ content: 'Order **42** shipped', embeds });
  });

  it('waits out a 429 through Temporal (not inside the client) and then succeeds', async () => {
    const before = discord.requests.length;
    discord.failNext(rateLimited(0.5));
    const run = await runToEnd(connectionId, 'send_channel_message', { channel_id: CHANNEL, content: 'after the rate limit' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(discord.requests.length - before).toBe(2);
  });

  it("fails an unknown channel at once (no retries) with Discord's message", async () => {
    const before = discord.requests.length;
    const run = await runToEnd(connectionId, 'send_channel_message', { channel_id: '1299999999999999999', content: 'hello?' });
    expect(run).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(run.error).toContain('Unknown Channel (code 10003)');
    expect(discord.requests.length - before).toBe(1);
  });

  it('receives interactions on a hook: PING answered with PONG, a slash command deferred, stored and turned into an event', async () => {
    const { createWebhookEndpoint } = await gql<{ createWebhookEndpoint: { endpoint: { id: string; url: string } } }>(CreateEndpoint, {
      input: { name: 'Discord interactions', verification: 'DISCORD', secret: PUBLIC_KEY_HEX, target: { trigger: { integrationKey: 'discord', trigger: 'interactions' } } },
    });
    const hookUrl = `${hub.url}${new URL(createWebhookEndpoint.endpoint.url).pathname}`;
    const post = (body: string, key: KeyObject = appKeys.privateKey) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = sign(null, Buffer.from(timestamp + body), key).toString('hex');
      return fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature-timestamp': timestamp, 'x-signature-ed25519': signature }, body });
    };

    const ping = await post(JSON.stringify({ id: '1500000000000000000', application_id: FAKE_BOT_USER.id, type: 1, token: 'ping-token', version: 1 }));
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ type: 1 });

    const forged = await post(JSON.stringify({ type: 1 }), generateKeyPairSync('ed25519').privateKey);
    expect(forged.status).toBe(401);

    const command = {
      id: '1500000000000000001',
      application_id: FAKE_BOT_USER.id,
      type: 2,
      token: 'interaction-token-e2e',
      version: 1,
      guild_id: '1300000000000000001',
      channel_id: CHANNEL,
      member: { user: { id: '1400000000000000001', username: 'ada', global_name: 'Ada', discriminator: '0', avatar: null } },
      data: { id: '1600000000000000001', name: 'status', type: 1, options: [{ type: 3, name: 'service', value: 'api' }] },
    };
    const deferred = await post(JSON.stringify(command));
    expect(deferred.status).toBe(200);
    expect(await deferred.json()).toEqual({ type: 5 });

    const endpointId = Buffer.from(createWebhookEndpoint.endpoint.id, 'base64').toString().split(':').pop()!;
    const rows = await hub.db.prisma.webhookEvent.findMany({ where: { endpointId } });
    expect(rows).toHaveLength(1); // PING and the forged request were not stored
    const processed = await waitForEvent(hub, rows[0]!.id);
    expect(processed.status).toBe('PROCESSED');
    expect((processed.output as { events: unknown[] }).events).toEqual([
      expect.objectContaining({ interaction_id: '1500000000000000001', command_name: 'status', options: { service: 'api' }, user: { id: '1400000000000000001', username: 'ada', global_name: 'Ada' }, channel_id: CHANNEL }),
    ]);
  });

  it('never shows the token in GraphQL responses or the logs', async () => {
    expect(hub.logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(responses)).not.toContain(BOT_TOKEN);
    expect(hub.logs.join('\n')).not.toContain(BOT_TOKEN);
  });
});
