// Webhook endpoints that target a plugin's trigger: the hub checks the provider's signature
// with the scheme the trigger declares, answers handshakes at once without storing them,
// stores everything else before answering with the trigger's own reply, and turns the stored
// request into the trigger's events (kept on the event, announced as trigger.fired).
import { createHmac } from 'node:crypto';
import { apiKey, defineTrigger, definePlugin, z } from '@patchbay/sdk';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { TestHub, type TestOrg } from './harness.ts';
import { CreateEndpoint, Events, HooksFeed, ok, postHook, until, waitForEvent } from './webhooks-helpers.ts';

const SIGNING_SECRET = 'chat-signing-secret-7f3a9c';
const API_KEY = 'chat-api-key-5d8e1b0c';

/** A chat provider shaped like Slack: v0 signatures, url_verification, message events. */
const chatPlugin = definePlugin({
  key: 'chat-fixture',
  displayName: 'Chat fixture',
  category: 'testing',
  auth: [apiKey({ config: z.object({ workspace: z.string() }) })],
  actions: [],
  triggers: [
    defineTrigger({
      key: 'message',
      displayName: 'New message',
      kind: 'WEBHOOK',
      verification: 'SLACK',
      settings: z.object({ channel: z.string().optional() }),
      output: z.object({ text: z.string(), channel: z.string(), workspace: z.string() }),
      respond: (request) => {
        const body = request.body as { type?: string; challenge?: string };
        if (body.type === 'handshake') return { status: 200, body: { challenge: body.challenge }, handshake: true };
        return { status: 200, body: 'thanks', headers: { 'x-fixture': 'yes' } };
      },
      handle: async (request, ctx) => {
        const body = request.body as { messages: Array<{ text: string; channel: string }> };
        const wanted = body.messages.filter((m) => !ctx.settings.channel || m.channel === ctx.settings.channel);
        return { events: wanted.map((m) => ({ ...m, workspace: String(ctx.config.workspace) })) };
      },
    }),
  ],
});

const CreateConnection = graphql(`
  mutation TriggerConnection($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }
`);

let hub: TestHub;
let org: TestOrg;
let connectionId: string;

function signed(body: string, secret = SIGNING_SECRET, at = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(at) };
}

async function createEndpoint(target: unknown, verification = 'SLACK') {
  return hub.gql(CreateEndpoint, { input: { name: 'chat', verification: verification as 'SLACK', secret: SIGNING_SECRET, target } }, org.tokens.ADMIN);
}

beforeAll(async () => {
  hub = await TestHub.start({ plugins: [chatPlugin] });
  org = await hub.createOrg('triggers');
  const created = await ok(hub, CreateConnection, { input: { integrationKey: 'chat-fixture', name: 'Acme chat', authMode: 'API_KEY', credentials: { apiKey: API_KEY }, config: { workspace: 'acme' } } }, org.tokens.ADMIN);
  connectionId = created.createConnection.id;
}, 120_000);

afterAll(async () => {
  if (hub) await hub.db.prisma.organization.deleteMany({ where: { id: org.id } }).catch(() => undefined);
  await hub?.stop();
});

describe('endpoint set-up', () => {
  it('refuses an unknown trigger, the wrong scheme, bad settings and another integration’s connection', async () => {
    const unknown = await createEndpoint({ trigger: { integrationKey: 'chat-fixture', trigger: 'nope' } });
    expect(unknown.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('(it has: message)') });
    const scheme = await hub.gql(CreateEndpoint, { input: { name: 'chat', verification: 'HEADER_KEY', target: { trigger: { integrationKey: 'chat-fixture', trigger: 'message' } } } }, org.tokens.ADMIN);
    expect(scheme.errors?.[0]?.message).toContain('create the endpoint with verification SLACK');
    const settings = await createEndpoint({ trigger: { integrationKey: 'chat-fixture', trigger: 'message', settings: { channel: 42 } } });
    expect(settings.errors?.[0]?.message).toMatch(/Invalid settings for trigger "message": channel/);
    const other = await hub.gql(CreateConnection, { input: { integrationKey: 'http', name: 'api', authMode: 'NONE' } }, org.tokens.ADMIN);
    const wrong = await createEndpoint({ trigger: { integrationKey: 'chat-fixture', trigger: 'message', connectionId: other.data!.createConnection.id } });
    expect(wrong.errors?.[0]?.message).toContain('The connection is to "http"');
  });
});

describe('requests', () => {
  let url: string;
  let endpointId: string;

  beforeAll(async () => {
    const created = await createEndpoint({ trigger: { integrationKey: 'chat-fixture', trigger: 'message', connectionId, settings: { channel: 'C1' } } });
    expect(created.errors).toBeUndefined();
    url = created.data!.createWebhookEndpoint.endpoint.url;
    endpointId = created.data!.createWebhookEndpoint.endpoint.id;
    expect(created.data!.createWebhookEndpoint.endpoint.target).toEqual({ trigger: { integrationKey: 'chat-fixture', trigger: 'message', connectionId, settings: { channel: 'C1' } } });
  });

  it('answers a signed handshake at once and stores nothing', async () => {
    const body = JSON.stringify({ type: 'handshake', challenge: 'ch-123' });
    const res = await postHook(hub, url, body, signed(body));
    expect(res).toMatchObject({ status: 200, body: { challenge: 'ch-123' } });
    const events = await ok(hub, Events, { endpointId }, org.tokens.ADMIN);
    expect(events.webhookEvents.edges).toHaveLength(0);
  });

  it('refuses a wrongly signed request before the trigger sees it', async () => {
    const body = JSON.stringify({ type: 'handshake', challenge: 'ch-456' });
    const res = await postHook(hub, url, body, signed(body, 'not-the-secret'));
    expect(res.status).toBe(401);
    expect(res.body.challenge).toBeUndefined();
  });

  it("stores the request, answers with the trigger's reply, and turns it into events", async () => {
    const body = JSON.stringify({ type: 'messages', messages: [{ text: 'hello', channel: 'C1' }, { text: 'elsewhere', channel: 'C2' }, { text: 'again', channel: 'C1' }] });
    const res = await fetch(`${hub.url}${new URL(url).pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', ...signed(body) }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fixture')).toBe('yes');
    expect(await res.text()).toBe('thanks');

    const stored = await until('the event row', () => hub.db.prisma.webhookEvent.findFirst({ where: { endpointId: decodeGlobalID(endpointId).id } }));
    const done = await waitForEvent(hub, stored.id);
    expect(done.status).toBe('PROCESSED');
    const expected = [
      { text: 'hello', channel: 'C1', workspace: 'acme' },
      { text: 'again', channel: 'C1', workspace: 'acme' },
    ];
    expect((done.output as { events: unknown[] }).events).toEqual(expected);

    const feed = await until('trigger.fired events', async () => {
      const { activity } = await ok(hub, HooksFeed, { filter: { types: ['trigger.fired'] } }, org.tokens.ADMIN);
      return activity.edges.length === 2 ? activity.edges.map((e) => e.node) : undefined;
    });
    expect(feed.map((n) => (n.data as { event: unknown }).event).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [...expected].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(feed[0]!.data).toMatchObject({ integrationKey: 'chat-fixture', trigger: 'message', eventId: stored.id, endpointId: decodeGlobalID(endpointId).id });
    // The credential the handler could use is nowhere in what the API gives back, nor in the logs.
    const events = await ok(hub, Events, { endpointId }, org.tokens.ADMIN);
    expect(JSON.stringify([events, feed])).not.toContain(API_KEY);
    expect(hub.logs.join('\n')).not.toContain(API_KEY);
  });
});
