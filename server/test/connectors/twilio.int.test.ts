// Twilio end to end: an Account SID + Auth Token connection made through GraphQL (tested with
// GET /Accounts/{Sid}.json), send_sms through runAction → Temporal → the plugin → twilio-node
// → the fake Twilio, a Twilio 21211 failing the run at once, and the Auth Token nowhere in
// GraphQL responses or the logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTwilioRequest, startFakeTwilio, type FakeTwilio } from '../../../plugins/twilio/src/fake-twilio.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';
import { waitForEvent } from '../webhooks-helpers.ts';

const ACCOUNT_SID = `AC${'9f8e7d6c'.repeat(4)}`;
const AUTH_TOKEN = 'e2e-twilio-auth-token-3c2b1a0f9e8d';

const CreateConnection = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status authMode lastError config } }`;
const CreateEndpoint = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url } } }`;
const TestConnection = `mutation($id: ID!) { testConnection(id: $id) { ok message } }`;

let hub: TestHub;
let org: TestOrg;
let twilio: FakeTwilio;
let connectionId: string;
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  twilio = await startFakeTwilio({ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, friendlyName: 'Acme Support' });
  hub = await TestHub.start();
  org = await hub.createOrg('twilio');
});

afterAll(async () => {
  await stopHub();
  await twilio?.close();
});

describe('Twilio through the hub', () => {
  it('creates the connection, tested by fetching the account', async () => {
    const { createConnection } = await gql<{ createConnection: { id: string; status: string; lastError: string | null } }>(CreateConnection, {
      input: { integrationKey: 'twilio', name: 'Twilio', authMode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, config: { baseUrl: twilio.url } },
    });
    expect(createConnection).toMatchObject({ status: 'ACTIVE', lastError: null });
    connectionId = createConnection.id;
    expect(twilio.requests.map((r) => `${r.method} ${r.url}`)).toEqual([`GET /2010-04-01/Accounts/${ACCOUNT_SID}.json`]);
    const { testConnection } = await gql<{ testConnection: { ok: boolean; message: string } }>(TestConnection, { id: connectionId });
    expect(testConnection).toEqual({ ok: true, message: 'Connected to the Twilio account "Acme Support"' });
  });

  it('runs send_sms: SUCCEEDED, with the message Twilio queued', async () => {
    const before = twilio.requests.length;
    const run = await runToEnd(connectionId, 'send_sms', { to: '+14155550123', from: '+15005550006', body: 'Your table is ready' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ status: 'queued', to: '+14155550123', from: '+15005550006', body: 'Your table is ready', numSegments: 1 });
    expect((run.output as { sid: string }).sid).toBe(twilio.messages.at(-1)!.sid);
    const upstream = twilio.requests.slice(before);
    expect(upstream).toHaveLength(1);
    expect(`${upstream[0]!.method} ${upstream[0]!.url}`).toBe(`POST /2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(upstream[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(Object.fromEntries(new URLSearchParams(upstream[0]!.body))).toEqual({ To: '+14155550123', From: '+15005550006', Body: 'Your table is ready' });
  });

  it("fails at once on Twilio's 21211, with Twilio's code and message on the run", async () => {
    const before = twilio.requests.length;
    const run = await runToEnd(connectionId, 'send_sms', { to: '+15005550001', from: '+15005550006', body: 'hello' });
    expect(run).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(run.error).toContain("Twilio error 21211: The 'To' number +15005550001 is not a valid phone number.");
    expect(twilio.requests.length - before).toBe(1);
  });

  it('retries a 429 (20429) after Retry-After and succeeds', async () => {
    twilio.failNext('rate-limit');
    const before = twilio.requests.length;
    const run = await runToEnd(connectionId, 'send_sms', { to: '+14155550199', from: '+15005550006', body: 'Second try' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(twilio.requests.length - before).toBe(2);
  });

  it('receives an incoming SMS on a hook: signature checked with the Auth Token, empty TwiML answered, one event', async () => {
    const { createWebhookEndpoint } = await gql<{ createWebhookEndpoint: { secret: string | null; endpoint: { id: string; url: string } } }>(CreateEndpoint, {
      input: { name: 'Twilio SMS', verification: 'TWILIO', secret: AUTH_TOKEN, target: { trigger: { integrationKey: 'twilio', trigger: 'inbound_sms', connectionId } } },
    });
    expect(createWebhookEndpoint.secret).toBeNull();
    // Twilio signs the public URL it was given; the test hub listens on a port of its own.
    const publicUrl = createWebhookEndpoint.endpoint.url;
    const hookUrl = `${hub.url}${new URL(publicUrl).pathname}`;
    const params = { MessageSid: 'SM11112222333344445555666677778888', AccountSid: ACCOUNT_SID, From: '+14155550123', To: '+15005550006', Body: 'Is my order ready?', NumMedia: '0', NumSegments: '1' };
    const post = (token: string) =>
      fetch(hookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilioRequest(token, publicUrl, params) },
        body: new URLSearchParams(params).toString(),
      });

    const forged = await post('not-the-auth-token');
    expect(forged.status).toBe(401);

    const accepted = await post(AUTH_TOKEN);
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await accepted.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');

    const endpointId = Buffer.from(createWebhookEndpoint.endpoint.id, 'base64').toString().split(':').pop()!;
    const rows = await hub.db.prisma.webhookEvent.findMany({ where: { endpointId } });
    expect(rows).toHaveLength(1); // the forged request was not stored
    const processed = await waitForEvent(hub, rows[0]!.id);
    expect(processed.status).toBe('PROCESSED');
    expect((processed.output as { events: unknown[] }).events).toEqual([
      expect.objectContaining({ message_sid: params.MessageSid, from: '+14155550123', to: '+15005550006', body: 'Is my order ready?', media: [] }),
    ]);
  });

  it('never shows the Auth Token in GraphQL responses or the logs', () => {
    expect(hub.logs.length).toBeGreaterThan(0);
    const basic = Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64');
    for (const secret of [AUTH_TOKEN, basic]) {
      expect(JSON.stringify(responses)).not.toContain(secret);
      expect(hub.logs.join('\n')).not.toContain(secret);
    }
  });
});
