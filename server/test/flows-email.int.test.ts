// DooneFlow's email example end to end, through GraphQL: a flow triggered by new mail in an
// IMAP inbox (the email plugin's new_email, polled on a Temporal Schedule; real Dovecot) whose
// subject matches a filter posts the sender and subject to Slack (fake Slack, @slack/web-api).
// The first poll only sets the starting point; mail that does not match the filter starts
// nothing; the inbox's "last polled" time is recorded; the IMAP password appears nowhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverMail, dovecotAvailable, startDovecot, type RunningDovecot } from '../../plugins/email/src/fake-dovecot.ts';
import { startFakeSlack, type FakeSlack } from '../../plugins/slack/src/fake-slack.ts';
import { connectorKit } from './connectors/connector-kit.ts';
import { TestHub, type TestOrg } from './harness.ts';
import { CreateConnection, CreateFlow, dbId, stepStatuses, waitForRun } from './flows-helpers.ts';
import { until } from './webhooks-helpers.ts';

const IMAP_USER = 'support';
const IMAP_PASSWORD = 'imap-password-never-leaks-4e1d';
const BOT_TOKEN = 'xoxb-flows-email-1234-SlackSecret77aa';

const FlowPoll = `query($id: ID!) { flow(id: $id) { id enabled poll { integrationKey trigger intervalSeconds lastPolledAt lastError eventsFired lastEventAt } } }`;
const PollNow = `mutation($id: ID!) { pollFlowTrigger(id: $id) { id } }`;

let hub: TestHub;
let org: TestOrg;
let imap: RunningDovecot;
let slack: FakeSlack;
const { gql, responses, stopHub } = connectorKit(() => ({ hub, org }));

