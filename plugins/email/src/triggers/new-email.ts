// new_email: polls an IMAP mailbox for messages that arrived since the last poll.
//
// Cursor: `{ uidValidity, lastUid }`. UIDs only grow within one UIDVALIDITY, so each poll asks
// for `lastUid+1:*` and keeps the highest UID it looked at. When the server changes UIDVALIDITY
// (the mailbox was recreated or rebuilt, every UID renumbered) the old lastUid means nothing:
// the poll starts over from the mailbox's current end and emits nothing for that poll, rather
// than replaying the whole mailbox as new (a warning is logged). The first poll, with no
// cursor, reports the newest matching messages (at most MAX_EVENTS_PER_POLL).
//
// Bodies are read part by part (BODY.PEEK, so reading never marks a message \Seen): the
// text/plain and text/html parts found in BODYSTRUCTURE, decoded by imapflow (transfer
// encoding, charset, format=flowed). Attachments are not downloaded.
import { defineTrigger, PermanentError, z, type ActionContext } from '@patchbay/sdk';
import type { FetchMessageObject, ImapFlow, MailboxObject, MessageAddressObject, MessageStructureObject } from 'imapflow';
import { imapSettings } from '../config.ts';
import { withImap, type MailboxCredentials } from '../imap.ts';

/** Events returned by one poll; the rest wait for the next poll (the cursor stops before them). */
export const MAX_EVENTS_PER_POLL = 50;
/** Messages whose envelopes one poll examines (filters run on them). */
export const MAX_SCANNED_PER_POLL = 500;
/** Each body (text, html) is cut at this size. */
export const MAX_BODY_BYTES = 1024 * 1024;

export const newEmailSettings = z.object({
  mailbox: z.string().trim().min(1).default('INBOX').describe('Mailbox (folder) to watch; default INBOX'),
  subjectContains: z.string().trim().min(1).optional().describe('Only messages whose subject contains this text (case-insensitive)'),
  fromContains: z.string().trim().min(1).optional().describe('Only messages whose From (name or address) contains this text (case-insensitive)'),
  markAsRead: z.boolean().default(false).describe('Mark each reported message as read (\\Seen)'),
});

export const newEmailEvent = z.object({
  email_from: z.string().describe('The From header, e.g. "Jane Doe <jane@example.com>"'),
  email_to: z.string().describe('The To addresses, comma-separated'),
  email_subject: z.string(),
  email_body: z.string().describe('The text/plain body (derived from the HTML when there is no text part)'),
  email_body_html: z.string().describe('The text/html body, or an empty string'),
  contact_email: z.string().describe("The sender's address"),
  contact_name: z.string().describe("The sender's display name, or an empty string"),
  message_id: z.string().describe('The Message-ID header, or an empty string'),
  date: z.string().describe('ISO 8601: the Date header, else when the server received it'),
  uid: z.number().int().describe('The IMAP UID in this mailbox'),
});

export type NewEmailEvent = z.output<typeof newEmailEvent>;

export const newEmailCursor = z.object({ uidValidity: z.string(), lastUid: z.number().int().min(0) });
export type NewEmailCursor = z.output<typeof newEmailCursor>;

export const newEmail = defineTrigger({
  key: 'new_email',
  displayName: 'New email',
  description: 'Fires for each new message in an IMAP mailbox, optionally filtered by subject or sender.',
  kind: 'POLLING',
  minIntervalSeconds: 30,
  settings: newEmailSettings,
  output: newEmailEvent,
  async poll(ctx) {
    if (ctx.auth.mode !== 'BASIC') {
      throw new PermanentError('new_email reads a mailbox over IMAP: use a BASIC (username/password) email connection with config.imapHost');
    }
    const settings = newEmailSettings.parse(ctx.input.settings ?? {});
    const previous = newEmailCursor.safeParse(ctx.input.cursor);
    const credentials = ctx.auth.credentials as MailboxCredentials;
    return withImap(imapSettings(ctx.config), credentials, ctx.signal, (client) => pollMailbox(client, settings, previous.success ? previous.data : undefined, ctx));
  },
});

