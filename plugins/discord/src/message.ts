// The message fields both send actions take, with Discord's documented limits checked up front
// (discord.com/developers/docs/resources/message#create-message, …/channel#embed-limits).
import { z } from '@patchbay/sdk';
import type { RESTPostAPIChannelMessageJSONBody } from 'discord-api-types/v10';

export const MAX_CONTENT = 2000;
export const MAX_EMBEDS = 10;
/** The sum of every embed's title, description, field names and values, footer text and author name. */
export const MAX_EMBED_TOTAL = 6000;

export const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (a snowflake: 17 to 20 digits)');

const url = z.url({ protocol: /^https?$/ });

export const embed = z.object({
  title: z.string().max(256).optional(),
  description: z.string().max(4096).optional(),
  url: url.optional().describe('Makes the title a link'),
  color: z.number().int().min(0).max(0xffffff).optional().describe('RGB as an integer, e.g. 5793266 for #5865F2'),
  timestamp: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time shown in the footer'),
  footer: z.object({ text: z.string().min(1).max(2048), icon_url: url.optional() }).optional(),
  image: z.object({ url }).optional(),
  thumbnail: z.object({ url }).optional(),
  author: z.object({ name: z.string().min(1).max(256), url: url.optional(), icon_url: url.optional() }).optional(),
  fields: z
    .array(z.object({ name: z.string().min(1).max(256), value: z.string().min(1).max(1024), inline: z.boolean().optional() }))
    .max(25)
    .optional(),
});

export const messageFields = {
  content: z.string().max(MAX_CONTENT, `Discord takes at most ${MAX_CONTENT} characters of content`).optional().describe('Message text (Discord markdown), up to 2000 characters'),
  embeds: z.array(embed).max(MAX_EMBEDS, `Discord takes at most ${MAX_EMBEDS} embeds`).optional().describe('Up to 10 rich embeds; 6000 characters in all'),
  tts: z.boolean().optional().describe('Read the message aloud (text-to-speech)'),
  allowed_mentions: z
    .object({
      parse: z.array(z.enum(['users', 'roles', 'everyone'])).optional(),
      users: z.array(snowflake).max(100).optional(),
      roles: z.array(snowflake).max(100).optional(),
      replied_user: z.boolean().optional(),
    })
    .optional()
    .describe('Which mentions notify anyone; e.g. { "parse": [] } to ping nobody. Default: Discord\'s (all mentions in content)'),
  reply_to: snowflake.optional().describe('Reply to this message id (in the same channel)'),
  silent: z.boolean().optional().describe('Send without push/desktop notifications (SUPPRESS_NOTIFICATIONS)'),
};

type MessageInput = { content?: string; embeds?: Array<z.output<typeof embed>> };

/** Content or embeds, and the 6000-character budget over all embeds. */
export function checkMessage(value: MessageInput, ctx: z.RefinementCtx) {
  if (!value.content?.trim() && !value.embeds?.length) ctx.addIssue({ code: 'custom', path: ['content'], message: 'give content, embeds, or both' });
  const total = (value.embeds ?? []).reduce(
    (sum, e) => sum + (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.author?.name.length ?? 0) + (e.fields ?? []).reduce((s, f) => s + f.name.length + f.value.length, 0),
    0,
  );
  if (total > MAX_EMBED_TOTAL) ctx.addIssue({ code: 'custom', path: ['embeds'], message: `embeds hold ${total} characters; Discord takes at most ${MAX_EMBED_TOTAL} in all` });
}

const SUPPRESS_NOTIFICATIONS = 1 << 12;

export function messageBody(input: MessageInput & Partial<Record<'tts' | 'allowed_mentions' | 'reply_to' | 'silent', unknown>>): RESTPostAPIChannelMessageJSONBody {
  return {
    ...(input.content !== undefined ? { content: input.content } : {}),
    ...(input.embeds ? { embeds: input.embeds } : {}),
    ...(input.tts !== undefined ? { tts: input.tts as boolean } : {}),
    ...(input.allowed_mentions ? { allowed_mentions: input.allowed_mentions as RESTPostAPIChannelMessageJSONBody['allowed_mentions'] } : {}),
    ...(input.reply_to ? { message_reference: { message_id: input.reply_to as string, fail_if_not_exists: true } } : {}),
    ...(input.silent ? { flags: SUPPRESS_NOTIFICATIONS } : {}),
  };
}

export const sentMessage = z.object({
  id: z.string().describe('The message id'),
  channel_id: z.string(),
  timestamp: z.string().describe('When Discord stored it (ISO 8601)'),
  content: z.string(),
  embeds: z.number().int().describe('How many embeds the message has'),
  author_id: z.string().optional().describe("The bot's user id"),
});

export function sentMessageOf(message: { id: string; channel_id: string; timestamp: string; content: string; embeds?: unknown[]; author?: { id: string } }): z.input<typeof sentMessage> {
  return {
    id: message.id,
    channel_id: message.channel_id,
    timestamp: message.timestamp,
    content: message.content,
    embeds: message.embeds?.length ?? 0,
    ...(message.author?.id ? { author_id: message.author.id } : {}),
  };
}