describe.skipIf(!dovecotAvailable)('Email → Slack flow (needs Debian dovecot-imapd)', () => {
  beforeAll(async () => {
    imap = await startDovecot({ users: { [IMAP_USER]: IMAP_PASSWORD } });
    slack = await startFakeSlack({ token: BOT_TOKEN, channels: [{ id: 'C0SUPPORT', name: 'support' }] });
    hub = await TestHub.start();
    org = await hub.createOrg('email-flow');
  });

  afterAll(async () => {
    await stopHub();
    await Promise.all([imap?.stop(), slack?.close()]);
  });

  let flowId: string;

  const pollState = async () => (await gql<{ flow: { poll: { lastPolledAt: string | null; lastError: string | null; eventsFired: number; intervalSeconds: number } } }>(FlowPoll, { id: flowId })).flow.poll;

  it('creates the inbox connection, the Slack connection and the flow; enabling it polls once to set the starting point', async () => {
    await deliverMail(imap, IMAP_USER, { from: 'Old Customer <old@example.com>', to: 'support@acme.test', subject: 'Urgent: from before the flow existed', text: 'old' });
    const { createConnection: inbox } = await gql<{ createConnection: { id: string; status: string; lastError: string | null } }>(CreateConnection, {
      input: { integrationKey: 'email', name: 'Support inbox', authMode: 'BASIC', credentials: { username: IMAP_USER, password: IMAP_PASSWORD }, config: { imapHost: imap.host, imapPort: imap.port, imapSecure: false } },
    });
    expect(inbox).toMatchObject({ status: 'ACTIVE', lastError: null });
    const { createConnection: chat } = await gql<{ createConnection: { id: string; status: string } }>(CreateConnection, {
      input: { integrationKey: 'slack', name: 'Slack', authMode: 'BOT_TOKEN', credentials: { botToken: BOT_TOKEN }, config: { baseUrl: slack.apiUrl } },
    });
    expect(chat.status).toBe('ACTIVE');

    const { createFlow } = await gql<{ createFlow: { id: string; enabled: boolean; trigger: any } }>(CreateFlow, {
      input: {
        name: 'Urgent mail to Slack',
        enabled: true,
        trigger: { type: 'email', connectionId: inbox.id, subjectContains: 'urgent', intervalSeconds: 30 },
        steps: [
          { key: 'post', type: 'action', connectionId: chat.id, action: 'post_message', input: { channel: 'C0SUPPORT', text: 'New email from {email_from}: {{ trigger.email_subject }}' } },
        ],
      },
    });
    flowId = createFlow.id;
    // Stored as the email plugin's polling trigger, with the plugin's minimum interval honoured.
    expect(createFlow.trigger).toEqual({ type: 'plugin', integrationKey: 'email', trigger: 'new_email', connectionId: inbox.id, settings: { subjectContains: 'urgent', mailbox: 'INBOX', markAsRead: false }, intervalSeconds: 30 });
    const first = await until('the first poll', async () => {
      const poll = await pollState();
      return poll.lastPolledAt ? poll : null;
    });
    expect(first).toMatchObject({ lastError: null, eventsFired: 0, intervalSeconds: 30 });
    // Mail from before the flow was enabled does not fire it.
    expect(await hub.db.prisma.run.count({ where: { flowId: dbId(flowId) } })).toBe(0);
  });

  it('posts a matching new email to Slack; a non-matching one starts nothing', async () => {
    const before = (await pollState()).lastPolledAt!;
    await deliverMail(imap, IMAP_USER, { from: 'Newsletter <news@example.com>', to: 'support@acme.test', subject: 'Weekly digest', text: 'nothing urgent' });
    await deliverMail(imap, IMAP_USER, { from: 'Jane Doe <jane@example.com>', to: 'support@acme.test', subject: 'URGENT: site is down', text: 'Please help, our checkout fails.' });
    await gql(PollNow, { id: flowId });
    const run = await until('the flow run', () => hub.db.prisma.run.findFirst({ where: { flowId: dbId(flowId) } }));
    const done = await waitForRun(gql, Buffer.from(`Run:${run.id}`).toString('base64'));
    expect(done.status).toBe('SUCCEEDED');
    expect(done.input).toMatchObject({ email_from: 'Jane Doe <jane@example.com>', email_subject: 'URGENT: site is down', contact_email: 'jane@example.com', contact_name: 'Jane Doe', email_body: 'Please help, our checkout fails.' });
    expect(stepStatuses(done)).toEqual(['post:SUCCEEDED']);
    expect(slack.messages.at(-1)).toMatchObject({ channel: 'C0SUPPORT', text: 'New email from Jane Doe <jane@example.com>: URGENT: site is down' });
    expect(done.steps[0]!.input).toEqual({ channel: 'C0SUPPORT', text: 'New email from Jane Doe <jane@example.com>: URGENT: site is down' });

    const poll = await pollState();
    expect(poll.eventsFired).toBe(1);
    expect(new Date(poll.lastPolledAt!).getTime()).toBeGreaterThan(new Date(before).getTime());
    expect(await hub.db.prisma.run.count({ where: { flowId: dbId(flowId) } })).toBe(1);
    const fired = await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id, type: 'trigger.fired' } });
    expect(fired).toHaveLength(1);
  });

  it('polls again without firing twice for the same mail', async () => {
    const before = (await pollState()).lastPolledAt!;
    await gql(PollNow, { id: flowId });
    await until('another poll', async () => new Date((await pollState()).lastPolledAt!).getTime() > new Date(before).getTime());
    expect(await hub.db.prisma.run.count({ where: { flowId: dbId(flowId) } })).toBe(1);
  });

  it('records a failing poll (wrong password) on its flow and in the feed, without the password', async () => {
    const wrong = 'not-the-imap-password-0000';
    const { createConnection: broken } = await gql<{ createConnection: { id: string; status: string } }>(CreateConnection, {
      input: { integrationKey: 'email', name: 'Broken inbox', authMode: 'BASIC', credentials: { username: IMAP_USER, password: wrong }, config: { imapHost: imap.host, imapPort: imap.port, imapSecure: false } },
    });
    expect(broken.status).toBe('ERROR');
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'Broken inbox flow', enabled: true, trigger: { type: 'email', connectionId: broken.id }, steps: [{ key: 'wait', type: 'delay', seconds: 1 }] },
    });
    const poll = await until('the failed poll', async () => (await gql<{ flow: { poll: { lastError: string | null; lastPolledAt: string | null } } }>(FlowPoll, { id: createFlow.id })).flow.poll.lastError ?? null);
    expect(poll).toMatch(/auth|login|credentials/i);
    expect(poll).not.toContain(wrong);
    const failed = await until('the feed entry', () => hub.db.prisma.activityEvent.findFirst({ where: { orgId: org.id, type: 'trigger.poll_failed' } }));
    expect(failed.level).toBe('warn');
    // Deleting the connection disarms the flow's poll and disables the flow, saying why; its synced records go too.
    await hub.db.prisma.syncRecord.create({ data: { orgId: org.id, connectionId: dbId(broken.id), model: 'User', externalId: 'u1', data: {}, hash: 'h' } });
    await gql(`mutation($id: ID!) { deleteConnection(id: $id) { id } }`, { id: broken.id });
    const after = await gql<{ flow: { enabled: boolean; poll: { lastError: string } } }>(FlowPoll, { id: createFlow.id });
    expect(after.flow).toMatchObject({ enabled: false, poll: { lastError: expect.stringMatching(/connection was deleted/) } });
    const pollRow = await hub.db.prisma.triggerPoll.findUniqueOrThrow({ where: { flowId: dbId(createFlow.id) } });
    await expect(hub.hub.temporal.client.schedule.getHandle(`trigger-poll/${pollRow.id}`).describe()).rejects.toThrow();
    expect(await hub.db.prisma.syncRecord.count({ where: { connectionId: dbId(broken.id) } })).toBe(0);
    await gql(`mutation($id: ID!) { deleteFlow(id: $id) { id } }`, { id: createFlow.id });
    for (const leak of [IMAP_PASSWORD, BOT_TOKEN, wrong]) {
      expect(JSON.stringify(responses)).not.toContain(leak);
      expect(hub.logs.join('\n')).not.toContain(leak);
    }
  });

  it('disabling the flow removes its poll schedule', async () => {
    await gql(`mutation($id: ID!) { disableFlow(id: $id) { enabled } }`, { id: flowId });
    const poll = await hub.db.prisma.triggerPoll.findUniqueOrThrow({ where: { flowId: dbId(flowId) } });
    await expect(hub.hub.temporal.client.schedule.getHandle(`trigger-poll/${poll.id}`).describe()).rejects.toThrow();
  });
});
