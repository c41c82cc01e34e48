// Flows through GraphQL: validation that names the step and field, versions (a running run keeps
// its version), conditions that stop or jump ahead, delays, per-step retry policies and the run
// failing with the step named, cancelRun between steps, manual runs with idempotency keys, and
// every kind of trigger not covered elsewhere: a schedule (Temporal Schedule), Patchbay's own
// domain events, and a plugin's webhook trigger (Twilio inbound SMS). The DooneFlow examples are
// flows-dooneflow / flows-email; a worker killed mid-run is flows-crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTwilioRequest, startFakeTwilio, type FakeTwilio } from '../../plugins/twilio/src/fake-twilio.ts';
import { connectorKit } from './connectors/connector-kit.ts';
import { TestHub, type TestOrg } from './harness.ts';
import {
  CreateConnection,
  CreateEndpoint,
  CreateFlow,
  DeleteFlow,
  DisableFlow,
  FlowRuns,
  RunFlow,
  SetSecret,
  startApp,
  stepStatuses,
  UpdateFlow,
  waitForRun,
  type FlowRunView,
} from './flows-helpers.ts';
import { until } from './webhooks-helpers.ts';

const ACCOUNT_SID = `AC${'1a2b3c4d'.repeat(4)}`;
const AUTH_TOKEN = 'flows-generic-twilio-token-0a9b8c7d';

let hub: TestHub;
let org: TestOrg;
let app: Awaited<ReturnType<typeof startApp>>;
let twilio: FakeTwilio;
/** How the app answers, by path: a list of statuses consumed in order (then 200). */
const script = new Map<string, number[]>();
const { gql, stopHub } = connectorKit(() => ({ hub, org }));

async function expectInvalid(input: Record<string, unknown>, ...fragments: RegExp[]) {
  const result = await hub.gql<unknown, Record<string, unknown>>(CreateFlow, { input: { name: 'bad', ...input } }, org.tokens.ADMIN);
  expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  for (const fragment of fragments) expect(result.errors?.[0]?.message).toMatch(fragment);
  return result.errors![0]!;
}

const runOf = (flowRun: { id: string }) => waitForRun(gql, flowRun.id);
const runFlow = async (id: string, payload: Record<string, unknown> = {}, key?: string) =>
  (await gql<{ runFlow: { id: string; status: string; kind: string; flowVersion: number } }>(RunFlow, { id, payload, key })).runFlow;
const received = (path: string) => app.requests.filter((r) => r.url === path);

beforeAll(async () => {
  app = await startApp((req) => script.get(req.url)?.shift() ?? 200);
  twilio = await startFakeTwilio({ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, friendlyName: 'Flows' });
  // This file's flows include ones triggered by domain events: those runs start through the dispatcher.
  hub = await TestHub.start({ flowRuns: { intervalMs: 250 } });
  org = await hub.createOrg('flows');
});

afterAll(async () => {
  await stopHub();
  await Promise.all([app?.close(), twilio?.close()]);
});

const hook = (path: string, extra: Record<string, unknown> = {}) => ({ type: 'send_webhook', url: `${app.url}${path}`, ...extra });

