// Slack end to end: a bot-token connection made through GraphQL (tested with auth.test), and
// one installed through the OAuth flow, post_message run through runAction → Temporal → the
// plugin → @slack/web-api → the fake Slack, Events API requests through a /hooks endpoint, and no
// token or signing secret anywhere in GraphQL or the logs.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TEAM, startFakeSlack, type FakeSlack } from '../../../plugins/slack/src/fake-slack.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';
import { waitForEvent } from '../webhooks-helpers.ts';
import { connectOAuth, fakeOAuthRoutes } from './oauth-connect.ts';

const BOT_TOKEN = 'xoxb-e2e-1234567890-SlackBotSecret9f8e7d';
const SIGNING_SECRET = 'e2e0slack0signing0secret0a1b2c3d';

const CreateConnection = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status authMode lastError config } }`;
const ConnectionQuery = `query($id: ID!) { connection(id: $id) { id status authMode config } }`;
const CreateEndpoint = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url verification } } }`;

let hub: TestHub;
let org: TestOrg;
let slack: FakeSlack;
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  slack = await startFakeSlack({
    token: BOT_TOKEN,
    channels: [{ id: 'C0GENERAL', name: 'general' }],
    // Slack's oauth.v2.access answer carries the workspace and bot ids beside the token.
    routes: (req) => fakeOAuthRoutes(req, { accessToken: BOT_TOKEN, extra: { ok: true, bot_user_id: 'U0BOT', app_id: 'A0APP', team: { id: FAKE_TEAM.id, name: FAKE_TEAM.name }, enterprise: null } }),
  });
  hub = await TestHub.start();
  org = await hub.createOrg('slack');
});

afterAll(async () => {
  await stopHub();
  await slack?.close();
});

