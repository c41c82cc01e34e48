// Incoming webhooks end to end, through GraphQL and POST /hooks/:id alone: endpoint management,
// every verification scheme with the providers' real signers, limits, body kinds, duplicates,
// transforms routed to an action Run or forwarded, the SSRF guard, and no secret anywhere.
import { createHash, createHmac } from 'node:crypto';
import net from 'node:net';
import { sign as githubSign } from '@octokit/webhooks-methods';
import { startFakeServer, type FakeServer, type RecordedRequest, type FakeResponse } from '@patchbay/sdk/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { TestHub, type TestOrg } from './harness.ts';
import {
  CreateEndpoint,
  DeleteEndpoint,
  EndpointById,
  Endpoints,
  Events,
  HooksFeed,
  HooksRun,
  UpdateEndpoint,
  hookPath,
  ok,
  postHook,
  until,
  waitForEvent,
} from './webhooks-helpers.ts';

const CreateConnection = graphql(`
  mutation HooksCreateConnection($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }
`);

let hub: TestHub;
let org: TestOrg;
let other: TestOrg;
let provider: FakeServer;
let reply: (req: RecordedRequest) => FakeResponse = () => ({ json: { ok: true } });
let connectionId: string;
/** Every GraphQL result and hook response of this file, for the leak scan. */
const seen: unknown[] = [];
/** Every secret this file configured or was given. */
const secrets: string[] = [];

const leadBody = { event: 'lead.created', data: { id: 'lead_123', company_name: 'Acme Corp', description: 'Interested in enterprise plan' } };

beforeAll(async () => {
  provider = await startFakeServer((req) => reply(req));
  hub = await TestHub.start();
  org = await hub.createOrg('hooks');
  other = await hub.createOrg('hooks-other');
  const created = await ok(
    hub,
    CreateConnection,
    { input: { integrationKey: 'http', name: 'CRM', authMode: 'NONE', config: { baseUrl: provider.url } } },
    org.tokens.ADMIN,
    seen,
  );
  connectionId = created.createConnection.id;
});

afterAll(async () => {
  await hub?.stop();
  await provider?.close();
});

async function createEndpoint(input: Record<string, unknown>, token = org.tokens.ADMIN) {
  const data = await ok(hub, CreateEndpoint, { input: input as never }, token, seen);
  const { endpoint, secret } = data.createWebhookEndpoint;
  if (secret) secrets.push(secret);
  if (typeof input.secret === 'string') secrets.push(input.secret);
  return { endpoint, secret };
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await postHook(hub, url, body, headers);
  seen.push(res.body);
  return res;
}

