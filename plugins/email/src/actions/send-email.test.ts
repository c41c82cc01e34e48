// send_email's input checks: they run before any transport is touched, and every problem
// names its field. Nothing here opens a connection (the configured SMTP host does not exist).
import { ActionInputError, checkActionInput, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import emailPlugin from '../index.ts';
import { MAX_ATTACHMENT_BYTES, parseAddress, toOutgoing, sendEmailInput } from './send-email.ts';

const run = (input: unknown) =>
  runTestAction(emailPlugin, 'send_email', { mode: 'BASIC', credentials: { username: 'u', password: 'p' }, config: { host: 'smtp.invalid', port: 2525 }, input });

const issuesOf = async (input: unknown) => {
  const err = await failureOf(run(input));
  expect(err).toBeInstanceOf(ActionInputError);
  return (err as ActionInputError).issues;
};

const valid = { from: 'a@acme.test', to: 'b@example.com', subject: 'Hi', text: 'Hello' };

describe('send_email input', () => {
  it('names each bad address by its field and position', async () => {
    const issues = await issuesOf({ ...valid, from: 'not an address', to: ['ok@example.com', 'bob@'], cc: 'fine@example.com, <broken', replyTo: 'x' });
    expect(issues.map((i) => i.path).sort()).toEqual(['cc', 'from', 'replyTo', 'to.1']);
    expect(issues.find((i) => i.path === 'cc')?.message).toMatch(/"<broken" must be an email address/);
    expect(issues.find((i) => i.path === 'to.1')?.message).toMatch(/"bob@" must be an email address like jane@example\.com/);
    expect(issues.find((i) => i.path === 'from')?.message).toMatch(/must be an email address/);
  });

  it('needs a subject and a text or html body', async () => {
    const issues = await issuesOf({ from: 'a@acme.test', to: 'b@example.com', subject: '' });
    expect(issues.map((i) => i.path).sort()).toEqual(['subject', 'text']);
    expect(issues.find((i) => i.path === 'text')?.message).toBe('give a text or an html body (or both)');
  });

  it('checks attachments: one of content or text, base64 content, a MIME type', async () => {
    const issues = await issuesOf({
      ...valid,
      attachments: [{ filename: 'a.txt', content: 'aGk=', text: 'hi' }, { filename: 'b.bin', content: 'not base64!' }, { filename: 'c', text: 'x', contentType: 'pdf' }, { content: 'aGk=' }],
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['attachments.0', 'attachments.1.content', 'attachments.2.contentType', 'attachments.3.filename']);
  });

  it(`refuses more than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB of attachments with a clear message`, async () => {
    const big = Buffer.alloc(13 * 1024 * 1024, 1).toString('base64');
    const issues = await issuesOf({ ...valid, attachments: [{ filename: 'a.bin', content: big }, { filename: 'b.bin', content: big }] });
    expect(issues).toEqual([{ path: 'attachments', message: 'total 26.0 MB; the limit is 25 MB for all attachments together' }]);
  });

  it('refuses header names that are not tokens or that other fields own', async () => {
    const issues = await issuesOf({ ...valid, headers: { 'X-Ok': '1', 'Bad Header': '2', Subject: '3' } });
    expect(issues.map((i) => i.path).sort()).toEqual(['headers.Bad Header', 'headers.Subject']);
  });

  it('lets templated values through the up-front check (the hub renders them at run time)', () => {
    expect(checkActionInput(emailPlugin, 'send_email', { ...valid, to: '{{ input.customer_email }}' })).toBeNull();
    expect(checkActionInput(emailPlugin, 'send_email', { ...valid, to: ['ops@acme.test', '{{ input.owner }}'], from: '{{ connection.config.sender }}' })).toBeNull();
    expect(checkActionInput(emailPlugin, 'send_email', { ...valid, to: 'nope' })).toEqual([{ path: 'to', message: '"nope" must be an email address like jane@example.com or "Jane Doe <jane@example.com>"' }]);
  });

  it('says which connection setting is missing rather than failing somewhere inside a library', async () => {
    const noHost = await failureOf(runTestAction(emailPlugin, 'send_email', { mode: 'BASIC', credentials: { username: 'u', password: 'p' }, config: {}, input: valid }));
    expect(noHost).toBeInstanceOf(PermanentError);
    expect(noHost.message).toMatch(/config\.host/);
    const badProvider = await failureOf(runTestAction(emailPlugin, 'send_email', { mode: 'API_KEY', credentials: { apiKey: 'k' }, config: { provider: 'mandrill' }, input: valid }));
    expect(badProvider).toBeInstanceOf(PermanentError);
    expect(badProvider.message).toMatch(/provider/);
  });
});

describe('addresses and attachments, normalized', () => {
  it('parses bare, named and quoted addresses', () => {
    expect(parseAddress('jane@example.com')).toEqual({ address: 'jane@example.com' });
    expect(parseAddress('Jane Doe <jane@example.com>')).toEqual({ name: 'Jane Doe', address: 'jane@example.com' });
    expect(parseAddress('"Doe, Jane \\"JD\\"" <jane@example.com>')).toEqual({ name: 'Doe, Jane "JD"', address: 'jane@example.com' });
    expect(parseAddress('<jane@example.com>')).toEqual({ address: 'jane@example.com' });
    for (const bad of ['jane', 'jane@', '@example.com', 'Jane <jane>', 'a b@example.com', 'x@y']) expect(parseAddress(bad)).toBeNull();
  });

  it('splits a comma-separated list outside quotes, decodes content and guesses types', () => {
    const input = sendEmailInput.parse({
      ...valid,
      to: '"Doe, Jane" <jane@example.com>; bob@example.com',
      attachments: [{ filename: 'r.pdf', content: Buffer.from('pdf!').toString('base64') }, { filename: 'notes', text: 'ü' }, { filename: 'x.weird', content: 'AA==' }],
    });
    const email = toOutgoing(input);
    expect(email.to).toEqual([{ name: 'Doe, Jane', address: 'jane@example.com' }, { address: 'bob@example.com' }]);
    expect(email.attachments.map((a) => [a.filename, a.contentType, a.content.toString('utf8')])).toEqual([
      ['r.pdf', 'application/pdf', 'pdf!'],
      ['notes', 'text/plain; charset=utf-8', 'ü'],
      ['x.weird', 'application/octet-stream', '\0'],
    ]);
  });
});