describe('defining flows', () => {
  it('names the step and field of every mistake', async () => {
    await expectInvalid({ trigger: { type: 'manual' }, steps: [] }, /at least one step/);
    await expectInvalid({ trigger: { type: 'manual' }, steps: [{ key: 'create_lead', type: 'action', action: 'x' }] }, /step "create_lead" \(steps\[0\]\) connectionId: connectionId is required/);
    await expectInvalid({ trigger: { type: 'manual' }, steps: [{ key: 'a', type: 'teleport' }] }, /steps\[0\]/, /type must be action, condition, delay, send_webhook or assign_team_member/);
    await expectInvalid({ trigger: { type: 'manual' }, steps: [hook('/a', { key: 'a' }), hook('/b', { key: 'a' })] }, /step "a" \(steps\[1\]\) key: "a" is already the key of steps\[0\]/);
    await expectInvalid(
      { trigger: { type: 'manual' }, steps: [hook('/a', { key: 'a' }), { key: 'check', type: 'condition', if: 'true', then: 'a' }] },
      /step "check" \(steps\[1\]\) then: "a" is not after this step/,
    );
    await expectInvalid({ trigger: { type: 'manual' }, steps: [{ key: 'wait', type: 'delay', duration: 'soon' }] }, /step "wait" \(steps\[0\]\) duration/);
    await expectInvalid({ trigger: { type: 'schedule', cron: 'every day' }, steps: [hook('/a', { key: 'a' })] }, /trigger\.cron: a cron expression/);
    await expectInvalid({ trigger: { type: 'webhook', endpointId: Buffer.from('WebhookEndpoint:nope').toString('base64') }, steps: [hook('/a', { key: 'a' })] }, /trigger endpointId: no such webhook endpoint/);
    const { createConnection } = await gql<{ createConnection: { id: string } }>(CreateConnection, {
      input: { integrationKey: 'twilio', name: 'SMS', authMode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, config: { baseUrl: twilio.url } },
    });
    await expectInvalid(
      { trigger: { type: 'manual' }, steps: [{ key: 'sms', type: 'action', connectionId: createConnection.id, action: 'send_fax' }] },
      /step "sms" \(steps\[0\]\) action: Twilio has no action "send_fax" \(it has: send_sms/,
    );
    const error = await expectInvalid(
      { trigger: { type: 'manual' }, steps: [{ key: 'sms', type: 'action', connectionId: createConnection.id, action: 'send_sms', input: { to: 'not a number', from: '+15005550006', body: 'hi' } }] },
      /step "sms" \(steps\[0\]\) input\.to/,
    );
    expect(error.extensions?.issues).toEqual([expect.objectContaining({ path: 'steps[0].input.to' })]);
    // Templated values (also DooneFlow's {name}) are checked when they are known, at run time.
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'templated', trigger: { type: 'manual' }, steps: [{ key: 'sms', type: 'action', connectionId: createConnection.id, action: 'send_sms', input: { to: '{phone}', from: '+15005550006', body: 'hi {{ trigger.name }}' } }] },
    });
    await gql(DeleteFlow, { id: createFlow.id });
  });

  it('keeps every version; a running run keeps the version it started with', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string; version: number } }>(CreateFlow, {
      input: { name: 'versions', trigger: { type: 'manual' }, steps: [{ key: 'wait', type: 'delay', duration: '2s' }, hook('/v1', { key: 'notify' })] },
    });
    const first = await runFlow(createFlow.id);
    await waitForRun(gql, first.id, { done: (r) => r.steps.some((s) => s.key === 'wait' && s.status === 'WAITING') });
    const { updateFlow } = await gql<{ updateFlow: { version: number; versions: Array<{ version: number }>; steps: any[] } }>(UpdateFlow, {
      id: createFlow.id,
      input: { steps: [hook('/v2', { key: 'notify_v2' })] },
    });
    expect(updateFlow.version).toBe(2);
    expect(updateFlow.versions.map((v) => v.version)).toEqual([2, 1]);
    const second = await runFlow(createFlow.id);
    expect(second.flowVersion).toBe(2);
    const [one, two] = await Promise.all([runOf(first), runOf(second)]);
    expect(one.flowVersion).toBe(1);
    expect(stepStatuses(one)).toEqual(['wait:SUCCEEDED', 'notify:SUCCEEDED']);
    expect(stepStatuses(two)).toEqual(['notify_v2:SUCCEEDED']);
    expect(received('/v1')).toHaveLength(1);
    expect(received('/v2')).toHaveLength(1);
  });

  it('answers the same run for the same idempotency key', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, { input: { name: 'once', trigger: { type: 'manual' }, steps: [hook('/once', { key: 'a' })] } });
    const a = await runFlow(createFlow.id, { n: 1 }, 'order-42');
    const b = await runFlow(createFlow.id, { n: 2 }, 'order-42');
    expect(b.id).toBe(a.id);
    await runOf(a);
    expect(received('/once')).toHaveLength(1);
  });

  it('is private to its organization', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, { input: { name: 'private', trigger: { type: 'manual' }, steps: [hook('/p', { key: 'a' })] } });
    const other = await hub.createOrg('flows-other');
    const read = await hub.gql<{ flow: unknown }, Record<string, unknown>>(`query($id: ID!) { flow(id: $id) { id } }`, { id: createFlow.id }, other.tokens.ADMIN);
    expect(read.data?.flow).toBeNull();
    const run = await hub.gql<unknown, Record<string, unknown>>(RunFlow, { id: createFlow.id, payload: {} }, other.tokens.ADMIN);
    expect(run.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const viewer = await hub.gql<unknown, Record<string, unknown>>(CreateFlow, { input: { name: 'v', trigger: { type: 'manual' }, steps: [hook('/p', { key: 'a' })] } }, org.tokens.VIEWER);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await hub.db.prisma.organization.delete({ where: { id: other.id } });
  });
});