function standardHeaders(secret: string, body: string, id = `msg_${Math.random().toString(36).slice(2)}`, at = new Date()) {
  return { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': new Webhook(secret).sign(id, at, body) };
}

describe('managing endpoints', () => {
  it('creates a STANDARD_WEBHOOKS endpoint: url under PUBLIC_URL, a whsec_ secret shown once, stored encrypted', async () => {
    const { endpoint, secret } = await createEndpoint({ name: 'CRM Lead Webhook', verification: 'STANDARD_WEBHOOKS' });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret!.slice(6), 'base64')).toHaveLength(24);
    expect(endpoint.url).toMatch(new RegExp(`^${hub.hub.config.publicUrl}/hooks/wh_[A-Za-z0-9_-]{20}$`));
    expect(endpoint).toMatchObject({ name: 'CRM Lead Webhook', verification: 'STANDARD_WEBHOOKS', enabled: true, maxBodyBytes: 1024 * 1024, rateLimitPerMinute: null });
    const row = await hub.db.prisma.webhookEndpoint.findFirstOrThrow({ where: { id: hookPath(endpoint.url).split('/').pop()! } });
    expect(row.secret).toMatch(/^pbv1\./);
    expect(row.secret).not.toContain(secret!.slice(6));
    // The ciphertext is bound to this endpoint.
    expect(hub.hub.vault.decrypt(row.secret!, `webhook-endpoint:${row.id}`)).toBe(secret);

    const list = await ok(hub, Endpoints, { first: 50 }, org.tokens.VIEWER, seen);
    expect(list.webhookEndpoints.edges.map((e) => e.node.id)).toContain(endpoint.id);
    const one = await ok(hub, EndpointById, { id: endpoint.id }, org.tokens.VIEWER, seen);
    expect(one.webhookEndpoint).toMatchObject({ id: endpoint.id, url: endpoint.url });
    // Another organization sees nothing of it.
    expect((await ok(hub, EndpointById, { id: endpoint.id }, other.tokens.OWNER, seen)).webhookEndpoint).toBeNull();
  });

  it('lets VIEWER and MEMBER read but only ADMIN/OWNER manage', async () => {
    for (const role of ['VIEWER', 'MEMBER'] as const) {
      const result = await hub.gql(CreateEndpoint, { input: { name: 'nope', verification: 'NONE' } }, org.tokens[role]);
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const { endpoint } = await createEndpoint({ name: 'by owner', verification: 'NONE' }, org.tokens.OWNER);
    const denied = await hub.gql(UpdateEndpoint, { id: endpoint.id, input: { enabled: false } }, org.tokens.MEMBER);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('does not echo a supplied secret, and checks the configuration', async () => {
    const supplied = 'my-github-secret-0123';
    const { secret } = await createEndpoint({ name: 'GitHub', verification: 'GITHUB', secret: supplied });
    expect(secret).toBeNull();
    const bad = async (input: Record<string, unknown>, code = 'BAD_USER_INPUT') => {
      const result = await hub.gql(CreateEndpoint, { input: { name: 'bad', ...input } as never }, org.tokens.ADMIN);
      seen.push(result);
      expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result)).toBe(code);
      return result.errors![0]!.message;
    };
    expect(await bad({ verification: 'SLACK' })).toMatch(/signing secret/);
    expect(await bad({ verification: 'STANDARD_WEBHOOKS', secret: 'not-base64!!' })).toMatch(/whsec_/);
    expect(await bad({ verification: 'NONE', secret: 'whatever-secret' })).toMatch(/no secret/);
    expect(await bad({ verification: 'GITHUB', headerName: 'X-Key' })).toMatch(/headerName/);
    expect(await bad({ verification: 'HMAC_SHA256', options: { encoding: 'hex32' } })).toMatch(/options.encoding/);
    expect(await bad({ verification: 'NONE', transform: { a: 1 } })).toMatch(/transform/);
    expect(await bad({ verification: 'NONE', target: { email: 'x' } })).toMatch(/target must be/);
    expect(await bad({ verification: 'NONE', target: { flow: { id: 'f' } } })).toMatch(/or { "flow": { "flowId" } }/);
    expect(await bad({ verification: 'NONE', target: { action: { connectionId, action: 'no_such_action' } } })).toMatch(/no action/);
    expect(await bad({ verification: 'NONE', maxBodyBytes: 10 })).toMatch(/maxBodyBytes/);
    // A connection of another organization is not found.
    const foreign = await hub.db.prisma.connection.create({ data: { orgId: other.id, integrationKey: 'http', name: 'theirs', authMode: 'NONE', status: 'ACTIVE' } });
    const { encodeGlobalID } = await import('@pothos/plugin-relay');
    await bad({ verification: 'NONE', target: { action: { connectionId: encodeGlobalID('Connection', foreign.id), action: 'http_request' } } }, 'NOT_FOUND');
  });

  it('updates and deletes', async () => {
    const { endpoint } = await createEndpoint({ name: 'temp', verification: 'NONE' });
    const updated = await ok(hub, UpdateEndpoint, { id: endpoint.id, input: { name: 'renamed', transform: { m: '$.x' }, rateLimitPerMinute: 10 } }, org.tokens.ADMIN, seen);
    expect(updated.updateWebhookEndpoint).toMatchObject({ name: 'renamed', transform: { m: '$.x' }, rateLimitPerMinute: 10, enabled: true });
    const cleared = await ok(hub, UpdateEndpoint, { id: endpoint.id, input: { transform: null, rateLimitPerMinute: null } }, org.tokens.ADMIN, seen);
    expect(cleared.updateWebhookEndpoint).toMatchObject({ transform: null, rateLimitPerMinute: null });
    expect((await post(endpoint.url, '{}')).status).toBe(202);
    await ok(hub, DeleteEndpoint, { id: endpoint.id }, org.tokens.ADMIN, seen);
    expect((await post(endpoint.url, '{}')).status).toBe(404);
    expect(await hub.db.prisma.webhookEvent.count({ where: { endpoint: { id: hookPath(endpoint.url).split('/').pop()! } } })).toBe(0);
  });
});

