// send_email over SMTP against a real SMTP server (smtp-server) on loopback: the MIME that
// arrives, AUTH PLAIN/LOGIN, STARTTLS and implicit TLS with a self-signed certificate, and how
// SMTP failures become typed errors. Plus the BASIC connection test (transporter.verify()).
import { PermanentError, testAuth, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { attachmentFrom, opensslAvailable, selfSignedCertificate, startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../fake-smtp.ts';
import emailPlugin from '../index.ts';

const USER = 'mailer@acme.test';
const PASSWORD = 'smtp-pa55word-7f3e';
const PDF = Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj << /Type /Catalog >> endobj\n', 'latin1');

const sinks: SmtpSink[] = [];
async function sink(options: SmtpSinkOptions = {}) {
  const started = await startSmtpSink({ users: { [USER]: PASSWORD }, ...options });
  sinks.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

const send = (config: Record<string, unknown>, input: Record<string, unknown>, password = PASSWORD) =>
  runTestAction(emailPlugin, 'send_email', { mode: 'BASIC', credentials: { username: USER, password }, config, input });

const basicInput = { from: 'reports@acme.test', to: 'bob@example.com', subject: 'Hello', text: 'Hi Bob' };

describe('send_email over SMTP', () => {
  it('delivers a full message: headers, text + html, base64 and text attachments, cc/bcc envelope, AUTH PLAIN', async () => {
    const smtp = await sink({ authMethods: ['PLAIN'] });
    const out = (await send(
      { host: smtp.host, port: smtp.port, secure: false },
      {
        from: 'Acme Reports <reports@acme.test>',
        to: 'bob@example.com, "Doe, Carol" <carol@example.com>',
        cc: ['dave@example.com'],
        bcc: 'audit@acme.test',
        replyTo: 'Support <support@acme.test>',
        subject: 'Quarterly report Q3',
        text: 'Please find the report attached.',
        html: '<p>Please find the <b>report</b> attached.</p>',
        headers: { 'X-Campaign': 'q3-report' },
        attachments: [
          { filename: 'report.pdf', content: PDF.toString('base64') },
          { filename: 'notes.txt', text: 'Line one\nLine two ü' },
        ],
      },
    )) as { provider: string; messageId: string; accepted: string[]; rejected: string[] };

    expect(out.provider).toBe('smtp');
    expect(out.accepted.sort()).toEqual(['audit@acme.test', 'bob@example.com', 'carol@example.com', 'dave@example.com']);
    expect(out.rejected).toEqual([]);
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.user).toBe(USER);
    expect(mail.authMethod).toBe('PLAIN');
    expect(mail.from).toBe('reports@acme.test');
    expect(mail.recipients.sort()).toEqual(['audit@acme.test', 'bob@example.com', 'carol@example.com', 'dave@example.com']);
    expect(mail.raw).toMatch(/^Subject: Quarterly report Q3$/m);
    expect(mail.raw).toMatch(/^From: Acme Reports <reports@acme\.test>$/m);
    expect(mail.raw).toMatch(/^To: bob@example\.com, "Doe, Carol" <carol@example\.com>$/m);
    expect(mail.raw).toMatch(/^Cc: dave@example\.com$/m);
    expect(mail.raw).not.toMatch(/^Bcc:/im);
    expect(mail.raw).toMatch(/^Reply-To: Support <support@acme\.test>$/m);
    expect(mail.raw).toMatch(/^X-Campaign: q3-report$/m);
    expect(mail.raw).toContain(`Message-ID: ${out.messageId}`);
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(mail.raw).toContain('<p>Please find the <b>report</b> attached.</p>');
    const pdf = attachmentFrom(mail.raw, 'report.pdf');
    expect(pdf?.headers).toMatch(/Content-Type: application\/pdf/);
    expect(pdf?.content.equals(PDF)).toBe(true);
    const notes = attachmentFrom(mail.raw, 'notes.txt');
    expect(notes?.headers).toMatch(/Content-Type: text\/plain/);
    expect(notes?.content.toString('utf8')).toBe('Line one\nLine two ü');
    // The password never travels in the output.
    expect(JSON.stringify(out)).not.toContain(PASSWORD);
  });

  it('logs in with AUTH LOGIN when that is what the server offers', async () => {
    const smtp = await sink({ authMethods: ['LOGIN'] });
    await send({ host: smtp.host, port: smtp.port }, basicInput);
    expect(smtp.messages[0]?.authMethod).toBe('LOGIN');
    expect(smtp.logins).toEqual([{ user: USER, password: PASSWORD, method: 'LOGIN', ok: true }]);
  });

  it('turns a refused login (535) into a PermanentError that names the credentials, not the password', async () => {
    const smtp = await sink();
    const err = await failureOf(send({ host: smtp.host, port: smtp.port }, basicInput, 'wrong-password-123'));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/rejected the username or password/);
    expect(err.message).toMatch(/535/);
    expect(err.message).not.toContain('wrong-password-123');
    expect(smtp.messages).toHaveLength(0);
  });

  it('turns a 5xx recipient refusal into a PermanentError with the server reply, a 4xx deferral into a TransientError', async () => {
    const refused = await sink({ onRecipient: (a) => (a === 'nobody@example.com' ? Object.assign(new Error('5.1.1 <nobody@example.com>: Recipient address rejected: User unknown'), { responseCode: 550 }) : undefined) });
    const permanent = await failureOf(send({ host: refused.host, port: refused.port }, { ...basicInput, to: 'nobody@example.com' }));
    expect(permanent).toBeInstanceOf(PermanentError);
    expect(permanent.message).toMatch(/550/);
    expect(permanent.message).toMatch(/User unknown/);

    const greylisting = await sink({ onMessage: () => Object.assign(new Error('4.7.1 Greylisted, please try again later'), { responseCode: 451 }) });
    const transient = await failureOf(send({ host: greylisting.host, port: greylisting.port }, basicInput));
    expect(transient).toBeInstanceOf(TransientError);
    expect(transient.message).toMatch(/451.*Greylisted/);
  });

  it('turns a refused connection into a TransientError', async () => {
    const port = await closedPort();
    const err = await failureOf(send({ host: '127.0.0.1', port }, basicInput));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/ECONNREFUSED|connect/i);
  });

  it('with requireTLS, refuses a server that does not offer STARTTLS', async () => {
    const smtp = await sink();
    const err = await failureOf(send({ host: smtp.host, port: smtp.port, requireTLS: true }, basicInput));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/STARTTLS|TLS/);
    expect(smtp.messages).toHaveLength(0);
    expect(smtp.logins).toHaveLength(0);
  });

  it('stops waiting when the run is cancelled (a server that never greets)', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(new Error('run cancelled')), 300);
      const err = await failureOf(
        runTestAction(emailPlugin, 'send_email', {
          mode: 'BASIC',
          credentials: { username: USER, password: PASSWORD },
          config: { host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port },
          input: basicInput,
          signal: controller.signal,
        }),
      );
      expect(err.message).toBe('run cancelled');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });

  it('fails without a host, naming config.host', async () => {
    const err = await failureOf(send({}, basicInput));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/config\.host/);
  });
});