describe('running steps', () => {
  it('branches on a condition: jumps ahead, or stops the run, the passed-over steps SKIPPED', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: {
        name: 'branches',
        trigger: { type: 'manual' },
        steps: [
          { key: 'is_big', type: 'condition', if: 'trigger.amount > 100 and trigger.country == "FR"', then: 'continue', else: 'small' },
          hook('/big', { key: 'big', body: { amount: '{{ trigger.amount }}' } }),
          { key: 'done', type: 'condition', if: 'true', then: 'stop' },
          hook('/small', { key: 'small', body: { amount: '{amount}' } }),
          { key: 'only_known', type: 'condition', if: 'trigger.vip', else: 'stop' },
          hook('/vip', { key: 'vip' }),
        ],
      },
    });
    const big = await runOf(await runFlow(createFlow.id, { amount: 500, country: 'FR' }));
    expect(big.status).toBe('SUCCEEDED');
    expect(stepStatuses(big)).toEqual(['is_big:SUCCEEDED', 'big:SUCCEEDED', 'done:SUCCEEDED', 'small:SKIPPED', 'only_known:SKIPPED', 'vip:SKIPPED']);
    expect(big.steps[0]!.output).toEqual({ result: true, next: 'continue' });
    expect(JSON.parse(received('/big').at(-1)!.body)).toEqual({ amount: 500 });

    const small = await runOf(await runFlow(createFlow.id, { amount: 5, country: 'FR' }));
    expect(stepStatuses(small)).toEqual(['is_big:SUCCEEDED', 'big:SKIPPED', 'done:SKIPPED', 'small:SUCCEEDED', 'only_known:SUCCEEDED', 'vip:SKIPPED']);
    expect(small.steps.find((s) => s.key === 'big')!.error).toMatch(/jumped to "small"/);
    // DooneFlow's {amount} keeps the number's type as a whole value.
    expect(JSON.parse(received('/small').at(-1)!.body)).toEqual({ amount: 5 });
    expect(small.output).toEqual({ steps: expect.objectContaining({ small: expect.objectContaining({ status: 200 }) }) });
  });

  it('retries a failing step on its policy, then succeeds', async () => {
    script.set('/flaky', [503, 500]);
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'retries', trigger: { type: 'manual' }, steps: [hook('/flaky', { key: 'notify', retry: { maximumAttempts: 4, initialIntervalSeconds: 0.2 } })] },
    });
    const run = await runOf(await runFlow(createFlow.id, { x: 1 }));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.steps[0]).toMatchObject({ status: 'SUCCEEDED', attempts: 3, error: null });
    expect(new Set(received('/flaky').map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('fails the run with the step named when a step fails for good; later steps are SKIPPED', async () => {
    script.set('/refuse', [422]);
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'fails', trigger: { type: 'manual' }, steps: [hook('/refuse', { key: 'notify' }), hook('/after', { key: 'after' })] },
    });
    const run = await runOf(await runFlow(createFlow.id));
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/^Step "notify" failed: POST http:\/\/127\.0\.0\.1:\d+\/refuse answered 422/);
    expect(stepStatuses(run)).toEqual(['notify:FAILED', 'after:SKIPPED']);
    expect(run.steps[0]!.attempts).toBe(1); // a 4xx is not retried
    expect(received('/after')).toHaveLength(0);
    const feed = await hub.db.prisma.activityEvent.findMany({ where: { runId: run.id.length ? Buffer.from(run.id, 'base64').toString().split(':')[1] : '' } });
    expect(feed.map((e) => e.type)).toEqual(expect.arrayContaining(['run.step.failed', 'run.failed']));
  });

  it('cancelRun stops a flow between steps: the delay is cut short, the rest SKIPPED', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'cancel', trigger: { type: 'manual' }, steps: [hook('/before', { key: 'before' }), { key: 'wait', type: 'delay', duration: '10m' }, hook('/never', { key: 'after' })] },
    });
    const started = await runFlow(createFlow.id);
    await waitForRun(gql, started.id, { done: (r) => r.steps.some((s) => s.key === 'wait' && s.status === 'WAITING') });
    const { cancelRun } = await gql<{ cancelRun: { status: string } }>(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: started.id });
    expect(cancelRun.status).toBe('CANCELLED');
    const run = await runOf(started);
    expect(stepStatuses(run)).toEqual(['before:SUCCEEDED', 'wait:CANCELLED', 'after:SKIPPED']);
    expect(received('/never')).toHaveLength(0);
  });

  it('is live through runUpdated: each step shows up as it starts, waits and ends', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'live', trigger: { type: 'manual' }, steps: [{ key: 'wait', type: 'delay', seconds: 1 }, hook('/live', { key: 'notify' })] },
    });
    const started = await runFlow(createFlow.id);
    const sub = hub.subscribe(`subscription($id: ID!) { runUpdated(id: $id) { status steps { key status } } }`, { id: started.id }, org.tokens.VIEWER);
    const seen: string[] = [];
    try {
      for (;;) {
        const result = await sub.next(30_000);
        expect(result.errors).toBeUndefined();
        const run = (result.data as { runUpdated: { status: string; steps: Array<{ key: string; status: string }> } }).runUpdated;
        seen.push(`${run.status} ${run.steps.map((s) => `${s.key}:${s.status}`).join(',')}`);
        if (run.status === 'SUCCEEDED') break;
      }
    } finally {
      await sub.close();
    }
    expect(seen).toContain('RUNNING wait:WAITING');
    expect(seen.at(-1)).toBe('SUCCEEDED wait:SUCCEEDED,notify:SUCCEEDED');
  });

  it('signs a send_webhook step per Standard Webhooks with an org secret', async () => {
    await gql(SetSecret, { name: 'APP_WEBHOOK_SECRET', value: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'signed', trigger: { type: 'manual' }, steps: [hook('/signed', { key: 'notify', signingSecret: 'APP_WEBHOOK_SECRET', body: { hello: '{{ trigger.name }}' } })] },
    });
    const run = await runOf(await runFlow(createFlow.id, { name: 'Ada' }));
    expect(run.status).toBe('SUCCEEDED');
    const request = received('/signed').at(-1)!;
    const { Webhook } = await import('standardwebhooks');
    const verified = new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').verify(request.body, {
      'webhook-id': request.headers['webhook-id'] as string,
      'webhook-timestamp': request.headers['webhook-timestamp'] as string,
      'webhook-signature': request.headers['webhook-signature'] as string,
    });
    expect(verified).toEqual({ hello: 'Ada' });
  });
});