describe('verification schemes', () => {
  it('STANDARD_WEBHOOKS: accepts the standardwebhooks library signature; rejects a wrong secret and a 6-minute-old timestamp; a replayed id is a duplicate', async () => {
    const { endpoint, secret } = await createEndpoint({ name: 'std', verification: 'STANDARD_WEBHOOKS' });
    const body = JSON.stringify(leadBody);
    const headers = standardHeaders(secret!, body, 'msg_2Lb1');
    const accepted = await post(endpoint.url, body, headers);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ id: expect.any(String) });
    const event = await waitForEvent(hub, accepted.body.id as string);
    expect(event).toMatchObject({ status: 'PROCESSED', dedupeKey: 'msg_2Lb1', verification: 'verified (STANDARD_WEBHOOKS)' });

    const replay = await post(endpoint.url, body, headers);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ duplicate: true, id: accepted.body.id });

    const otherSecret = `whsec_${Buffer.from('x'.repeat(24)).toString('base64')}`;
    const wrong = await post(endpoint.url, body, standardHeaders(otherSecret, body));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: 'signature verification failed', reason: 'no v1 signature in webhook-signature matches the payload' });

    const stale = await post(endpoint.url, body, standardHeaders(secret!, body, 'msg_old', new Date(Date.now() - 6 * 60_000)));
    expect(stale.status).toBe(401);
    expect(stale.body.reason).toMatch(/more than 5 minutes old/);

    const tampered = await post(endpoint.url, body.replace('lead_123', 'lead_666'), standardHeaders(secret!, body));
    expect(tampered.status).toBe(401);
    expect(await hub.db.prisma.webhookEvent.count({ where: { endpointId: event.endpointId } })).toBe(1);
  });

  it('STANDARD_WEBHOOKS: the same message sent many times at once is stored once; every copy is answered with its id', async () => {
    const { endpoint, secret } = await createEndpoint({ name: 'std-burst', verification: 'STANDARD_WEBHOOKS' });
    const body = JSON.stringify(leadBody);
    const headers = standardHeaders(secret!, body, 'msg_burst');
    // Sent together, the copies land in one group commit (or two): the statement stores one and
    // answers which it left out.
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(endpoint.url, body, headers)));
    const stored = answers.filter((a) => a.status === 202);
    expect(stored).toHaveLength(1);
    const id = stored[0]!.body.id as string;
    const copies = answers.filter((a) => a.status === 200);
    expect(copies).toHaveLength(7);
    for (const copy of copies) expect(copy.body).toEqual({ duplicate: true, id });
    const endpointId = hookPath(endpoint.url).split('/').pop()!;
    expect(await hub.db.prisma.webhookEvent.count({ where: { endpointId } })).toBe(1);
    // Its feed entry follows with its dispatch: one, however many copies came.
    const entries = () => hub.db.prisma.activityEvent.count({ where: { type: 'webhook.received', data: { path: ['eventId'], equals: id } } });
    await until('its webhook.received entry', async () => (await entries()) > 0, 10_000);
    expect(await waitForEvent(hub, id)).toMatchObject({ status: 'PROCESSED' });
    expect(await entries()).toBe(1);
    // The group commits are measured: /metrics counts the events they carried and their time.
    const metrics = await (await fetch(`${hub.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(value('patchbay_webhook_store_events_sum')).toBeGreaterThanOrEqual(8);
    expect(value('patchbay_webhook_store_events_count')).toBeGreaterThanOrEqual(1);
    expect(value('patchbay_webhook_store_seconds_count')).toBe(value('patchbay_webhook_store_events_count'));
    expect(value('patchbay_webhook_store_seconds_sum')).toBeGreaterThan(0);
  });

  it('GITHUB: accepts an Octokit signature, dedupes X-GitHub-Delivery, rejects a wrong secret', async () => {
    const secretValue = 'gh-webhook-secret-for-tests';
    const { endpoint } = await createEndpoint({ name: 'gh', verification: 'GITHUB', secret: secretValue });
    const body = JSON.stringify({ action: 'opened', pull_request: { number: 7 } });
    const headers = { 'x-github-event': 'pull_request', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-hub-signature-256': await githubSign(secretValue, body) };
    const accepted = await post(endpoint.url, body, headers);
    expect(accepted.status).toBe(202);
    expect((await post(endpoint.url, body, headers)).body).toMatchObject({ duplicate: true });
    const wrong = await post(endpoint.url, body, { ...headers, 'x-github-delivery': 'd2', 'x-hub-signature-256': await githubSign('wrong-secret', body) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.reason).toBe('X-Hub-Signature-256 does not match the payload');
    const event = await waitForEvent(hub, accepted.body.id as string);
    expect(event.verification).toBe('verified (GITHUB)');
    // Signature headers are not kept; the event type is.
    expect(event.headers).toMatchObject({ 'x-github-event': 'pull_request' });
    expect(JSON.stringify(event.headers)).not.toMatch(/signature/i);
  });

  it('SLACK: answers url_verification with the challenge, verifies v0 signatures, dedupes event_id, refuses stale timestamps', async () => {
    const signingSecret = '8f742231b10e8888abcd99yyyzzz85a5';
    const { endpoint } = await createEndpoint({ name: 'slack', verification: 'SLACK', secret: signingSecret });
    const slackHeaders = (body: string, ts = Math.floor(Date.now() / 1000)) => ({
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`,
    });
    const challenge = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const answered = await post(endpoint.url, challenge, slackHeaders(challenge));
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    // An unsigned challenge is refused like anything else.
    expect((await post(endpoint.url, challenge, {})).status).toBe(401);

    const callback = JSON.stringify({ type: 'event_callback', event_id: 'Ev08MFMKH6', event: { type: 'app_mention', text: 'hi' } });
    const accepted = await post(endpoint.url, callback, slackHeaders(callback));
    expect(accepted.status).toBe(202);
    const retried = await post(endpoint.url, callback, { ...slackHeaders(callback), 'x-slack-retry-num': '1' });
    expect(retried.body).toMatchObject({ duplicate: true, id: accepted.body.id });
    const stale = await post(endpoint.url, callback, slackHeaders(callback, Math.floor(Date.now() / 1000) - 6 * 60));
    expect(stale.status).toBe(401);
    expect(stale.body.reason).toMatch(/5 minutes/);
  });

  it('TWILIO: verifies the signature of the public URL + sorted form parameters', async () => {
    const authToken = 'twilio-auth-token-0123456789abcdef';
    const { endpoint } = await createEndpoint({ name: 'sms', verification: 'TWILIO', secret: authToken, transform: { from: '$.From', text: '$.Body' } });
    const params = { To: '+18005551212', From: '+12349013030', Body: 'Hello there', MessageSid: 'SM123', AccountSid: 'AC123' };
    const form = new URLSearchParams(params).toString();
    // Computed independently: URL, then name+value for each parameter in name order.
    const signed = endpoint.url + 'AccountSidAC123' + 'BodyHello there' + 'From+12349013030' + 'MessageSidSM123' + 'To+18005551212';
    const signature = createHmac('sha1', authToken).update(signed).digest('base64');
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature, 'i-twilio-idempotency-token': 'idem-1' };
    const accepted = await post(endpoint.url, form, headers);
    expect(accepted.status).toBe(202);
    expect((await post(endpoint.url, form, headers)).body).toMatchObject({ duplicate: true });
    const event = await waitForEvent(hub, accepted.body.id as string);
    expect(event.output).toMatchObject({ payload: { from: '+12349013030', text: 'Hello there' } });
    const forged = await post(endpoint.url, form.replace('Hello', 'Jello'), { ...headers, 'i-twilio-idempotency-token': 'idem-2' });
    expect(forged.status).toBe(401);
    expect(forged.body.reason).toMatch(/X-Twilio-Signature does not match/);
    // JSON bodies are signed through bodySHA256 in the URL.
    const json = JSON.stringify({ hello: 'world' });
    const jsonUrl = `${endpoint.url}?bodySHA256=${createHash('sha256').update(json).digest('hex')}`;
    const jsonSig = createHmac('sha1', authToken).update(jsonUrl).digest('base64');
    const res = await fetch(`${hub.url}${new URL(jsonUrl).pathname}${new URL(jsonUrl).search}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-twilio-signature': jsonSig }, body: json });
    expect(res.status).toBe(202);
  });

  it('HEADER_KEY: X-Webhook-Key (DooneFlow style) or a configured header', async () => {
    const { endpoint, secret } = await createEndpoint({ name: 'doone', verification: 'HEADER_KEY' });
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const body = JSON.stringify({ name: 'John Doe', phone: '+1234567890', email: 'john@example.com' });
    expect((await post(endpoint.url, body, { 'x-webhook-key': secret! })).status).toBe(202);
    const wrong = await post(endpoint.url, body, { 'x-webhook-key': `${secret}x` });
    expect(wrong).toMatchObject({ status: 401, body: { reason: "X-Webhook-Key does not match this endpoint's key" } });
    const custom = await createEndpoint({ name: 'custom header', verification: 'HEADER_KEY', headerName: 'X-Hook-Token', secret: 'a-key-the-sender-already-has' });
    const accepted = await post(custom.endpoint.url, body, { 'x-hook-token': 'a-key-the-sender-already-has' });
    expect(accepted.status).toBe(202);
    expect((await post(custom.endpoint.url, body, { 'x-webhook-key': 'a-key-the-sender-already-has' })).body.reason).toBe('missing X-Hook-Token header');
    const event = await waitForEvent(hub, accepted.body.id as string);
    expect(JSON.stringify(event.headers)).not.toContain('a-key-the-sender-already-has');
  });

  it('HMAC_SHA256: configurable header, encoding and prefix (Engrami: X-Webhook-Signature: sha256=…)', async () => {
    const key = 'engrami-style-shared-secret';
    const { endpoint } = await createEndpoint({ name: 'engrami', verification: 'HMAC_SHA256', secret: key, options: { prefix: 'sha256=' } });
    const body = JSON.stringify(leadBody);
    const sig = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    expect((await post(endpoint.url, body, { 'x-webhook-signature': sig })).status).toBe(202);
    expect((await post(endpoint.url, body, { 'x-webhook-signature': sig.slice('sha256='.length) })).body.reason).toMatch(/must start with "sha256="/);
    expect((await post(endpoint.url, `${body} `, { 'x-webhook-signature': sig })).status).toBe(401);
    const b64 = await createEndpoint({ name: 'b64', verification: 'HMAC_SHA256', secret: key, headerName: 'X-Signature', options: { encoding: 'base64' } });
    expect((await post(b64.endpoint.url, body, { 'x-signature': createHmac('sha256', key).update(body).digest('base64') })).status).toBe(202);
  });

  it('NONE: accepted when explicitly chosen, and says so', async () => {
    const { endpoint, secret } = await createEndpoint({ name: 'open', verification: 'NONE' });
    expect(secret).toBeNull();
    const accepted = await post(endpoint.url, '{"a":1}');
    expect(accepted.status).toBe(202);
    expect((await waitForEvent(hub, accepted.body.id as string)).verification).toBe('not verified (NONE)');
  });
});

describe('limits', () => {
  it('answers 413 to a 2 MB body without storing it, and honours a smaller maxBodyBytes', async () => {
    const { endpoint } = await createEndpoint({ name: 'size', verification: 'NONE' });
    const big = JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) });
    const res = await post(endpoint.url, big);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/larger than this endpoint's limit of 1048576 bytes/);
    const small = await createEndpoint({ name: 'small', verification: 'NONE', maxBodyBytes: 2048 });
    expect((await post(small.endpoint.url, JSON.stringify({ blob: 'y'.repeat(1500) }))).status).toBe(202);
    expect((await post(small.endpoint.url, JSON.stringify({ blob: 'y'.repeat(3000) }))).status).toBe(413);
    // A chunked body (no Content-Length) is cut off while it is read.
    const chunked = await fetch(`${hub.url}${hookPath(small.endpoint.url)}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode('z'.repeat(1024)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await hub.db.prisma.webhookEvent.count({ where: { endpointId: hookPath(endpoint.url).split('/').pop()! } })).toBe(0);
  });

  it('answers 404 to an unknown endpoint, 410 once disabled, 405 to other methods', async () => {
    expect((await post(`${hub.url}/hooks/wh_doesnotexist000000`, '{}')).status).toBe(404);
    expect((await post(`${hub.url}/hooks/..%2Fgraphql`, '{}')).status).toBe(404);
    const { endpoint } = await createEndpoint({ name: 'toggle', verification: 'NONE' });
    expect((await post(endpoint.url, '{}')).status).toBe(202);
    await ok(hub, UpdateEndpoint, { id: endpoint.id, input: { enabled: false } }, org.tokens.ADMIN, seen);
    const gone = await post(endpoint.url, '{}');
    expect(gone).toMatchObject({ status: 410, body: { error: 'this webhook endpoint is disabled' } });
    await ok(hub, UpdateEndpoint, { id: endpoint.id, input: { enabled: true } }, org.tokens.ADMIN, seen);
    expect((await post(endpoint.url, '{}')).status).toBe(202);
    const get = await fetch(`${hub.url}${hookPath(endpoint.url)}`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers 404 to requests for an endpoint deleted by another api process, without failing the others stored with them', async () => {
    const { endpoint: doomed } = await createEndpoint({ name: 'deleted elsewhere', verification: 'NONE' });
    const { endpoint: kept } = await createEndpoint({ name: 'kept', verification: 'NONE' });
    // This process reads (and caches) the endpoint; another one deletes it (this cache is not told).
    expect((await post(doomed.url, '{}')).status).toBe(202);
    const doomedRowId = hookPath(doomed.url).split('/').pop()!;
    await hub.db.prisma.webhookEndpoint.delete({ where: { id: doomedRowId } });
    // Sent together, so they share group commits with the doomed endpoint's requests.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, n) => post(n % 3 === 0 ? doomed.url : kept.url, JSON.stringify({ n }), { 'content-type': 'application/json' })),
    );
    answers.forEach((answer, n) => {
      if (n % 3 === 0) expect(answer).toMatchObject({ status: 404, body: { error: 'unknown webhook endpoint' } });
      else expect(answer.status).toBe(202);
    });
    const keptRowId = hookPath(kept.url).split('/').pop()!;
    expect(await hub.db.prisma.webhookEvent.count({ where: { endpointId: keptRowId } })).toBe(20);
    expect(await hub.db.prisma.webhookEvent.count({ where: { endpointId: doomedRowId } })).toBe(0);
  });

  it('answers 429 with Retry-After past the per-endpoint rate', async () => {
    const { endpoint } = await createEndpoint({ name: 'limited', verification: 'NONE', rateLimitPerMinute: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(endpoint.url, JSON.stringify({ i }))).status);
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    const limited = await post(endpoint.url, '{}');
    expect(limited.body.error).toMatch(/rate limit of 3 requests per minute/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other endpoints are not affected.
    const { endpoint: free } = await createEndpoint({ name: 'free', verification: 'NONE' });
    expect((await post(free.url, '{}')).status).toBe(202);
  });

  it('answers 400 to a body that does not parse as its content type says', async () => {
    const { endpoint } = await createEndpoint({ name: 'strict', verification: 'NONE' });
    const res = await post(endpoint.url, '{"unterminated": ', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'unparsable body', reason: expect.stringMatching(/not valid JSON/) });
    const binary = await postHook(hub, endpoint.url, new Uint8Array([0xff, 0xfe, 0x00]), { 'content-type': 'application/octet-stream' });
    expect(binary.status).toBe(400);
  });
});

