// conversations.list: every page (cursor pagination), optionally capped.
import { defineAction, z } from '@patchbay/sdk';
import type { ConversationsListResponse } from '@slack/web-api';
import { callSlack, slackClientFor } from '../client.ts';

const CHANNEL_TYPES = ['public_channel', 'private_channel', 'mpim', 'im'] as const;

export const listChannelsInput = z.object({
  types: z
    .array(z.enum(CHANNEL_TYPES))
    .min(1)
    .default(['public_channel'])
    .describe('Conversation types: public_channel (channels:read), private_channel (groups:read), mpim (mpim:read), im (im:read)'),
  exclude_archived: z.boolean().default(true).describe('Leave archived channels out'),
  limit: z.number().int().positive().max(100_000).optional().describe('At most this many channels in total (default: all of them)'),
  page_size: z.number().int().min(1).max(1000).default(200).describe('Channels per request (Slack recommends at most 200)'),
});

const channel = z.object({
  id: z.string(),
  name: z.string().optional().describe('Absent for DMs'),
  is_private: z.boolean().optional(),
  is_archived: z.boolean().optional(),
  is_member: z.boolean().optional().describe('Whether the bot is in it'),
  is_im: z.boolean().optional(),
  is_mpim: z.boolean().optional(),
  num_members: z.number().optional(),
  topic: z.string().optional(),
  purpose: z.string().optional(),
  user: z.string().optional().describe('For DMs: the other user'),
  created: z.number().optional().describe('Unix seconds'),
});

export const listChannelsOutput = z.object({
  channels: z.array(channel),
  count: z.number().int(),
  truncated: z.boolean().describe('true when `limit` stopped the listing before the last page'),
  pages: z.number().int().describe('Requests made'),
});

type SlackChannel = NonNullable<ConversationsListResponse['channels']>[number];

export const listChannels = defineAction({
  key: 'list_channels',
  displayName: 'List channels',
  description: 'List the workspace conversations the token can see, following every page (conversations.list).',
  input: listChannelsInput,
  output: listChannelsOutput,
  async run(ctx) {
    const { input } = ctx;
    const client = await slackClientFor(ctx);
    const channels: z.input<typeof channel>[] = [];
    let pages = 0;
    let truncated = false;
    const pageSize = input.limit ? Math.min(input.page_size, input.limit) : input.page_size;
    const options = { types: input.types.join(','), exclude_archived: input.exclude_archived, limit: pageSize };
    await callSlack('conversations.list', ctx.signal, async () => {
      for await (const page of client.paginate('conversations.list', options)) {
        pages += 1;
        const { channels: list = [], response_metadata } = page as ConversationsListResponse;
        for (const c of list) {
          if (input.limit !== undefined && channels.length >= input.limit) {
            truncated = true;
            break;
          }
          channels.push(channelOf(c));
        }
        if (input.limit !== undefined && channels.length >= input.limit) {
          truncated ||= Boolean(response_metadata?.next_cursor);
          break;
        }
      }
    });
    return { channels, count: channels.length, truncated, pages };
  },
});

function channelOf(c: SlackChannel): z.input<typeof channel> {
  return {
    id: c.id!,
    ...(c.name !== undefined ? { name: c.name } : {}),
    ...(c.is_private !== undefined ? { is_private: c.is_private } : {}),
    ...(c.is_archived !== undefined ? { is_archived: c.is_archived } : {}),
    ...(c.is_member !== undefined ? { is_member: c.is_member } : {}),
    ...(c.is_im !== undefined ? { is_im: c.is_im } : {}),
    ...(c.is_mpim !== undefined ? { is_mpim: c.is_mpim } : {}),
    ...(c.num_members !== undefined ? { num_members: c.num_members } : {}),
    ...(c.topic?.value ? { topic: c.topic.value } : {}),
    ...(c.purpose?.value ? { purpose: c.purpose.value } : {}),
    ...(c.user !== undefined ? { user: c.user } : {}),
    ...(c.created !== undefined ? { created: c.created } : {}),
  };
}