describe('triggers', () => {
  it('schedule: a Temporal Schedule starts runs with the configured payload; disabling stops it', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'every 2s', enabled: true, trigger: { type: 'schedule', every: '2s', payload: { report: 'daily' } }, steps: [hook('/scheduled', { key: 'notify' })] },
    });
    const runs = await until('two scheduled runs', async () => {
      const { flowRuns } = await gql<{ flowRuns: { edges: Array<{ node: { id: string; status: string } }> } }>(FlowRuns, { flowId: createFlow.id, status: 'SUCCEEDED' });
      return flowRuns.edges.length >= 2 ? flowRuns.edges : null;
    }, 40_000);
    const run: FlowRunView = await runOf(runs[0]!.node);
    expect(run.input).toMatchObject({ report: 'daily', scheduledAt: expect.any(String) });
    await gql(DisableFlow, { id: createFlow.id });
    await expect(hub.hub.temporal.client.schedule.getHandle(`flow/${Buffer.from(createFlow.id, 'base64').toString().split(':')[1]}`).describe()).rejects.toThrow();
  }, 60_000);

  it("event: Patchbay's domain events start a flow (here secret.set), with the event as payload", async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'on secrets', enabled: true, trigger: { type: 'event', eventTypes: ['secret.*'] }, steps: [hook('/events', { key: 'notify', body: { type: '{{ trigger.type }}', name: '{{ trigger.data.name }}' } })] },
    });
    await gql(SetSecret, { name: 'ROTATED_KEY', value: 'value-not-in-the-event-1234' });
    const request = await until('the event flow', async () => received('/events').at(-1) ?? null, 30_000);
    expect(JSON.parse(request.body)).toEqual({ type: 'secret.set', name: 'ROTATED_KEY' });
    const { flowRuns } = await gql<{ flowRuns: { edges: Array<{ node: { id: string } }> } }>(FlowRuns, { flowId: createFlow.id });
    expect(flowRuns.edges).toHaveLength(1);
    const run = await runOf(flowRuns.edges[0]!.node);
    expect(JSON.stringify(run)).not.toContain('value-not-in-the-event-1234');
    await gql(DisableFlow, { id: createFlow.id });
  });

  it('event: incoming webhooks (webhook.received) start an event flow once each, and the feed has one entry per event', async () => {
    // With such a flow the hub records webhook.received by the general path (runs are queued
    // with the entries); without one the entries are written with the events. Both are covered.
    const { createWebhookEndpoint } = await gql<{ createWebhookEndpoint: { endpoint: { id: string; url: string } } }>(CreateEndpoint, {
      input: { name: 'Leads in', verification: 'NONE' },
    });
    const endpointId = new URL(createWebhookEndpoint.endpoint.url).pathname.split('/').pop()!;
    const post = async (n: number) => {
      const res = await fetch(`${hub.url}/hooks/${endpointId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `lead-${n}` }, body: JSON.stringify({ n }) });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    const entriesOf = (eventIds: string[]) =>
      until('the feed entries', async () => {
        const rows = await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id, type: 'webhook.received' } });
        const mine = rows.filter((row) => eventIds.includes((row.data as { eventId?: string }).eventId ?? ''));
        return mine.length >= eventIds.length ? mine : null;
      }, 15_000);

    const before = await post(0);
    expect((await entriesOf([before])).length).toBe(1);

    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'on leads', enabled: true, trigger: { type: 'event', eventTypes: ['webhook.received'] }, steps: [hook('/leads', { key: 'notify', body: { eventId: '{{ trigger.data.eventId }}' } })] },
    });
    const ids = [await post(1), await post(2)];
    await until('both flow runs', async () => (received('/leads').length >= 2 ? true : null), 30_000);
    expect(received('/leads').map((r) => JSON.parse(r.body).eventId).sort()).toEqual([...ids].sort());
    const entries = await entriesOf(ids);
    await new Promise((r) => setTimeout(r, 1000));
    expect(entries).toHaveLength(2);
    const { flowRuns } = await gql<{ flowRuns: { edges: unknown[] } }>(FlowRuns, { flowId: createFlow.id });
    expect(flowRuns.edges).toHaveLength(2);
    await gql(DisableFlow, { id: createFlow.id });
  });

  it("event: a flow's own run events never trigger it again", async () => {
    script.set('/fail-always', [400, 400, 400]);
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'on failures', enabled: true, trigger: { type: 'event', eventTypes: ['run.failed'] }, steps: [hook('/fail-always', { key: 'notify' })] },
    });
    // A failing run of another flow triggers it once; its own failure does not trigger it again.
    const { createFlow: failing } = await gql<{ createFlow: { id: string } }>(CreateFlow, { input: { name: 'failing', trigger: { type: 'manual' }, steps: [hook('/fail-always', { key: 'x' })] } });
    await runOf(await runFlow(failing.id));
    await until('the triggered run', async () => {
      const { flowRuns } = await gql<{ flowRuns: { edges: Array<{ node: { status: string } }> } }>(FlowRuns, { flowId: createFlow.id });
      return flowRuns.edges.length === 1 && flowRuns.edges[0]!.node.status === 'FAILED';
    }, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    const { flowRuns } = await gql<{ flowRuns: { edges: unknown[] } }>(FlowRuns, { flowId: createFlow.id });
    expect(flowRuns.edges).toHaveLength(1);
    await gql(DisableFlow, { id: createFlow.id });
  });

  it("plugin: Twilio's inbound SMS webhook trigger starts a flow per message", async () => {
    const { createConnection } = await gql<{ createConnection: { id: string } }>(CreateConnection, {
      input: { integrationKey: 'twilio', name: 'SMS in', authMode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, config: { baseUrl: twilio.url } },
    });
    const { createWebhookEndpoint } = await gql<{ createWebhookEndpoint: { endpoint: { id: string; url: string } } }>(CreateEndpoint, {
      input: { name: 'Twilio SMS', verification: 'TWILIO', secret: AUTH_TOKEN, target: { trigger: { integrationKey: 'twilio', trigger: 'inbound_sms', connectionId: createConnection.id } } },
    });
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: {
        name: 'SMS to app',
        enabled: true,
        trigger: { type: 'plugin', integrationKey: 'twilio', trigger: 'inbound_sms', endpointId: createWebhookEndpoint.endpoint.id },
        steps: [hook('/sms', { key: 'forward', body: { from: '{{ trigger.from }}', text: '{body}' } })],
      },
    });
    const publicUrl = createWebhookEndpoint.endpoint.url;
    const params = { MessageSid: 'SM99990000111122223333444455556666', AccountSid: ACCOUNT_SID, From: '+14155550177', To: '+15005550006', Body: 'Call me back', NumMedia: '0', NumSegments: '1' };
    const res = await fetch(`${hub.url}${new URL(publicUrl).pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, publicUrl, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(200);
    const request = await until('the SMS flow', async () => received('/sms').at(-1) ?? null, 30_000);
    expect(JSON.parse(request.body)).toEqual({ from: '+14155550177', text: 'Call me back' });
    const { flowRuns } = await gql<{ flowRuns: { edges: Array<{ node: { id: string } }> } }>(FlowRuns, { flowId: createFlow.id });
    const run = await runOf(flowRuns.edges[0]!.node);
    expect(run.input).toMatchObject({ message_sid: params.MessageSid, from: '+14155550177', body: 'Call me back' });
  });

  it('deleted flows disappear from the list and run no more; their runs keep their history', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, { input: { name: 'to delete', trigger: { type: 'manual' }, steps: [hook('/d', { key: 'a' })] } });
    const run = await runOf(await runFlow(createFlow.id));
    await gql(DeleteFlow, { id: createFlow.id });
    const { flows } = await gql<{ flows: { edges: Array<{ node: { id: string } }> } }>(`query { flows(first: 100) { edges { node { id } } } }`);
    expect(flows.edges.map((e) => e.node.id)).not.toContain(createFlow.id);
    const again = await hub.gql<unknown, Record<string, unknown>>(RunFlow, { id: createFlow.id, payload: {} }, org.tokens.ADMIN);
    expect(again.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(stepStatuses(await runOf(run))).toEqual(['a:SUCCEEDED']);
  });
});
