// Outgoing webhooks end to end, through GraphQL alone: subscriptions, fan-out of real domain
// events, Standard Webhooks signatures verified by a receiver built only on the `standardwebhooks`
// library, retries on a (shortened) schedule, 410, replay, test events, secret rotation, and
// no secret anywhere but the once-returned value.
import { eventTypeMatches } from '@patchbay/db';
import { rotateKeys } from '@patchbay/db/rotate';
import { createVault, generateKeySpec, parseKeyRing } from '@patchbay/db/vault';
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryWorkflowId } from '@patchbay/workflows';
import { graphql } from './gql/index.ts';
import { Subscription, TestHub, type TestOrg } from './harness.ts';
import { CreateEndpoint, ok, postHook, until } from './webhooks-helpers.ts';

// Short retry schedule for every delivery this hub starts (read by server/src/webhooks/delivery-dispatch.ts).
process.env.PATCHBAY_DELIVERY_SCHEDULE_MS = '0,300,300,300';

const CreateSubscription = graphql(`
  mutation OutCreateSubscription($input: CreateWebhookSubscriptionInput!) {
    createWebhookSubscription(input: $input) { secret subscription { id url eventTypes enabled disabledReason } }
  }
`);
const RotateSecret = graphql(`
  mutation OutRotate($id: ID!) { rotateWebhookSubscriptionSecret(id: $id) { secret subscription { id enabled } } }
`);
const UpdateSubscription = graphql(`
  mutation OutUpdate($id: ID!, $input: UpdateWebhookSubscriptionInput!) { updateWebhookSubscription(id: $id, input: $input) { id enabled disabledReason eventTypes } }
`);
const SendTest = graphql(`
  mutation OutSendTest($id: ID!, $payload: JSON) { sendTestEvent(subscriptionId: $id, payload: $payload) { id messageId eventType status } }
`);
const Replay = graphql(`mutation OutReplay($id: ID!) { replayDelivery(id: $id) { id messageId status } }`);
const Subscriptions = graphql(`
  query OutSubscriptions { webhookSubscriptions(first: 50) { edges { node { id url eventTypes enabled disabledReason } } } }
`);
const Deliveries = graphql(`
  query OutDeliveries($subscriptionId: ID, $status: DeliveryStatus) {
    deliveries(subscriptionId: $subscriptionId, status: $status, first: 50) {
      edges { node { id messageId eventType status payload nextAttemptAt createdAt attempts { at statusCode durationMs error } } }
    }
  }
`);
const CreateConnection = graphql(`
  mutation OutCreateConnection($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }
`);
const Feed = graphql(`query OutFeed { activity(first: 200) { edges { node { type message data } } } }`);

let hub: TestHub;
let org: TestOrg;
let other: TestOrg;
let receiver: FakeServer;
/** Per path: how the receiver answers. */
const replies = new Map<string, (req: RecordedRequest) => FakeResponse>();
const seen: unknown[] = [];
const secrets: string[] = [];

beforeAll(async () => {
  receiver = await startFakeServer((req) => (replies.get(req.url.split('?')[0]!) ?? (() => ({ status: 200, json: { ok: true } })))(req));
  // The delivery dispatcher rides on the outbox switch; the incoming outbox's grace keeps it off other files' events.
  hub = await TestHub.start({ webhookOutbox: { intervalMs: 200, graceMs: 3_600_000 } });
  org = await hub.createOrg('out');
  other = await hub.createOrg('out-other');
});

afterAll(async () => {
  await hub?.stop();
  await receiver?.close();
});

