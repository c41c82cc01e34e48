// What post_channel_message and send_chat_message share: the message content inputs, the Graph
// chatMessage body they become, and the output shape of a sent message.
import { z } from '@patchbay/sdk';

export const contentInput = z.string().min(1, 'must not be empty').max(28_000, 'Teams messages are limited to about 28 KB').describe('The message: HTML (default) or plain text, as content_type says');
export const contentTypeInput = z.enum(['html', 'text']).default('html').describe('"html" (Teams renders a subset of HTML) or "text"');

export const adaptiveCardsInput = z
  .array(
    z
      .record(z.string(), z.unknown())
      .refine((card) => card.type === 'AdaptiveCard', 'must be an Adaptive Card object ({ "type": "AdaptiveCard", "version": "1.4", "body": [...] })')
      .describe('An Adaptive Card (https://adaptivecards.io), as a JSON object'),
  )
  .max(10)
  .optional()
  .describe('Adaptive Cards to attach; each is placed after the text');

/** A Graph chatMessage, as far as the actions read it. */
export interface GraphChatMessage {
  id: string;
  createdDateTime?: string | null;
  webUrl?: string | null;
  chatId?: string | null;
  channelIdentity?: { teamId?: string | null; channelId?: string | null } | null;
}

export const sentMessageOutput = {
  id: z.string().describe('The message id'),
  created_at: z.string().nullable().describe('When Teams created the message (ISO 8601)'),
  web_url: z.string().nullable().describe('Link that opens the message in Teams (channel messages; null for chats)'),
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\r?\n/g, '<br>');

/**
 * The Graph chatMessage body. With Adaptive Cards, Graph wants HTML content that names each
 * attachment with an `<attachment id="…"></attachment>` marker, and each card as a JSON string.
 */
export function messageBody(input: { content?: string; content_type: 'html' | 'text'; adaptive_cards?: Array<Record<string, unknown>>; subject?: string }) {
  const cards = (input.adaptive_cards ?? []).map((card) => ({
    id: globalThis.crypto.randomUUID().replace(/-/g, ''),
    contentType: 'application/vnd.microsoft.card.adaptive',
    contentUrl: null,
    content: JSON.stringify(card),
    name: null,
    thumbnailUrl: null,
  }));
  const subject = input.subject ? { subject: input.subject } : {};
  if (cards.length === 0) return { ...subject, body: { contentType: input.content_type, content: input.content ?? '' } };
  const text = input.content === undefined ? '' : input.content_type === 'text' ? escapeHtml(input.content) : input.content;
  const markers = cards.map((card) => `<attachment id="${card.id}"></attachment>`).join('');
  return { ...subject, body: { contentType: 'html', content: `${text}${markers}` }, attachments: cards };
}
