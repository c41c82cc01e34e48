// Email end to end: a BASIC (SMTP) connection made through GraphQL and tested with
// transporter.verify() against a real SMTP server (smtp-server), send_email through
// runAction → Temporal → the plugin → nodemailer → that server, a 550 refusal failing the run
// at once, and the SMTP password nowhere in GraphQL responses or the hub's logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachmentFrom, startSmtpSink, type SmtpSink } from '../../../plugins/email/src/fake-smtp.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';

const SMTP_USER = 'mailer@acme.test';
const SMTP_PASSWORD = 'e2e-smtp-password-8d7c6b5a4f3e';

const CreateConnection = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status authMode lastError config } }`;
const TestConnection = `mutation($id: ID!) { testConnection(id: $id) { ok message } }`;

let hub: TestHub;
let org: TestOrg;
let smtp: SmtpSink;
let connectionId: string;
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  smtp = await startSmtpSink({
    users: { [SMTP_USER]: SMTP_PASSWORD },
    onRecipient: (address) => (address === 'gone@example.com' ? Object.assign(new Error('5.1.1 <gone@example.com>: Recipient address rejected: User unknown'), { responseCode: 550 }) : undefined),
  });
  hub = await TestHub.start();
  org = await hub.createOrg('email');
});

afterAll(async () => {
  await stopHub();
  await smtp?.close();
});

describe('Email (SMTP) through the hub', () => {
  it('creates the connection, tested by logging in to the SMTP server', async () => {
    const { createConnection } = await gql<{ createConnection: { id: string; status: string; authMode: string; lastError: string | null; config: unknown } }>(CreateConnection, {
      input: {
        integrationKey: 'email',
        name: 'Acme mail',
        authMode: 'BASIC',
        credentials: { username: SMTP_USER, password: SMTP_PASSWORD },
        config: { host: smtp.host, port: smtp.port, secure: false },
      },
    });
    expect(createConnection).toMatchObject({ status: 'ACTIVE', authMode: 'BASIC', lastError: null, config: { host: smtp.host, port: smtp.port, secure: false } });
    connectionId = createConnection.id;
    expect(smtp.logins).toEqual([{ user: SMTP_USER, password: SMTP_PASSWORD, method: 'PLAIN', ok: true }]);
    const { testConnection } = await gql<{ testConnection: { ok: boolean; message: string } }>(TestConnection, { id: connectionId });
    expect(testConnection).toEqual({ ok: true, message: `SMTP ${smtp.host}:${smtp.port} accepted the login` });
  });

  it('runs send_email: SUCCEEDED with the message id, and the server received the mail', async () => {
    const run = await runToEnd(connectionId, 'send_email', {
      from: 'Acme Support <support@acme.test>',
      to: 'customer@example.com',
      subject: 'Your ticket #881',
      text: 'We are on it.',
      html: '<p>We are on it.</p>',
      attachments: [{ filename: 'ticket.txt', text: 'Ticket 881: printer on fire' }],
    });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 1, error: null, output: { provider: 'smtp', accepted: ['customer@example.com'], rejected: [] } });
    const output = run.output as { messageId: string };
    expect(output.messageId).toMatch(/^<.+@acme\.test>$/);

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.user).toBe(SMTP_USER);
    expect(mail.recipients).toEqual(['customer@example.com']);
    expect(mail.raw).toContain(`Message-ID: ${output.messageId}`);
    expect(mail.raw).toMatch(/^Subject: Your ticket #881$/m);
    expect(mail.raw).toMatch(/^From: Acme Support <support@acme\.test>$/m);
    expect(attachmentFrom(mail.raw, 'ticket.txt')?.content.toString('utf8')).toBe('Ticket 881: printer on fire');
  });

  it('fails the run at once when the server refuses the recipient (550)', async () => {
    const run = await runToEnd(connectionId, 'send_email', { from: 'support@acme.test', to: 'gone@example.com', subject: 'Hello?', text: 'Anyone there?' });
    expect(run).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(run.error).toMatch(/550.*User unknown/);
    expect(smtp.messages).toHaveLength(1);
  });

  it('never shows the SMTP password: not in any GraphQL response, not in the logs', () => {
    expect(responses.length).toBeGreaterThan(0);
    expect(JSON.stringify(responses)).not.toContain(SMTP_PASSWORD);
    expect(hub.logs.length).toBeGreaterThan(0);
    expect(hub.logs.join('\n')).not.toContain(SMTP_PASSWORD);
  });
});