async function subscribe(path: string, eventTypes: string[], token = org.tokens.ADMIN) {
  const { createWebhookSubscription } = await ok(hub, CreateSubscription, { input: { url: `${receiver.url}${path}`, eventTypes } }, token, seen);
  expect(createWebhookSubscription.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
  secrets.push(createWebhookSubscription.secret);
  return createWebhookSubscription;
}

const requestsTo = (path: string) => receiver.requests.filter((r) => r.url === path);

/** Verifies a received request with the standardwebhooks library alone. */
function verify(req: RecordedRequest, secret: string) {
  return new Webhook(secret).verify(req.body, req.headers as Record<string, string>);
}

async function deliveriesOf(subscriptionId: string) {
  const data = await ok(hub, Deliveries, { subscriptionId }, org.tokens.VIEWER, seen);
  return data.deliveries.edges.map((e) => e.node);
}

describe('subscriptions', () => {
  it('validates URLs and event types, and only ADMIN/OWNER manage', async () => {
    const bad = await hub.gql(CreateSubscription, { input: { url: 'ftp://example.com/x', eventTypes: ['run.*'] } }, org.tokens.ADMIN);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badType = await hub.gql(CreateSubscription, { input: { url: 'https://example.com/x', eventTypes: ['Run!'] } }, org.tokens.ADMIN);
    expect(badType.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const member = await hub.gql(CreateSubscription, { input: { url: 'https://example.com/x', eventTypes: ['*'] } }, org.tokens.MEMBER);
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const viewer = await hub.gql(CreateSubscription, { input: { url: 'https://example.com/x', eventTypes: ['*'] } }, org.tokens.VIEWER);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists subscriptions per organization; VIEWER reads', async () => {
    const { subscription } = await subscribe('/listed', ['run.*', 'connection.expired']);
    const mine = await ok(hub, Subscriptions, {}, org.tokens.VIEWER, seen);
    expect(mine.webhookSubscriptions.edges.map((e) => e.node.id)).toContain(subscription.id);
    const theirs = await ok(hub, Subscriptions, {}, other.tokens.OWNER, seen);
    expect(theirs.webhookSubscriptions.edges.map((e) => e.node.id)).not.toContain(subscription.id);
    const foreign = await hub.gql(SendTest, { id: subscription.id }, other.tokens.OWNER);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await ok(hub, UpdateSubscription, { id: subscription.id, input: { enabled: false } }, org.tokens.ADMIN, seen);
  });
});

describe('delivery', () => {
  it('fans a real domain event out to a connection.* subscriber, verified by standardwebhooks', async () => {
    const { subscription, secret } = await subscribe('/fanout', ['connection.*']);
    await subscribe('/fanout-runs', ['run.succeeded']); // must not get connection events
    const created = await ok(
      hub,
      CreateConnection,
      { input: { integrationKey: 'http', name: 'Out CRM', authMode: 'NONE', config: { baseUrl: receiver.url } } },
      org.tokens.ADMIN,
      seen,
    );
    type Payload = { type: string; timestamp: string; data: Record<string, unknown> };
    // Every connection event arrives (connection.tested too); each verifies with the library.
    const req = await until('the connection.created delivery', async () => requestsTo('/fanout').find((r) => (verify(r, secret) as Payload).type === 'connection.created'));
    const payload = verify(req, secret) as Payload;
    expect(created.createConnection.status).toBe('ACTIVE');
    expect(payload.data.connectionId).toEqual(expect.any(String));
    expect(typeof payload.data.id).toBe('string');
    expect(req.headers['webhook-id']).toMatch(/^msg_/);
    expect(requestsTo('/fanout-runs')).toHaveLength(0);
    const [delivery] = await until('DELIVERED', async () => {
      const rows = await deliveriesOf(subscription.id);
      return rows.length && rows.every((d) => d.status === 'DELIVERED') ? rows : null;
    });
    const createdDelivery = (await deliveriesOf(subscription.id)).find((d) => d.eventType === 'connection.created')!;
    expect(createdDelivery.messageId).toBe(req.headers['webhook-id']);
    expect(createdDelivery.attempts).toHaveLength(1);
    expect(createdDelivery.attempts[0]!.statusCode).toBe(200);
    expect(delivery).toBeTruthy();
  });

  it("fans an incoming webhook's webhook.received out to a webhook.* subscriber and to the live feed", async () => {
    const { subscription, secret } = await subscribe('/incoming', ['webhook.*']);
    const feed = new Subscription<{ activity: { type: string; data: { eventId?: string } } }>(
      `${hub.url.replace('http', 'ws')}/graphql`,
      'subscription { activity(filter: { types: ["webhook.received"] }) { type data } }',
      {},
      org.tokens.VIEWER,
    );
    await feed.ready;
    const { createWebhookEndpoint } = await ok(hub, CreateEndpoint, { input: { name: 'fan-in', verification: 'NONE' } }, org.tokens.ADMIN, seen);
    const accepted = await postHook(hub, createWebhookEndpoint.endpoint.url, JSON.stringify({ lead: 7 }));
    expect(accepted.status).toBe(202);
    const eventId = accepted.body.id as string;
    // Live: the entry written with the event's dispatch reaches the graphql-ws subscriber.
    const live = await feed.next(30_000);
    expect(live.errors).toBeUndefined();
    expect(live.data!.activity).toMatchObject({ type: 'webhook.received', data: { eventId } });
    await feed.close();
    // Out: one delivery, signed, carrying the event's id.
    type Payload = { type: string; data: { eventId?: string; endpointId?: string } };
    const req = await until('the webhook.received delivery', async () => requestsTo('/incoming').find((r) => (verify(r, secret) as Payload).data.eventId === eventId));
    expect(verify(req, secret)).toMatchObject({ type: 'webhook.received', data: { eventId, verification: 'not verified (NONE)' } });
    const received = (await deliveriesOf(subscription.id)).filter((d) => d.eventType === 'webhook.received');
    expect(received).toHaveLength(1);
  });

  it('retries 503, 503 and delivers on the third attempt; every attempt is recorded', async () => {
    const { subscription, secret } = await subscribe('/flaky', ['*']);
    let calls = 0;
    replies.set('/flaky', () => (++calls <= 2 ? { status: 503, body: 'busy' } : { status: 200, json: { ok: true } }));
    const sent = await ok(hub, SendTest, { id: subscription.id, payload: { hello: 'world' } }, org.tokens.ADMIN, seen);
    expect(sent.sendTestEvent.eventType).toBe('webhook.test');
    const delivery = await until('DELIVERED', async () => (await deliveriesOf(subscription.id)).find((d) => d.id === sent.sendTestEvent.id && d.status === 'DELIVERED'));
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([503, 503, 200]);
    expect(delivery.attempts[0]!.error).toBe('HTTP 503');
    const received = requestsTo('/flaky');
    expect(received).toHaveLength(3);
    for (const req of received) expect((verify(req, secret) as { data: unknown }).data).toEqual({ hello: 'world' });
    expect(new Set(received.map((r) => r.headers['webhook-id']))).toEqual(new Set([sent.sendTestEvent.messageId]));
    const stored = await hub.db.prisma.deliveryAttempt.findMany({ where: { delivery: { messageId: delivery.messageId } }, orderBy: { at: 'asc' } });
    expect(stored[0]!.responseBody).toBe('busy');
  });

  it('410 disables the subscription at once, with a reason and an event', async () => {
    const { subscription } = await subscribe('/gone', ['*']);
    replies.set('/gone', () => ({ status: 410, body: 'gone' }));
    const sent = await ok(hub, SendTest, { id: subscription.id }, org.tokens.ADMIN, seen);
    await until('FAILED', async () => (await deliveriesOf(subscription.id)).find((d) => d.id === sent.sendTestEvent.id && d.status === 'FAILED'));
    expect(requestsTo('/gone')).toHaveLength(1);
    const subs = await ok(hub, Subscriptions, {}, org.tokens.VIEWER, seen);
    const node = subs.webhookSubscriptions.edges.find((e) => e.node.id === subscription.id)!.node;
    expect(node.enabled).toBe(false);
    expect(node.disabledReason).toMatch(/410/);
    const feed = await ok(hub, Feed, {}, org.tokens.VIEWER, seen);
    expect(feed.activity.edges.some((e) => e.node.type === 'webhook_subscription.disabled')).toBe(true);
    // Re-enabling works.
    const enabled = await ok(hub, UpdateSubscription, { id: subscription.id, input: { enabled: true } }, org.tokens.ADMIN, seen);
    expect(enabled.updateWebhookSubscription).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('replays a delivery with the same webhook-id and new attempts', async () => {
    const { subscription, secret } = await subscribe('/replay', ['*']);
    const sent = await ok(hub, SendTest, { id: subscription.id, payload: { n: 1 } }, org.tokens.ADMIN, seen);
    await until('first receipt', async () => requestsTo('/replay').length === 1 && (await deliveriesOf(subscription.id))[0]?.status === 'DELIVERED');
    const replayed = await ok(hub, Replay, { id: sent.sendTestEvent.id }, org.tokens.ADMIN, seen);
    expect(replayed.replayDelivery.messageId).toBe(sent.sendTestEvent.messageId);
    await until('second receipt', async () => requestsTo('/replay').length === 2);
    const [first, second] = requestsTo('/replay');
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(verify(second!, secret)).toEqual(verify(first!, secret));
    const delivery = await until('two attempts', async () => (await deliveriesOf(subscription.id)).find((d) => d.attempts.length === 2 && d.status === 'DELIVERED'));
    expect(delivery.messageId).toBe(sent.sendTestEvent.messageId);
    const viewer = await hub.gql(Replay, { id: sent.sendTestEvent.id }, org.tokens.VIEWER);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('signs with the old and the new secret for 24 h after a rotation', async () => {
    const { subscription, secret: oldSecret } = await subscribe('/rotate', ['*']);
    const rotated = await ok(hub, RotateSecret, { id: subscription.id }, org.tokens.ADMIN, seen);
    const newSecret = rotated.rotateWebhookSubscriptionSecret.secret;
    secrets.push(newSecret);
    expect(newSecret).not.toBe(oldSecret);
    await ok(hub, SendTest, { id: subscription.id }, org.tokens.ADMIN, seen);
    const req = await until('receipt', async () => requestsTo('/rotate')[0]);
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(req, newSecret)).toBeTruthy();
    expect(verify(req, oldSecret)).toBeTruthy();
    expect(() => verify(req, `whsec_${Buffer.alloc(24, 1).toString('base64')}`)).toThrow();
    // After the window only the new secret signs.
    await hub.db.prisma.webhookSubscription.update({ where: { id: (await hub.db.prisma.webhookSubscription.findFirstOrThrow({ where: { url: `${receiver.url}/rotate` } })).id }, data: { previousSecretExpiresAt: new Date(Date.now() - 1) } });
    await ok(hub, SendTest, { id: subscription.id }, org.tokens.ADMIN, seen);
    const later = await until('second receipt', async () => requestsTo('/rotate')[1]);
    expect(String(later.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verify(later, newSecret)).toBeTruthy();
    expect(() => verify(later, oldSecret)).toThrow();
  });

  it('honours Retry-After (bounded) between attempts', async () => {
    const { subscription } = await subscribe('/retry-after', ['*']);
    let calls = 0;
    replies.set('/retry-after', () => (++calls === 1 ? { status: 429, headers: { 'retry-after': '2' }, body: 'slow down' } : { status: 200, body: 'ok' }));
    const sent = await ok(hub, SendTest, { id: subscription.id }, org.tokens.ADMIN, seen);
    const delivery = await until('DELIVERED', async () => (await deliveriesOf(subscription.id)).find((d) => d.id === sent.sendTestEvent.id && d.status === 'DELIVERED'));
    expect(delivery.attempts.map((a) => a.statusCode)).toEqual([429, 200]);
    const gap = Date.parse(delivery.attempts[1]!.at) - Date.parse(delivery.attempts[0]!.at);
    expect(gap).toBeGreaterThanOrEqual(1_900); // the schedule alone would wait ~300 ms
  });

  it('disables the subscription after persistent failure (5 days without a success), with an event', async () => {
    const { subscription } = await subscribe('/failing', ['*']);
    replies.set('/failing', () => ({ status: 500, body: 'broken' }));
    const row = await hub.db.prisma.webhookSubscription.findFirstOrThrow({ where: { url: `${receiver.url}/failing` } });
    await hub.db.prisma.webhookSubscription.update({ where: { id: row.id }, data: { failingSince: new Date(Date.now() - 5 * 24 * 3_600_000 - 60_000) } });
    const sent = await ok(hub, SendTest, { id: subscription.id }, org.tokens.ADMIN, seen);
    await until('FAILED', async () => (await deliveriesOf(subscription.id)).find((d) => d.id === sent.sendTestEvent.id && d.status === 'FAILED'));
    const after = await hub.db.prisma.webhookSubscription.findUniqueOrThrow({ where: { id: row.id } });
    expect(after.enabled).toBe(false);
    expect(after.disabledReason).toMatch(/without a success/);
    const event = await hub.db.prisma.activityEvent.findFirst({ where: { orgId: org.id, type: 'webhook_subscription.disabled', data: { path: ['subscriptionId'], equals: row.id } } });
    expect(event).toBeTruthy();
    // A success clears failingSince.
    replies.set('/failing', () => ({ status: 204 }));
    await ok(hub, UpdateSubscription, { id: subscription.id, input: { enabled: true } }, org.tokens.ADMIN, seen);
    await hub.db.prisma.webhookSubscription.update({ where: { id: row.id }, data: { failingSince: new Date() } });
    const again = await ok(hub, SendTest, { id: subscription.id }, org.tokens.ADMIN, seen);
    await until('DELIVERED', async () => (await deliveriesOf(subscription.id)).find((d) => d.id === again.sendTestEvent.id && d.status === 'DELIVERED'));
    expect((await hub.db.prisma.webhookSubscription.findUniqueOrThrow({ where: { id: row.id } })).failingSince).toBeNull();
  });

  it('runs each delivery as the workflow delivery/<id>', async () => {
    const { subscription } = await subscribe('/workflow-id', ['*']);
    const sent = await ok(hub, SendTest, { id: subscription.id }, org.tokens.ADMIN, seen);
    const local = (await hub.db.prisma.delivery.findFirstOrThrow({ where: { messageId: sent.sendTestEvent.messageId } })).id;
    const result = await hub.hub.temporal.client.workflow.getHandle(deliveryWorkflowId(local)).result();
    expect(result).toMatchObject({ status: 'DELIVERED', attempts: 1 });
  });

  it('refuses private addresses unless PATCHBAY_ALLOW_PRIVATE_NETWORK=true (no retries)', async () => {
    const guarded = await TestHub.start({ env: { PATCHBAY_ALLOW_PRIVATE_NETWORK: 'false' } });
    try {
      const guardedOrg = await guarded.createOrg('out-ssrf');
      const { createWebhookSubscription } = await ok(guarded, CreateSubscription, { input: { url: `${receiver.url}/ssrf`, eventTypes: ['*'] } }, guardedOrg.tokens.ADMIN, seen);
      secrets.push(createWebhookSubscription.secret);
      const sent = await ok(guarded, SendTest, { id: createWebhookSubscription.subscription.id }, guardedOrg.tokens.ADMIN, seen);
      const delivery = await until('FAILED', async () => {
        const data = await ok(guarded, Deliveries, {}, guardedOrg.tokens.VIEWER, seen);
        return data.deliveries.edges.map((e) => e.node).find((d) => d.id === sent.sendTestEvent.id && d.status === 'FAILED');
      });
      expect(delivery.attempts).toHaveLength(1);
      expect(delivery.attempts[0]!.statusCode).toBeNull();
      expect(delivery.attempts[0]!.error).toMatch(/private|loopback|refus/i);
      expect(requestsTo('/ssrf')).toHaveLength(0);
    } finally {
      await guarded.stop();
    }
  });
});

describe('units', () => {

  it('key rotation re-encrypts subscription secrets (current and previous)', async () => {
    const keyA = generateKeySpec(`wa${Date.now().toString(36)}`);
    const keyB = generateKeySpec(`wb${Date.now().toString(36)}`);
    const ringA = createVault(parseKeyRing(keyA));
    const ringBA = createVault(parseKeyRing(`${keyB},${keyA}`));
    const ringB = createVault(parseKeyRing(keyB));
    const { prisma } = hub.db;
    const row = await prisma.webhookSubscription.create({ data: { orgId: other.id, url: 'https://example.com/rotated', eventTypes: ['*'], enabled: false, secret: '' } });
    const context = `webhook-subscription:${row.id}`;
    await prisma.webhookSubscription.update({
      where: { id: row.id },
      data: { secret: ringA.encrypt('whsec_current', context), previousSecret: ringA.encrypt('whsec_previous', context), previousSecretExpiresAt: new Date(Date.now() + 3_600_000) },
    });
    const result = await rotateKeys(hub.db, ringBA);
    expect(result.webhookSubscriptions).toBeGreaterThanOrEqual(2);
    const after = await prisma.webhookSubscription.findUniqueOrThrow({ where: { id: row.id } });
    expect(ringB.decrypt(after.secret, context)).toBe('whsec_current');
    expect(ringB.decrypt(after.previousSecret!, context)).toBe('whsec_previous');
    await prisma.webhookSubscription.delete({ where: { id: row.id } });
  });
  it('matches event types with wildcards', () => {
    expect(eventTypeMatches('connection.*', 'connection.expired')).toBe(true);
    expect(eventTypeMatches('connection.*', 'connections.x')).toBe(false);
    expect(eventTypeMatches('*', 'run.failed')).toBe(true);
    expect(eventTypeMatches('run.failed', 'run.failed')).toBe(true);
    expect(eventTypeMatches('run.failed', 'run.succeeded')).toBe(false);
  });

  it('signs exactly like the standardwebhooks library', async () => {
    const { signStandardWebhook } = await import('../../workflows/src/activities/deliveries.ts');
    const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    const at = new Date(1_700_000_000_000);
    expect(signStandardWebhook(secret, 'msg_1', 1_700_000_000, '{"a":1}')).toBe(new Webhook(secret).sign('msg_1', at, '{"a":1}'));
  });

  it('jitters each delay within ±20 %, deterministically', async () => {
    const { scheduledDelay } = await import('../../workflows/src/workflows/delivery.ts');
    const schedule = [0, 5_000, 300_000, 36_000_000];
    for (const id of ['a', 'b', 'cm0abc', 'cm0xyz']) {
      expect(scheduledDelay(id, 0, schedule)).toBe(0);
      for (const [i, base] of schedule.entries()) {
        const d = scheduledDelay(id, i, schedule);
        expect(d).toBeGreaterThanOrEqual(base * 0.8);
        expect(d).toBeLessThanOrEqual(base * 1.2);
        expect(scheduledDelay(id, i, schedule)).toBe(d);
      }
    }
    // Retry-After: honoured up to max(2 × the scheduled delay, 1 h).
    expect(scheduledDelay('a', 1, schedule, 30_000)).toBe(30_000);
    expect(scheduledDelay('a', 1, schedule, 10 * 3_600_000)).toBe(3_600_000);
  });
});

describe('secrets', () => {
  it('never appear in GraphQL responses (but the once-returned one), logs, activity, deliveries or the database in clear', async () => {
    expect(secrets.length).toBeGreaterThan(3);
    const responses = seen.map((r) => JSON.stringify(r));
    for (const secret of secrets) {
      const bare = secret.slice('whsec_'.length);
      // Each secret appears exactly once: in the response that created it.
      expect(responses.filter((r) => r.includes(bare))).toHaveLength(1);
      expect(hub.logs.join('\n')).not.toContain(bare);
    }
    const activity = JSON.stringify(await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id } }));
    const deliveries = JSON.stringify(await hub.db.prisma.delivery.findMany({ where: { orgId: org.id }, include: { attempts: true } }));
    const stored = JSON.stringify(await hub.db.prisma.webhookSubscription.findMany({ where: { orgId: org.id } }));
    for (const secret of secrets) {
      const bare = secret.slice('whsec_'.length);
      expect(activity).not.toContain(bare);
      expect(deliveries).not.toContain(bare);
      expect(stored).not.toContain(bare);
    }
  });
});
