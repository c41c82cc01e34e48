// post_execute_notification end to end: the manifest connection names the connection that sends
// (config.notificationConnectionId: an `email` connection for type email — send_email to a real
// SMTP server (the fake SMTP sink); a `twilio` connection for text — send_sms to the fake Twilio)
// and the sender (config.notificationFrom). After a successful execute the notification is an
// activity of the manifest workflow (retried), recorded on the run's output and in the feed; a
// notification that cannot be sent is recorded as FAILED and the run still SUCCEEDS.
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../../plugins/email/src/fake-smtp.ts';
import { startFakeTwilio, type FakeTwilio } from '../../plugins/twilio/src/fake-twilio.ts';
import { TestHub, type TestOrg } from './harness.ts';
import { gqlKit, waitForRun } from './manifest-helpers.ts';

const SMTP_USER = 'hr-mailer';
const SMTP_PASSWORD = 'smtp-pass-5e6f7a8b9c';
const ACCOUNT_SID = `AC${'1a2b3c4d'.repeat(4)}`;
const AUTH_TOKEN = 'twilio-auth-token-manifest-8d7c6b5a';
const API_TOKEN = 'accounts-api-token-3344';
const TWILIO_FROM = '+14155550199';

const REGISTER = `mutation Register($input: RegisterManifestInput!) { registerManifest(input: $input) { key } }`;
const CREATE = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status lastError } }`;
const CONNECT = `mutation Connect($input: ConnectManifestInput!) { connectManifest(input: $input) { id config } }`;
const RUN_MANIFEST = `mutation RunManifest($input: RunManifestInput!) { runManifest(input: $input) { id } }`;
const FEED = `query Feed($filter: ActivityFilter) { activity(filter: $filter, first: 100) { edges { node { type level message data } } } }`;

let hub: TestHub;
let org: TestOrg;
let smtp: SmtpSink;
let twilio: FakeTwilio;
let api: FakeServer;
let emailConnection: string;
let twilioConnection: string;
let emailManifestConnection: string;
let textManifestConnection: string;
const { responses, call, data } = gqlKit(() => ({ hub, org }));


const manifest = (notification: Record<string, unknown>) => ({
  execute: [{ url: 'https://accounts.example.com/accounts', method: 'POST', data: { email: '{{ email }}' } }],
  headers: { Authorization: 'Token {{ API_TOKEN }}' },
  initial_data_form: [{ id: 'API_TOKEN', name: 'API token' }],
  post_execute_notification: notification,
});

async function feedOf(runId: string) {
  const feed = await data(FEED, { filter: { runId } });
  return feed.activity.edges.map((e: { node: unknown }) => e.node) as Array<{ type: string; level: string; message: string; data: any }>;
}

beforeAll(async () => {
  smtp = await startSmtpSink({
    users: { [SMTP_USER]: SMTP_PASSWORD },
    onRecipient: (address) => (address === 'nobody@example.com' ? Object.assign(new Error('5.1.1 <nobody@example.com>: Recipient address rejected: User unknown'), { responseCode: 550 }) : undefined),
  });
  twilio = await startFakeTwilio({ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, friendlyName: 'HR' });
  api = await startFakeServer((req) => {
    if (req.headers.authorization !== `Token ${API_TOKEN}`) return { status: 401, json: { message: 'bad token' } };
    if (req.url === '/accounts' && req.method === 'POST') return { status: 201, json: { id: `acct-${(req.json as { email: string }).email.split('@')[0]}` } };
    return { status: 404, json: { message: 'no route' } };
  });
  hub = await TestHub.start();
  org = await hub.createOrg('manifest-notify');
  emailConnection = (
    await data(CREATE, {
      input: { integrationKey: 'email', name: 'HR mail', authMode: 'BASIC', credentials: { username: SMTP_USER, password: SMTP_PASSWORD }, config: { host: smtp.host, port: smtp.port, secure: false } },
    })
  ).createConnection.id;
  twilioConnection = (
    await data(CREATE, { input: { integrationKey: 'twilio', name: 'HR texts', authMode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, config: { baseUrl: twilio.url } } })
  ).createConnection.id;
  await data(REGISTER, {
    input: {
      key: 'accounts',
      displayName: 'Accounts',
      manifest: manifest({ type: 'email', to: '{{ manager_email }}', subject: 'New account for {{ first_name }}', message: '{{ first_name }} now has account {{ responses.0.id }}.' }),
    },
  });
  await data(REGISTER, { input: { key: 'accounts-sms', displayName: 'Accounts (SMS)', manifest: manifest({ type: 'text', to: '{{ phone }}', message: 'Welcome {{ first_name }}! Your account: {{ responses.0.id }}' }) } });
});

afterAll(async () => {
  await hub?.stop();
  await smtp?.close();
  await twilio?.close();
  await api?.close();
});

const hostOverrides = () => ({ 'accounts.example.com': api.url });

describe('choosing the sending connection', () => {
  it('checks notificationConnectionId and notificationFrom against the manifest, at their paths', async () => {
    const wrongKind = await call(CONNECT, {
      input: { integrationKey: 'accounts', name: 'A', initialData: { API_TOKEN }, config: { hostOverrides: hostOverrides(), notificationConnectionId: twilioConnection, notificationFrom: 'hr@example.com' } },
    });
    expect(wrongKind.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.config.notificationConnectionId', message: 'a email notification is sent through an "email" connection, not twilio' }]);
    const noFrom = await call(CONNECT, { input: { integrationKey: 'accounts', name: 'A', initialData: { API_TOKEN }, config: { notificationConnectionId: emailConnection } } });
    expect(noFrom.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.config.notificationFrom', message: 'the sender address is required (e.g. "HR <hr@example.com>")' }]);
    const badNumber = await call(CONNECT, { input: { integrationKey: 'accounts-sms', name: 'A', initialData: { API_TOKEN }, config: { notificationConnectionId: twilioConnection, notificationFrom: '555-0199' } } });
    expect(badNumber.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.config.notificationFrom', message: 'must be a phone number in E.164 format (+14155550123) or a Messaging Service SID (MG…)' }]);
    const other = await hub.createOrg('notify-other');
    const foreign = await call(
      CONNECT,
      { input: { integrationKey: 'accounts', name: 'A', initialData: { API_TOKEN }, config: { notificationConnectionId: emailConnection, notificationFrom: 'hr@example.com' } } },
      other.tokens.ADMIN,
    );
    expect(foreign.errors?.length).toBeGreaterThan(0); // their org has neither the manifest nor our connection
  });

  it('connects with an email connection as sender (stored as its local id)', async () => {
    const { connectManifest } = await data(CONNECT, {
      input: { integrationKey: 'accounts', name: 'Accounts', initialData: { API_TOKEN }, config: { hostOverrides: hostOverrides(), notificationConnectionId: emailConnection, notificationFrom: 'HR Team <hr@example.com>' } },
    });
    expect(connectManifest.config).toMatchObject({ notificationConnectionId: decodeGlobalID(emailConnection).id, notificationFrom: 'HR Team <hr@example.com>' });
    emailManifestConnection = connectManifest.id;
    const { connectManifest: sms } = await data(CONNECT, {
      input: { integrationKey: 'accounts-sms', name: 'Accounts SMS', initialData: { API_TOKEN }, config: { hostOverrides: hostOverrides(), notificationConnectionId: twilioConnection, notificationFrom: TWILIO_FROM } },
    });
    textManifestConnection = sms.id;
  });
});

describe('email', () => {
  it('sends the rendered email through the SMTP connection after a successful run', async () => {
    const { runManifest } = await data(RUN_MANIFEST, {
      input: { connectionId: emailManifestConnection, action: 'EXECUTE', subject: { email: 'ada@example.com', first_name: 'Ada', manager_email: 'boss@example.com' } },
    });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.recipients).toEqual(['boss@example.com']);
    expect(mail.from).toBe('hr@example.com');
    expect(mail.user).toBe(SMTP_USER);
    expect(mail.raw).toContain('Subject: New account for Ada');
    expect(mail.raw).toContain('Ada now has account acct-ada.');
    const notification = (run.output as { notification: Record<string, unknown> }).notification;
    expect(notification).toEqual({ status: 'SENT', type: 'email', to: 'boss@example.com', subject: 'New account for Ada', connectionId: decodeGlobalID(emailConnection).id, messageId: expect.stringMatching(/^<.+>$/) });
    const sent = (await feedOf(runManifest.id)).find((e) => e.type === 'manifest.notification_sent')!;
    expect(sent).toMatchObject({ level: 'info', data: { type: 'email', to: 'boss@example.com', subject: 'New account for Ada' } });
    expect(sent.message).toContain('sent through "HR mail"');
  });

  it('records a refused email as a FAILED notification; the run still SUCCEEDS', async () => {
    const before = smtp.messages.length;
    const { runManifest } = await data(RUN_MANIFEST, {
      input: { connectionId: emailManifestConnection, action: 'EXECUTE', subject: { email: 'bob@example.com', first_name: 'Bob', manager_email: 'nobody@example.com' } },
    });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(run.output).toMatchObject({ responses: [{ id: 'acct-bob' }] });
    expect(smtp.messages.length).toBe(before);
    const notification = (run.output as { notification: Record<string, unknown> }).notification;
    expect(notification).toMatchObject({ status: 'FAILED', type: 'email', to: 'nobody@example.com', error: expect.stringMatching(/550.*User unknown/) });
    const events = await feedOf(runManifest.id);
    const failed = events.find((e) => e.type === 'manifest.notification_failed')!;
    expect(failed).toMatchObject({ level: 'warn', data: { to: 'nobody@example.com', error: expect.stringMatching(/User unknown/) } });
    expect(events.map((e) => e.type)).not.toContain('manifest.notification_sent');
  });
});

describe('text', () => {
  it('sends the text through the Twilio connection, retrying a Twilio outage', async () => {
    twilio.failNext('server-error', 1);
    const { runManifest } = await data(RUN_MANIFEST, {
      input: { connectionId: textManifestConnection, action: 'EXECUTE', subject: { email: 'cy@example.com', first_name: 'Cy', phone: '+14155550123' } },
    });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id, 60_000);
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(twilio.messages).toHaveLength(1);
    expect(twilio.messages[0]).toMatchObject({ to: '+14155550123', from: TWILIO_FROM, body: 'Welcome Cy! Your account: acct-cy' });
    const notification = (run.output as { notification: Record<string, unknown> }).notification;
    expect(notification).toMatchObject({ status: 'SENT', type: 'text', to: '+14155550123', messageId: expect.stringMatching(/^SM/) });
    // Two attempts of the notification activity: the first met the outage.
    expect(twilio.requests.filter((r) => r.method === 'POST' && r.url.includes('/Messages.json'))).toHaveLength(2);
  });

  it('skips (and says so) when the manifest connection names no sender', async () => {
    const { connectManifest } = await data(CONNECT, { input: { integrationKey: 'accounts-sms', name: 'No sender', initialData: { API_TOKEN }, config: { hostOverrides: hostOverrides() } } });
    const { runManifest } = await data(RUN_MANIFEST, { input: { connectionId: connectManifest.id, action: 'EXECUTE', subject: { email: 'di@example.com', first_name: 'Di', phone: '+14155550124' } } });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED' });
    expect((run.output as { notification: Record<string, unknown> }).notification).toMatchObject({ status: 'SKIPPED', to: '+14155550124' });
    const skipped = (await feedOf(runManifest.id)).find((e) => e.type === 'manifest.notification_skipped')!;
    expect(skipped).toMatchObject({ level: 'warn', data: { type: 'text', to: '+14155550124', message: 'Welcome Di! Your account: acct-di' } });
  });

  it('never shows the SMTP password, the Twilio auth token or the API token', () => {
    const everything = JSON.stringify([responses, hub.logs]);
    for (const secret of [SMTP_PASSWORD, AUTH_TOKEN, API_TOKEN]) expect(everything).not.toContain(secret);
  });
});