describe('bodies', () => {
  it('keeps the raw body and exposes JSON, form and text payloads', async () => {
    const { endpoint } = await createEndpoint({ name: 'kinds', verification: 'NONE' });
    const json = await post(endpoint.url, '{"a": [1, 2]}', { 'content-type': 'application/json; charset=utf-8' });
    const form = await post(endpoint.url, 'name=Ada&tag=x&tag=y', { 'content-type': 'application/x-www-form-urlencoded' });
    const text = await post(endpoint.url, 'plain words', { 'content-type': 'text/plain' });
    for (const r of [json, form, text]) expect(r.status).toBe(202);
    await Promise.all([json, form, text].map((r) => waitForEvent(hub, r.body.id as string)));
    const events = await ok(hub, Events, { endpointId: endpoint.id, first: 10 }, org.tokens.VIEWER, seen);
    const byId = new Map(events.webhookEvents.edges.map((e) => [e.node.id, e.node]));
    const { encodeGlobalID } = await import('@pothos/plugin-relay');
    expect(byId.get(encodeGlobalID('WebhookEvent', json.body.id as string))).toMatchObject({ payload: { a: [1, 2] }, status: 'PROCESSED', contentType: 'application/json; charset=utf-8' });
    expect(byId.get(encodeGlobalID('WebhookEvent', form.body.id as string))).toMatchObject({ payload: { name: 'Ada', tag: ['x', 'y'] } });
    expect(byId.get(encodeGlobalID('WebhookEvent', text.body.id as string))).toMatchObject({ payload: 'plain words' });
    const raw = await hub.db.prisma.webhookEvent.findUniqueOrThrow({ where: { id: json.body.id as string } });
    expect(raw.rawBody).toBe('{"a": [1, 2]}');
    // Filters: by status, and endpoints of other organizations are invisible.
    const processed = await ok(hub, Events, { endpointId: endpoint.id, status: 'PROCESSED', first: 10 }, org.tokens.VIEWER, seen);
    expect(processed.webhookEvents.edges).toHaveLength(3);
    const foreign = await ok(hub, Events, { endpointId: endpoint.id, first: 10 }, other.tokens.OWNER, seen);
    expect(foreign.webhookEvents.edges).toHaveLength(0);
  });

  it('reads a body whether it came with its headers, came later in parts, was empty, or never came whole', async () => {
    const { endpoint } = await createEndpoint({ name: 'arrivals', verification: 'NONE', maxBodyBytes: 1024 });
    const { hostname: host, port } = new URL(hub.url);
    const endpointId = hookPath(endpoint.url).split('/').pop()!;
    /** Sends the request's parts over one raw connection, pausing between them; the answer's status, or null if none came. */
    const send = (parts: string[], { hangUp = false } = {}) =>
      new Promise<number | null>((resolve, reject) => {
        const socket = net.connect(Number(port), host, async () => {
          for (const [i, part] of parts.entries()) {
            if (i > 0) await new Promise((r) => setTimeout(r, 150));
            socket.write(part);
          }
          if (hangUp) socket.destroy();
        });
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
        socket.on('close', () => resolve(answer ? Number(answer.split(' ')[1]) : null));
        socket.on('error', reject);
      });
    const head = (length: number) => `POST ${hookPath(endpoint.url)} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

    expect(await send([head(5) + 'whole'])).toBe(202);
    expect(await send([head(0)])).toBe(202);
    // The body after the headers, in two parts: the handler waits for the rest.
    expect(await send([head(11), 'later', ' parts'])).toBe(202);
    // No declared length (chunked), over the limit: refused whether it came whole or in parts.
    const chunked = `POST ${hookPath(endpoint.url)} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`;
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    expect(await send([chunked + chunk('x'.repeat(600)) + chunk('x'.repeat(500)) + '0\r\n\r\n'])).toBe(413);
    expect(await send([chunked + chunk('x'.repeat(600)), chunk('x'.repeat(500)) + '0\r\n\r\n'])).toBe(413);
    // A declared length over the limit: refused before anything is read.
    expect(await send([head(1100), 'x'.repeat(1100)])).toBe(413);
    // The sender hangs up mid-body: no answer, nothing stored.
    expect(await send([head(20), 'half'], { hangUp: true })).toBeNull();

    const stored = await hub.db.prisma.webhookEvent.findMany({ where: { endpointId } });
    expect(stored.map((e) => e.rawBody).sort()).toEqual(['', 'later parts', 'whole']);
    await new Promise((r) => setTimeout(r, 300));
    expect(await hub.db.prisma.webhookEvent.count({ where: { endpointId } })).toBe(3);
  });
});

describe('transform and target', () => {
  it('maps the body (Engrami transform) and runs the target action with {{ event.* }}: a SUCCEEDED Run', async () => {
    const before = provider.requests.length;
    const { endpoint, secret } = await createEndpoint({
      name: 'lead → CRM',
      verification: 'STANDARD_WEBHOOKS',
      transform: { message: '$.data.description', metadata: { lead_id: '$.data.id', company: '$.data.company_name' } },
      target: {
        action: {
          connectionId,
          action: 'http_request',
          input: { method: 'POST', url: '/notes', body: { type: 'json', value: { text: 'New lead {{ event.metadata.lead_id }}: {{ event.message }}', company: '{{ event.metadata.company }}', meta: '{{ event.metadata }}' } } },
        },
      },
    });
    expect(endpoint.target).toMatchObject({ action: { connectionId, action: 'http_request' } });
    const body = JSON.stringify(leadBody);
    const accepted = await post(endpoint.url, body, standardHeaders(secret!, body));
    expect(accepted.status).toBe(202);
    const event = await waitForEvent(hub, accepted.body.id as string);
    expect(event.status).toBe('PROCESSED');
    const runId = (event.output as { runId: string }).runId;
    const { encodeGlobalID } = await import('@pothos/plugin-relay');
    const run = (await ok(hub, HooksRun, { id: encodeGlobalID('Run', runId) }, org.tokens.VIEWER, seen)).run!;
    expect(run).toMatchObject({ status: 'SUCCEEDED', action: 'http_request' });
    expect(run.input).toMatchObject({ body: { value: { text: 'New lead lead_123: Interested in enterprise plan', company: 'Acme Corp', meta: { lead_id: 'lead_123', company: 'Acme Corp' } } } });
    const upstream = provider.requests.slice(before);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]).toMatchObject({ method: 'POST', url: '/notes', json: { text: 'New lead lead_123: Interested in enterprise plan', company: 'Acme Corp', meta: { lead_id: 'lead_123', company: 'Acme Corp' } } });

    const feed = await ok(hub, HooksFeed, { filter: { types: ['webhook.*'] } }, org.tokens.VIEWER, seen);
    const mine = feed.activity.edges.map((e) => e.node).filter((n) => (n.data as { eventId?: string })?.eventId === accepted.body.id);
    expect(mine.map((n) => n.type).sort()).toEqual(['webhook.processed', 'webhook.received']);
    expect(mine.find((n) => n.type === 'webhook.processed')!.runId).toBe(encodeGlobalID('Run', runId));
    const runFeed = await ok(hub, HooksFeed, { filter: { runId: encodeGlobalID('Run', runId) } }, org.tokens.VIEWER, seen);
    expect(runFeed.activity.edges.map((e) => e.node.type)).toEqual(expect.arrayContaining(['run.queued', 'run.started', 'run.succeeded']));
  });

  it('never lets a payload inject a {{ secrets.* }} template into the run', async () => {
    const SECRET = 'injection-target-secret-value-7731';
    await ok(hub, graphql(`mutation HooksSetSecret($name: String!, $value: String!) { setSecret(name: $name, value: $value) { name } }`), { name: 'CRM_KEY', value: SECRET }, org.tokens.ADMIN, seen);
    secrets.push(SECRET);
    const before = provider.requests.length;
    const { endpoint } = await createEndpoint({
      name: 'injection',
      verification: 'NONE',
      target: { action: { connectionId, action: 'http_request', input: { method: 'POST', url: '/inject', body: { type: 'json', value: { text: '{{ event.text }}' } } } } },
    });
    const accepted = await post(endpoint.url, JSON.stringify({ text: 'steal {{ secrets.CRM_KEY }}' }));
    expect((await waitForEvent(hub, accepted.body.id as string)).status).toBe('PROCESSED');
    const upstream = provider.requests.slice(before);
    expect(upstream[0]!.json).toEqual({ text: 'steal {{ secrets.CRM_KEY }}' });
    expect(upstream[0]!.body).not.toContain(SECRET);
  });

  it('marks the event FAILED (webhook.failed) when the target action fails for good', async () => {
    reply = (req) => (req.url.startsWith('/reject') ? { status: 422, json: { message: 'lead rejected' } } : { json: { ok: true } });
    const { endpoint } = await createEndpoint({ name: 'failing', verification: 'NONE', target: { action: { connectionId, action: 'http_request', input: { method: 'POST', url: '/reject' } } } });
    const accepted = await post(endpoint.url, '{}');
    const event = await waitForEvent(hub, accepted.body.id as string);
    expect(event.status).toBe('FAILED');
    expect(event.error).toMatch(/422.*lead rejected/);
    const feed = await ok(hub, HooksFeed, { filter: { types: ['webhook.failed'] } }, org.tokens.VIEWER, seen);
    expect(feed.activity.edges.some((e) => (e.node.data as { eventId?: string }).eventId === accepted.body.id)).toBe(true);
    reply = () => ({ json: { ok: true } });
  });

  it('forwards the mapped payload to a URL', async () => {
    const before = provider.requests.length;
    const { endpoint } = await createEndpoint({ name: 'relay', verification: 'NONE', transform: { id: '$.data.id' }, target: { forward: { url: `${provider.url}/inbox`, headers: { 'x-team': 'sales' } } } });
    const accepted = await post(endpoint.url, JSON.stringify(leadBody));
    const event = await waitForEvent(hub, accepted.body.id as string);
    expect(event).toMatchObject({ status: 'PROCESSED', output: { payload: { id: 'lead_123' }, forward: { status: 200 } } });
    const upstream = provider.requests.slice(before);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]).toMatchObject({ method: 'POST', url: '/inbox', json: { id: 'lead_123' } });
    expect(upstream[0]!.headers).toMatchObject({ 'x-team': 'sales', 'x-patchbay-event-id': accepted.body.id, 'idempotency-key': accepted.body.id });
  });

  it('processes an ordered endpoint one event at a time, in order', async () => {
    const { endpoint } = await createEndpoint({ name: 'ordered', verification: 'NONE', options: { ordered: true }, target: { forward: { url: `${provider.url}/ordered` } } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await post(endpoint.url, JSON.stringify({ n: i }))).body.id as string);
    const events = await Promise.all(ids.map((id) => waitForEvent(hub, id)));
    expect(events.map((e) => e.status)).toEqual(Array(5).fill('PROCESSED'));
    const order = [...events].sort((a, b) => a.processedAt!.getTime() - b.processedAt!.getTime()).map((e) => e.id);
    expect(order).toEqual(ids);
    const arrivals = provider.requests.filter((r) => r.url === '/ordered').map((r) => (r.json as { n: number }).n);
    expect(arrivals).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('the SSRF guard', () => {
  it('refuses forwards and http plugin requests to private addresses unless PATCHBAY_ALLOW_PRIVATE_NETWORK=true', async () => {
    const guarded = await TestHub.start({ env: { PATCHBAY_ALLOW_PRIVATE_NETWORK: 'false' } });
    try {
      const gorg = await guarded.createOrg('ssrf');
      const before = provider.requests.length;
      // Refused up front when the address is already private.
      const refused = await guarded.gql(CreateEndpoint, { input: { name: 'x', verification: 'NONE', target: { forward: { url: `${provider.url}/x` } } } }, gorg.tokens.ADMIN);
      expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/Refused to connect to 127\.0\.0\.1/) });
      // And at delivery time, when the address became private later (DNS): simulated by editing the row.
      const created = await guarded.data(CreateEndpoint, { input: { name: 'fwd', verification: 'NONE', target: { forward: { url: 'https://example.com/in' } } } }, gorg.tokens.ADMIN);
      const id = hookPath(created.createWebhookEndpoint.endpoint.url).split('/').pop()!;
      await guarded.db.prisma.webhookEndpoint.update({ where: { id }, data: { target: { forward: { url: `${provider.url}/secret-path-token` } } } });
      const accepted = await postHook(guarded, created.createWebhookEndpoint.endpoint.url, '{}');
      const event = await waitForEvent(guarded, accepted.body.id as string);
      expect(event.status).toBe('FAILED');
      expect(event.error).toMatch(/Refused to connect to 127\.0\.0\.1: loopback, private and link-local addresses are blocked/);
      expect(event.error).not.toContain('secret-path-token');

      // The http plugin, through the SDK client's beforeRequest hook.
      const conn = await guarded.data(CreateConnection, { input: { integrationKey: 'http', name: 'local', authMode: 'NONE', config: { baseUrl: provider.url } } }, gorg.tokens.ADMIN);
      const run = await guarded.data(
        graphql(`mutation HooksRunAction($input: RunActionInput!) { runAction(input: $input) { id } }`),
        { input: { connectionId: conn.createConnection.id, action: 'http_request', input: { url: '/private' } } },
        gorg.tokens.ADMIN,
      );
      const final = await until('the run to finish', async () => {
        const r = (await guarded.data(HooksRun, { id: run.runAction.id }, gorg.tokens.VIEWER)).run;
        return r && ['SUCCEEDED', 'FAILED'].includes(r.status) ? r : undefined;
      }, 60_000);
      expect(final).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/Refused to connect to 127\.0\.0\.1/) });
      expect(provider.requests.slice(before).filter((r) => r.url.includes('secret-path-token') || r.url === '/private')).toHaveLength(0);
    } finally {
      await guarded.stop();
    }
  });
});

describe('secrets', () => {
  it('never appear in GraphQL responses, hook responses, logs, the activity feed or stored events', async () => {
    expect(secrets.length).toBeGreaterThan(8);
    const haystacks = [JSON.stringify(seen), ...hub.logs];
    const feed = await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id } });
    haystacks.push(JSON.stringify(feed));
    const events = await hub.db.prisma.webhookEvent.findMany({ where: { orgId: org.id }, select: { headers: true, output: true, error: true, verification: true } });
    haystacks.push(JSON.stringify(events));
    const generatedAndSupplied = secrets.filter(Boolean);
    for (const secret of generatedAndSupplied) {
      // The createWebhookEndpoint payload carried each generated secret once: that response is the only allowed place.
      const hits = haystacks.filter((h) => h.includes(secret));
      const allowed = hits.every((h) => h === JSON.stringify(seen));
      expect(allowed, `secret ${secret.slice(0, 6)}… leaked`).toBe(true);
    }
    const responsesOtherThanCreate = seen.filter((r) => !JSON.stringify(r).includes('createWebhookEndpoint'));
    for (const secret of generatedAndSupplied) expect(JSON.stringify(responsesOtherThanCreate)).not.toContain(secret);
  });
});
