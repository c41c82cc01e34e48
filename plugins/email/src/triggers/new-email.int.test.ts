// new_email against a real Dovecot IMAP server (started unprivileged by fake-dovecot.ts) with
// real MIME messages (nodemailer's MailComposer) put in with IMAP APPEND, polled the way the
// hub polls: executePoll from the SDK, carrying the cursor from one poll to the next.
import { executePoll, PermanentError, testAuth } from '@patchbay/sdk';
import { failureOf } from '@patchbay/sdk/testing';
import { ImapFlow } from 'imapflow';
import MailComposer from 'nodemailer/lib/mail-composer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotAvailable, startDovecot, type RunningDovecot } from '../fake-dovecot.ts';
import { opensslAvailable, selfSignedCertificate } from '../fake-smtp.ts';
import emailPlugin from '../index.ts';
import { MAX_EVENTS_PER_POLL, type NewEmailCursor, type NewEmailEvent } from './new-email.ts';

const USER = 'alice';
const PASSWORD = 'alice-imap-pa55';

describe.skipIf(!dovecotAvailable)('new_email polling a real Dovecot (skipped when /usr/sbin/dovecot is not installed)', () => {
  let imap: RunningDovecot;
  let client: ImapFlow;

  beforeAll(async () => {
    imap = await startDovecot({ users: { [USER]: PASSWORD, bob: 'bob-imap-pa55' } });
    client = new ImapFlow({ host: imap.host, port: imap.port, secure: false, auth: { user: USER, pass: PASSWORD }, logger: false });
    client.on('error', () => {});
    await client.connect();
  });
  afterAll(async () => {
    await client?.logout().catch(() => undefined);
    await imap?.stop();
  });

  const config = () => ({ imapHost: imap.host, imapPort: imap.port, imapSecure: false });

  const poll = async (settings: Record<string, unknown>, cursor?: NewEmailCursor, password = PASSWORD) => {
    const result = await executePoll({ plugin: emailPlugin, mode: 'BASIC', credentials: { username: USER, password }, config: config(), trigger: 'new_email', settings, cursor });
    return result as { events: NewEmailEvent[]; cursor: NewEmailCursor };
  };

  /** Builds a real message with nodemailer and APPENDs it; returns its UID. */
  async function deliver(mailbox: string, mail: ConstructorParameters<typeof MailComposer>[0], flags: string[] = []): Promise<number> {
    const raw = await new MailComposer({ date: new Date('2026-11-20T09:30:00Z'), ...mail }).compile().build();
    const appended = await client.append(mailbox, raw, flags);
    if (!appended || !appended.uid) throw new Error('APPEND did not return a UID (UIDPLUS)');
    return appended.uid;
  }

  async function flagsOf(mailbox: string, uid: number): Promise<string[]> {
    const lock = await client.getMailboxLock(mailbox, { readOnly: true });
    try {
      const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
      return [...((message && message.flags) || [])];
    } finally {
      lock.release();
    }
  }

  async function freshMailbox(name: string) {
    await client.mailboxCreate(name);
    return name;
  }

  it('reports existing mail with every field on the first poll, nothing on the next, then only what is new', async () => {
    const box = await freshMailbox('Support');
    const multipart = await deliver(box, {
      from: 'Jane Doe <jane@example.com>',
      to: ['support@acme.test', 'Ops Team <ops@acme.test>'],
      subject: 'Order #1042 has not arrived',
      messageId: '<order-1042@example.com>',
      text: 'Hello,\nmy order has not arrived — can you help?',
      html: '<p>Hello,</p><p>my order has <b>not</b> arrived — can you help?</p>',
      attachments: [{ filename: 'receipt.txt', content: 'Receipt 1042 (this attachment is not the body)' }],
    });
    const htmlOnly = await deliver(box, { from: 'news@shop.test', to: 'support@acme.test', subject: 'Newsletter', html: '<h1>Deals</h1><p>Save&nbsp;20% &amp; more</p>' });
    const latin = await deliver(box, { from: '"Müller, Jürgen" <jm@example.de>', to: 'support@acme.test', subject: 'Grüße aus München', text: 'Schöne Grüße', textEncoding: 'base64' });

    const first = await poll({ mailbox: box });
    expect(first.events.map((e) => e.uid)).toEqual([multipart, htmlOnly, latin]);
    expect(first.events[0]).toEqual({
      email_from: 'Jane Doe <jane@example.com>',
      email_to: 'support@acme.test, Ops Team <ops@acme.test>',
      email_subject: 'Order #1042 has not arrived',
      email_body: 'Hello,\nmy order has not arrived — can you help?',
      email_body_html: '<p>Hello,</p><p>my order has <b>not</b> arrived — can you help?</p>',
      contact_email: 'jane@example.com',
      contact_name: 'Jane Doe',
      message_id: '<order-1042@example.com>',
      date: '2026-11-20T09:30:00.000Z',
      uid: multipart,
    });
    expect(first.events[1]).toMatchObject({ email_subject: 'Newsletter', email_body: 'Deals\nSave 20% & more', email_body_html: '<h1>Deals</h1><p>Save&nbsp;20% &amp; more</p>', contact_email: 'news@shop.test', contact_name: '' });
    expect(first.events[2]).toMatchObject({ email_subject: 'Grüße aus München', email_body: 'Schöne Grüße', contact_name: 'Müller, Jürgen', contact_email: 'jm@example.de' });
    expect(first.cursor).toEqual({ uidValidity: expect.stringMatching(/^\d+$/), lastUid: latin });

    const second = await poll({ mailbox: box }, first.cursor);
    expect(second.events).toEqual([]);
    expect(second.cursor).toEqual(first.cursor);

    const later = await deliver(box, { from: 'bob@example.com', to: 'support@acme.test', subject: 'Follow-up', text: 'Any news?' });
    const third = await poll({ mailbox: box }, second.cursor);
    expect(third.events.map((e) => [e.uid, e.email_subject])).toEqual([[later, 'Follow-up']]);
    expect(third.cursor.lastUid).toBe(later);
    expect((await poll({ mailbox: box }, third.cursor)).events).toEqual([]);

    // Reading bodies never marked anything read (BODY.PEEK, EXAMINE).
    expect(await flagsOf(box, multipart)).not.toContain('\\Seen');
    expect(await flagsOf(box, later)).not.toContain('\\Seen');
  });

  it('filters by subject and sender (case-insensitive) and moves past what it filtered out', async () => {
    const box = await freshMailbox('Filtered');
    const baseline = await poll({ mailbox: box });
    expect(baseline.events).toEqual([]);
    const invoice = await deliver(box, { from: 'Billing <billing@vendor.test>', to: 'ap@acme.test', subject: 'Invoice INV-77 due', text: 'Pay me' });
    await deliver(box, { from: 'Billing <billing@vendor.test>', to: 'ap@acme.test', subject: 'Newsletter', text: 'Read me' });
    await deliver(box, { from: 'someone@else.test', to: 'ap@acme.test', subject: 'invoice question', text: 'Which invoice?' });

    const filtered = await poll({ mailbox: box, subjectContains: 'INVOICE', fromContains: 'vendor.test' }, baseline.cursor);
    expect(filtered.events.map((e) => e.uid)).toEqual([invoice]);
    const bySender = await poll({ mailbox: box, fromContains: 'billing' }, baseline.cursor);
    expect(bySender.events.map((e) => e.email_subject)).toEqual(['Invoice INV-77 due', 'Newsletter']);

    // The excluded messages are behind the cursor now: the next poll does not look at them again.
    const next = await poll({ mailbox: box, subjectContains: 'invoice', fromContains: 'vendor.test' }, filtered.cursor);
    expect(next.events).toEqual([]);
    const newer = await deliver(box, { from: 'billing@vendor.test', to: 'ap@acme.test', subject: 'Invoice INV-78', text: 'Again' });
    expect((await poll({ mailbox: box, subjectContains: 'invoice', fromContains: 'vendor.test' }, next.cursor)).events.map((e) => e.uid)).toEqual([newer]);
  });

  it('marks reported messages \\Seen when markAsRead is on, and only those', async () => {
    const box = await freshMailbox('ToRead');
    const baseline = await poll({ mailbox: box, markAsRead: true });
    const wanted = await deliver(box, { from: 'alerts@monitor.test', to: 'ops@acme.test', subject: 'ALERT disk full', text: 'disk /dev/sda1 at 97%' });
    const other = await deliver(box, { from: 'alerts@monitor.test', to: 'ops@acme.test', subject: 'Weekly digest', text: 'all good' });
    const result = await poll({ mailbox: box, markAsRead: true, subjectContains: 'alert' }, baseline.cursor);
    expect(result.events.map((e) => e.uid)).toEqual([wanted]);
    expect(await flagsOf(box, wanted)).toContain('\\Seen');
    expect(await flagsOf(box, other)).not.toContain('\\Seen');
  });

  it('starts over safely when UIDVALIDITY changes (the mailbox was recreated)', async () => {
    const box = await freshMailbox('Recreated');
    await deliver(box, { from: 'a@example.com', to: 'x@acme.test', subject: 'old one', text: '1' });
    await deliver(box, { from: 'a@example.com', to: 'x@acme.test', subject: 'old two', text: '2' });
    const before = await poll({ mailbox: box });
    expect(before.events).toHaveLength(2);

    await client.mailboxDelete(box);
    await client.mailboxCreate(box);
    await deliver(box, { from: 'a@example.com', to: 'x@acme.test', subject: 'restored', text: '3' });
    const status = await client.status(box, { uidValidity: true });
    expect(status && String(status.uidValidity)).not.toBe(before.cursor.uidValidity);

    const reset = await poll({ mailbox: box }, before.cursor);
    // No replay of the renumbered mailbox: the cursor moves to the new UIDVALIDITY and its end.
    expect(reset.events).toEqual([]);
    expect(reset.cursor).toEqual({ uidValidity: String(status && status.uidValidity), lastUid: 1 });
    const fresh = await deliver(box, { from: 'a@example.com', to: 'x@acme.test', subject: 'after reset', text: '4' });
    expect((await poll({ mailbox: box }, reset.cursor)).events.map((e) => [e.uid, e.email_subject])).toEqual([[fresh, 'after reset']]);
  });

  it(`reports at most ${MAX_EVENTS_PER_POLL} per poll, oldest first, and picks up the rest next time`, async () => {
    const box = await freshMailbox('Bulk');
    const baseline = await poll({ mailbox: box });
    const uids: number[] = [];
    for (let i = 1; i <= MAX_EVENTS_PER_POLL + 5; i++) uids.push(await deliver(box, { from: 'bulk@example.com', to: 'x@acme.test', subject: `bulk ${i}`, text: String(i) }));
    const page1 = await poll({ mailbox: box }, baseline.cursor);
    expect(page1.events.map((e) => e.uid)).toEqual(uids.slice(0, MAX_EVENTS_PER_POLL));
    const page2 = await poll({ mailbox: box }, page1.cursor);
    expect(page2.events.map((e) => e.uid)).toEqual(uids.slice(MAX_EVENTS_PER_POLL));
    expect((await poll({ mailbox: box }, page2.cursor)).events).toEqual([]);
    // Without a cursor, the first poll reports the newest ones.
    expect((await poll({ mailbox: box })).events.map((e) => e.uid)).toEqual(uids.slice(-MAX_EVENTS_PER_POLL));
  });

  it('fails permanently on a wrong password, a missing mailbox, a missing imapHost or an API-key connection', async () => {
    const wrong = await failureOf(poll({}, undefined, 'not-the-password'));
    expect(wrong).toBeInstanceOf(PermanentError);
    expect(wrong.message).toMatch(/rejected the username or password/);
    expect(wrong.message).not.toContain('not-the-password');

    const missing = await failureOf(poll({ mailbox: 'No/Such/Folder' }));
    expect(missing).toBeInstanceOf(PermanentError);

    const noHost = await failureOf(executePoll({ plugin: emailPlugin, mode: 'BASIC', credentials: { username: USER, password: PASSWORD }, config: { host: 'smtp.acme.test' }, trigger: 'new_email', settings: {} }));
    expect(noHost).toBeInstanceOf(PermanentError);
    expect(noHost.message).toMatch(/config\.imapHost/);

    const apiKey = await failureOf(executePoll({ plugin: emailPlugin, mode: 'API_KEY', credentials: { apiKey: 'k' }, config: { provider: 'postmark' }, trigger: 'new_email', settings: {} }));
    expect(apiKey).toBeInstanceOf(PermanentError);
    expect(apiKey.message).toMatch(/BASIC/);
  });

  it('connection test: IMAP login + NOOP + logout; a bad password fails', async () => {
    const ok = await testAuth({ plugin: emailPlugin, mode: 'BASIC', credentials: { username: USER, password: PASSWORD }, config: config() });
    expect(ok).toMatchObject({ ok: true, message: `IMAP ${imap.host}:${imap.port} accepted the login` });
    const bad = await testAuth({ plugin: emailPlugin, mode: 'BASIC', credentials: { username: 'bob', password: PASSWORD }, config: config() });
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/rejected the username or password/);
  });

  it('declares a 30 s minimum interval and validates settings', async () => {
    const trigger = emailPlugin.triggers!.find((t) => t.key === 'new_email')!;
    expect(trigger).toMatchObject({ kind: 'POLLING', minIntervalSeconds: 30 });
    const err = await failureOf(poll({ mailbox: '', markAsRead: 'yes' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/mailbox/);
    expect(err.message).toMatch(/markAsRead/);
  });
});

describe.skipIf(!dovecotAvailable || !opensslAvailable())('new_email over TLS to a real Dovecot with a self-signed certificate', () => {
  let imap: RunningDovecot;

  beforeAll(async () => {
    imap = await startDovecot({ users: { [USER]: PASSWORD }, tls: selfSignedCertificate() });
    const client = new ImapFlow({ host: imap.host, port: imap.tlsPort!, secure: true, tls: { rejectUnauthorized: false }, auth: { user: USER, pass: PASSWORD }, logger: false });
    client.on('error', () => {});
    await client.connect();
    const raw = await new MailComposer({ from: 'Sec Team <sec@acme.test>', to: USER, subject: 'Over TLS', text: 'encrypted all the way' }).compile().build();
    await client.append('INBOX', raw);
    await client.logout();
  });
  afterAll(async () => {
    await imap?.stop();
  });

  const pollWith = (config: Record<string, unknown>) =>
    executePoll({ plugin: emailPlugin, mode: 'BASIC', credentials: { username: USER, password: PASSWORD }, config: { imapHost: imap.host, ...config }, trigger: 'new_email', settings: {} }) as Promise<{
      events: NewEmailEvent[];
    }>;

  it('reads over implicit TLS (imapSecure) and over STARTTLS when certificate checks are off', async () => {
    const implicit = await pollWith({ imapPort: imap.tlsPort, imapSecure: true, rejectUnauthorized: false });
    expect(implicit.events.map((e) => [e.email_subject, e.email_body, e.contact_name])).toEqual([['Over TLS', 'encrypted all the way', 'Sec Team']]);
    const upgraded = await pollWith({ imapPort: imap.port, imapSecure: false, rejectUnauthorized: false });
    expect(upgraded.events.map((e) => e.email_subject)).toEqual(['Over TLS']);
  });

  it('refuses the self-signed certificate by default, with a hint', async () => {
    const err = await failureOf(pollWith({ imapPort: imap.tlsPort, imapSecure: true }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/TLS failed.*rejectUnauthorized: false/);
  });
});

describe('new_email without a server to talk to', () => {
  it('stops the IMAP session when the poll is cancelled (a server that never greets)', async () => {
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(new Error('poll cancelled')), 300);
      const err = await failureOf(
        executePoll({
          plugin: emailPlugin,
          mode: 'BASIC',
          credentials: { username: USER, password: PASSWORD },
          config: { imapHost: '127.0.0.1', imapPort: (silent.address() as import('node:net').AddressInfo).port, imapSecure: false },
          trigger: 'new_email',
          settings: {},
          signal: controller.signal,
        }),
      );
      expect(err.message).toBe('poll cancelled');
      expect(Date.now() - started).toBeLessThan(5_000);
      // The client hung up.
      await new Promise((r) => setTimeout(r, 100));
      expect(sockets.every((s) => s.destroyed || s.readableEnded)).toBe(true);
    } finally {
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });
});