describe.skipIf(!opensslAvailable())('send_email over SMTP with TLS (self-signed certificate made by openssl)', () => {
  const tls = opensslAvailable() ? selfSignedCertificate() : { key: '', cert: '' };

  it('upgrades with STARTTLS (requireTLS) when certificate checks are off, and logs in over TLS', async () => {
    const smtp = await sink({ starttls: true, tls });
    await send({ host: smtp.host, port: smtp.port, secure: false, requireTLS: true, rejectUnauthorized: false }, basicInput);
    expect(smtp.messages[0]?.secure).toBe(true);
    expect(smtp.messages[0]?.user).toBe(USER);
  });

  it('refuses the self-signed certificate by default, with a hint, before logging in', async () => {
    const smtp = await sink({ starttls: true, tls });
    const err = await failureOf(send({ host: smtp.host, port: smtp.port, requireTLS: true }, basicInput));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/rejectUnauthorized: false/);
    expect(smtp.logins).toHaveLength(0);
  });

  it('speaks implicit TLS (secure: true, port-465 style)', async () => {
    const smtp = await sink({ secure: true, tls });
    await send({ host: smtp.host, port: smtp.port, secure: true, rejectUnauthorized: false }, basicInput);
    expect(smtp.messages[0]?.secure).toBe(true);
    expect(smtp.messages[0]?.raw).toMatch(/^Subject: Hello$/m);
  });
});

describe('BASIC connection test (SMTP)', () => {
  it('passes with transporter.verify() and fails with the server reason on a bad password', async () => {
    const smtp = await sink();
    const config = { host: smtp.host, port: smtp.port };
    const ok = await testAuth({ plugin: emailPlugin, mode: 'BASIC', credentials: { username: USER, password: PASSWORD }, config });
    expect(ok).toMatchObject({ ok: true });
    expect(ok.message).toMatch(/accepted the login/);
    const bad = await testAuth({ plugin: emailPlugin, mode: 'BASIC', credentials: { username: USER, password: 'nope-nope' }, config });
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/rejected the username or password/);
    expect(bad.message).not.toContain('nope-nope');
    expect(smtp.messages).toHaveLength(0);
  });

  it('fails when neither SMTP nor IMAP is configured', async () => {
    const result = await testAuth({ plugin: emailPlugin, mode: 'BASIC', credentials: { username: USER, password: PASSWORD }, config: {} });
    expect(result).toMatchObject({ ok: false });
    expect(result.message).toMatch(/config\.host.*config\.imapHost/);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