describe('Slack through the hub', () => {
  let connectionId: string;

  it('creates a bot-token connection, tested with auth.test', async () => {
    const { createConnection } = await gql<{ createConnection: { id: string; status: string; authMode: string; lastError: string | null } }>(CreateConnection, {
      input: { integrationKey: 'slack', name: 'Slack (bot)', authMode: 'BOT_TOKEN', credentials: { botToken: BOT_TOKEN }, config: { baseUrl: slack.apiUrl } },
    });
    expect(createConnection).toMatchObject({ status: 'ACTIVE', authMode: 'BOT_TOKEN', lastError: null });
    connectionId = createConnection.id;
    const test = slack.calls.find((c) => c.method === 'auth.test');
    expect(test?.request.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
  });

  it('runs post_message: SUCCEEDED, and the fake Slack got chat.postMessage with the bot token', async () => {
    const before = slack.calls.length;
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Order 42* shipped' } }];
    const run = await runToEnd(connectionId, 'post_message', { channel: 'C0GENERAL', text: 'Order 42 shipped', blocks });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    expect(run.output).toEqual({ channel: 'C0GENERAL', ts: slack.messages.at(-1)!.ts, text: 'Order 42 shipped' });
    const upstream = slack.calls.slice(before);
    expect(upstream.map((c) => c.method)).toEqual(['chat.postMessage']);
    expect(upstream[0]!.request.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
    expect(upstream[0]!.params).toMatchObject({ channel: 'C0GENERAL', text: 'Order 42 shipped' });
    expect(JSON.parse(String(upstream[0]!.params.blocks))).toEqual(blocks);
  });

  it("fails channel_not_found at once (no retries) with Slack's error code", async () => {
    const before = slack.calls.length;
    const run = await runToEnd(connectionId, 'post_message', { channel: 'C0NOWHERE', text: 'hello?' });
    expect(run).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(run.error).toContain('channel_not_found');
    expect(slack.calls.length - before).toBe(1);
  });

  it('installs through OAuth v2 and keeps the workspace from the token response', async () => {
    const id = await connectOAuth(hub, org, { integrationKey: 'slack', providerUrl: slack.server.url, config: { baseUrl: slack.apiUrl } });
    const { connection } = await gql<{ connection: { status: string; authMode: string; config: Record<string, unknown> } }>(ConnectionQuery, { id });
    expect(connection).toMatchObject({ status: 'ACTIVE', authMode: 'OAUTH2', config: { teamId: FAKE_TEAM.id, teamName: FAKE_TEAM.name, botUserId: 'U0BOT', appId: 'A0APP' } });
    const authorize = slack.server.requests.find((r) => r.url.startsWith('/oauth/authorize'))!;
    const params = new URL(authorize.url, 'http://fake').searchParams;
    expect(params.get('scope')).toContain('chat:write,channels:read');
    expect(params.get('code_challenge')).toBeNull();

    const run = await runToEnd(id, 'lookup_user_by_email', { email: 'nobody@example.com' });
    expect(run).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(run.error).toContain('users_not_found');
    expect(slack.calls.at(-1)!.request.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
  });

  it('receives Events API requests on a hook: url_verification answered, event_callback stored and turned into an event', async () => {
    const { createWebhookEndpoint } = await gql<{ createWebhookEndpoint: { secret: string | null; endpoint: { id: string; url: string } } }>(CreateEndpoint, {
      input: { name: 'Slack events', verification: 'SLACK', secret: SIGNING_SECRET, target: { trigger: { integrationKey: 'slack', trigger: 'events' } } },
    });
    expect(createWebhookEndpoint.secret).toBeNull();
    const hookUrl = `${hub.url}${new URL(createWebhookEndpoint.endpoint.url).pathname}`;
    const post = (body: string, secret = SIGNING_SECRET) => {
      const at = Math.floor(Date.now() / 1000);
      const signature = `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`;
      return fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(at), 'x-slack-signature': signature }, body });
    };

    const challenge = await post(JSON.stringify({ token: 'legacy', challenge: 'c-3eZbrw1aBm2rZgRNFdxV', type: 'url_verification' }));
    expect(challenge.status).toBe(200);
    expect(await challenge.json()).toEqual({ challenge: 'c-3eZbrw1aBm2rZgRNFdxV' });

    const forged = await post(JSON.stringify({ type: 'event_callback', event_id: 'Ev0FORGED', event: { type: 'message' } }), 'not-the-signing-secret');
    expect(forged.status).toBe(401);

    const callback = { type: 'event_callback', team_id: FAKE_TEAM.id, api_app_id: 'A0APP', event_id: 'Ev0E2E1', event_time: 1712345678, event: { type: 'app_mention', user: 'U0ADA', channel: 'C0GENERAL', text: '<@U0BOT> status?', ts: '1712345678.000300', event_ts: '1712345678.000300' } };
    const accepted = await post(JSON.stringify(callback));
    expect(accepted.status).toBe(200);

    const endpointId = Buffer.from(createWebhookEndpoint.endpoint.id, 'base64').toString().split(':').pop()!;
    const rows = await hub.db.prisma.webhookEvent.findMany({ where: { endpointId } });
    expect(rows).toHaveLength(1); // the handshake and the forged request were not stored
    const processed = await waitForEvent(hub, rows[0]!.id);
    expect(processed.status).toBe('PROCESSED');
    expect((processed.output as { events: unknown[] }).events).toEqual([
      expect.objectContaining({ event_id: 'Ev0E2E1', type: 'app_mention', user: 'U0ADA', channel: 'C0GENERAL', text: '<@U0BOT> status?', team_id: FAKE_TEAM.id }),
    ]);
  });

  it('never shows the token or the signing secret in GraphQL responses or the logs', async () => {
    expect(hub.logs.length).toBeGreaterThan(0);
    for (const secret of [BOT_TOKEN, SIGNING_SECRET]) {
      expect(JSON.stringify(responses)).not.toContain(secret);
      expect(hub.logs.join('\n')).not.toContain(secret);
    }
  });
});