async function pollMailbox(
  client: ImapFlow,
  settings: z.output<typeof newEmailSettings>,
  cursor: NewEmailCursor | undefined,
  ctx: Pick<ActionContext, 'logger'>,
): Promise<{ events: NewEmailEvent[]; cursor: NewEmailCursor }> {
  // Read-only (EXAMINE) unless we are to mark messages read: nothing else can change then.
  const lock = await client.getMailboxLock(settings.mailbox, { readOnly: !settings.markAsRead });
  try {
    const box = client.mailbox as MailboxObject;
    const uidValidity = box.uidValidity.toString();
    // Any message arriving from now on gets a UID >= uidNext as of this SELECT.
    const end = Math.max(0, box.uidNext - 1);
    if (cursor && cursor.uidValidity !== uidValidity) {
      ctx.logger.warn('mailbox UIDVALIDITY changed; starting over from its current end', { mailbox: settings.mailbox, was: cursor.uidValidity, now: uidValidity });
      return { events: [], cursor: { uidValidity, lastUid: end } };
    }
    if (box.exists === 0) return { events: [], cursor: { uidValidity, lastUid: Math.max(cursor?.lastUid ?? 0, end) } };

    const lastUid = cursor?.lastUid ?? 0;
    let scanned: FetchMessageObject[];
    if (cursor) {
      if (lastUid >= end) return { events: [], cursor: { uidValidity, lastUid } };
      // `n:*` always includes the highest UID even when it is below n: filter again.
      scanned = (await client.fetchAll(`${lastUid + 1}:*`, { uid: true, envelope: true, bodyStructure: true, internalDate: true }, { uid: true }))
        .filter((m) => m.uid > lastUid)
        .sort((a, b) => a.uid - b.uid)
        .slice(0, MAX_SCANNED_PER_POLL);
    } else {
      // First poll: the newest messages only, not the mailbox's whole history.
      const from = Math.max(1, box.exists - MAX_SCANNED_PER_POLL + 1);
      scanned = (await client.fetchAll(`${from}:*`, { uid: true, envelope: true, bodyStructure: true, internalDate: true })).sort((a, b) => a.uid - b.uid);
    }

    let matching = scanned.filter((m) => matches(m, settings));
    // Incremental polls report oldest first and stop the cursor before what is left over;
    // the first poll reports the newest messages and starts after all it has looked at.
    if (cursor) {
      if (matching.length > MAX_EVENTS_PER_POLL) matching = matching.slice(0, MAX_EVENTS_PER_POLL);
    } else {
      matching = matching.slice(-MAX_EVENTS_PER_POLL);
    }
    const truncated = cursor && scanned.filter((m) => matches(m, settings)).length > matching.length;
    const scannedEnd = scanned.length ? scanned[scanned.length - 1]!.uid : lastUid;
    const nextUid = truncated ? matching[matching.length - 1]!.uid : scanned.length === MAX_SCANNED_PER_POLL && cursor ? scannedEnd : Math.max(scannedEnd, end);

    const events: NewEmailEvent[] = [];
    for (const message of matching) events.push(await toEvent(client, message));
    if (settings.markAsRead && matching.length) {
      await client.messageFlagsAdd(matching.map((m) => m.uid), ['\\Seen'], { uid: true });
    }
    return { events, cursor: { uidValidity, lastUid: Math.max(lastUid, nextUid) } };
  } finally {
    lock.release();
  }
}

function matches(message: FetchMessageObject, settings: z.output<typeof newEmailSettings>): boolean {
  const envelope = message.envelope ?? {};
  if (settings.subjectContains && !(envelope.subject ?? '').toLowerCase().includes(settings.subjectContains.toLowerCase())) return false;
  if (settings.fromContains) {
    const needle = settings.fromContains.toLowerCase();
    const from = (envelope.from ?? []).map((a) => `${a.name ?? ''} <${a.address ?? ''}>`.toLowerCase());
    if (!from.some((f) => f.includes(needle))) return false;
  }
  return true;
}

async function toEvent(client: ImapFlow, message: FetchMessageObject): Promise<NewEmailEvent> {
  const envelope = message.envelope ?? {};
  const sender = envelope.from?.[0] ?? envelope.sender?.[0] ?? {};
  const { textPart, htmlPart } = bodyParts(message.bodyStructure);
  const text = textPart ? await downloadText(client, message.uid, textPart) : '';
  const html = htmlPart ? await downloadText(client, message.uid, htmlPart) : '';
  const date = envelope.date ?? message.internalDate;
  return {
    email_from: (envelope.from ?? []).map(formatAddress).join(', '),
    email_to: (envelope.to ?? []).map(formatAddress).join(', '),
    email_subject: envelope.subject ?? '',
    email_body: textPart ? text : htmlToText(html),
    email_body_html: html,
    contact_email: sender.address ?? '',
    contact_name: sender.name ?? '',
    message_id: envelope.messageId ?? '',
    date: date ? new Date(date).toISOString() : '',
    uid: message.uid,
  };
}

function formatAddress(a: MessageAddressObject): string {
  if (!a.name) return a.address ?? '';
  return a.address ? `${a.name} <${a.address}>` : a.name;
}

/**
 * The first text/plain and text/html parts that are not attachments. A single-part message
 * has no part number: its body is "TEXT". Parts inside attached messages are skipped.
 */
export function bodyParts(structure: MessageStructureObject | undefined): { textPart?: string; htmlPart?: string } {
  const found: { textPart?: string; htmlPart?: string } = {};
  if (!structure) return found;
  const visit = (node: MessageStructureObject) => {
    const type = node.type.toLowerCase();
    if (node.childNodes?.length) {
      if (type !== 'message/rfc822') node.childNodes.forEach(visit);
      return;
    }
    if (node.disposition?.toLowerCase() === 'attachment') return;
    const part = node.part ?? 'TEXT';
    if (type === 'text/plain' && !found.textPart) found.textPart = part;
    if (type === 'text/html' && !found.htmlPart) found.htmlPart = part;
  };
  visit(structure);
  return found;
}

async function downloadText(client: ImapFlow, uid: number, part: string): Promise<string> {
  const download = await client.download(String(uid), part, { uid: true, maxBytes: MAX_BODY_BYTES });
  if (!download.content) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of download.content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r\n/g, '\n').trimEnd();
}

/** A readable text rendering of an HTML-only message (tags dropped, blocks on their own lines). */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|tr|h[1-6]|blockquote)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
