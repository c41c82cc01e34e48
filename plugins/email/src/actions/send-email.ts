// send_email: one action for every way of sending; the connection picks SMTP or the email API.
import { defineAction, z } from '@patchbay/sdk';
import { transportFor, type Address, type OutgoingEmail } from '../transports/index.ts';

/** All attachments together, decoded. Providers cap a message near 25–30 MB, after encoding. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

const BARE = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\]+\.[^\s@<>(),;:"[\]\\]+$/;
const NAMED = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<>"]*?))\s*<\s*([^<>\s]+)\s*>\s*$/;

/** `jane@example.com`, `Jane Doe <jane@example.com>` or `"Doe, Jane" <jane@example.com>`. */
export function parseAddress(value: string): Address | null {
  const text = value.trim();
  if (BARE.test(text)) return { address: text };
  const match = NAMED.exec(text);
  if (!match) return null;
  const address = match[3]!;
  if (!BARE.test(address)) return null;
  const name = (match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : (match[2] ?? '')).trim();
  return name ? { name, address } : { address };
}

const ADDRESS_HINT = 'must be an email address like jane@example.com or "Jane Doe <jane@example.com>"';

const address = z
  .string()
  .trim()
  .min(1, ADDRESS_HINT)
  .refine((v) => parseAddress(v) !== null, { message: ADDRESS_HINT })
  .describe('jane@example.com or "Jane Doe <jane@example.com>"');

/**
 * One address, a list, or a comma-separated string (split where a comma is outside quotes).
 * A bad entry in a list is reported at its index (`to.1`), in a string at the field (`to`), so
 * the hub's up-front check can tell a `{{ template }}` apart from a mistake.
 */
const addressList = z
  .union([z.string().trim(), z.array(z.string().trim())])
  .superRefine((value, ctx) => {
    const items = typeof value === 'string' ? splitAddresses(value) : value;
    if (items.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one address' });
    items.forEach((item, i) => {
      if (!parseAddress(item)) ctx.addIssue({ code: 'custom', message: `"${item.slice(0, 100)}" ${ADDRESS_HINT}`, path: typeof value === 'string' ? [] : [i] });
    });
  })
  .transform((value) => (typeof value === 'string' ? splitAddresses(value) : value));

function splitAddresses(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if ((ch === ',' || ch === ';') && !quoted) {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

const attachment = z
  .object({
    filename: z.string().trim().min(1).max(255).describe('File name shown to the recipient, e.g. invoice.pdf'),
    content: z.string().regex(BASE64, 'must be base64').optional().describe('The file, base64-encoded'),
    text: z.string().optional().describe('Or: the file as text (UTF-8)'),
    contentType: z
      .string()
      .regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, 'must be a MIME type like application/pdf')
      .optional()
      .describe('MIME type; guessed from the file name when absent'),
  })
  .refine((a) => (a.content === undefined) !== (a.text === undefined), { message: 'give exactly one of content (base64) or text' });

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const sendEmailInput = z
  .object({
    from: address.describe('Sender, e.g. "Acme Support <support@acme.com>"; the provider must allow this address'),
    to: addressList.describe('Recipients: an address, a list, or a comma-separated string'),
    cc: addressList.optional(),
    bcc: addressList.optional(),
    replyTo: address.optional(),
    subject: z.string().min(1, 'is required').max(998).describe('Subject line'),
    text: z.string().optional().describe('Plain-text body'),
    html: z.string().optional().describe('HTML body'),
    attachments: z.array(attachment).max(50).optional(),
    headers: z
      .record(z.string().regex(headerName, 'must be a header name').refine((n) => !/^(from|to|cc|bcc|subject|reply-to|content-type|mime-version)$/i.test(n), 'is set by the other fields'), z.string().max(2000))
      .optional()
      .describe('Extra headers, e.g. { "X-Campaign": "spring" }'),
  })
  .superRefine((input, ctx) => {
    if (input.text === undefined && input.html === undefined) {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'give a text or an html body (or both)' });
    }
    const total = (input.attachments ?? []).reduce((sum, a) => sum + (a.content !== undefined ? base64Length(a.content) : Buffer.byteLength(a.text ?? '', 'utf8')), 0);
    if (total > MAX_ATTACHMENT_BYTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['attachments'],
        message: `total ${(total / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB for all attachments together`,
      });
    }
  });

export const sendEmailOutput = z.object({
  provider: z.enum(['smtp', 'sendgrid', 'mailgun', 'postmark']),
  messageId: z.string().describe('SMTP: the Message-ID header; APIs: the provider’s message id'),
  accepted: z.array(z.string()),
  rejected: z.array(z.string()),
  response: z.string().optional().describe("The server's answer"),
});

export const sendEmail = defineAction({
  key: 'send_email',
  displayName: 'Send email',
  description: 'Send an email (text and/or HTML, with attachments) over SMTP, SendGrid, Mailgun or Postmark, whichever the connection uses.',
  input: sendEmailInput,
  output: sendEmailOutput,
  async run(ctx) {
    const transport = transportFor(ctx.auth.mode, ctx.auth.credentials, ctx.config);
    const result = await transport.send(toOutgoing(ctx.input), ctx.signal);
    ctx.logger.info('email sent', { provider: result.provider, messageId: result.messageId, recipients: result.accepted.length });
    return result;
  },
});

export function toOutgoing(input: z.output<typeof sendEmailInput>): OutgoingEmail {
  const parse = (v: string) => parseAddress(v)!;
  return {
    from: parse(input.from),
    to: input.to.map(parse),
    cc: (input.cc ?? []).map(parse),
    bcc: (input.bcc ?? []).map(parse),
    replyTo: input.replyTo ? parse(input.replyTo) : undefined,
    subject: input.subject,
    text: input.text,
    html: input.html,
    headers: input.headers ?? {},
    attachments: (input.attachments ?? []).map((a) => ({
      filename: a.filename,
      content: a.content !== undefined ? Buffer.from(a.content, 'base64') : Buffer.from(a.text ?? '', 'utf8'),
      contentType: a.contentType ?? (a.text !== undefined && !guessType(a.filename) ? 'text/plain; charset=utf-8' : (guessType(a.filename) ?? 'application/octet-stream')),
    })),
  };
}

function base64Length(value: string): number {
  const clean = value.replace(/\s+/g, '');
  return Math.floor((clean.length * 3) / 4) - (clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0);
}

const TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  csv: 'text/csv',
  html: 'text/html',
  htm: 'text/html',
  json: 'application/json',
  xml: 'application/xml',
  zip: 'application/zip',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  ics: 'text/calendar',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

function guessType(filename: string): string | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename)?.[1]?.toLowerCase();
  return ext ? TYPES[ext] : undefined;
}
