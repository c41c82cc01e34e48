// Message fields shared by post_message and update_message, with Slack's documented limits.
import { z } from '@patchbay/sdk';

/** Slack truncates text over 40,000 characters; refuse it instead of losing the end silently. */
export const MAX_TEXT = 40_000;
/** chat.postMessage / chat.update accept at most 50 blocks. */
export const MAX_BLOCKS = 50;

export const channelId = z.string().trim().min(1).describe('Channel id (C…, G…, D…), or a channel name like #general');

export const messageText = z
  .string()
  .max(MAX_TEXT, `Slack takes at most ${MAX_TEXT} characters of text`)
  .describe('Message text (mrkdwn). With blocks, it is the notification fallback text');

export const messageBlocks = z
  .array(z.looseObject({ type: z.string().min(1).describe('Block type: section, header, divider, context, actions, image, …') }))
  .min(1)
  .max(MAX_BLOCKS, `Slack takes at most ${MAX_BLOCKS} blocks`)
  .describe('Block Kit blocks (https://api.slack.com/block-kit), e.g. [{ "type": "section", "text": { "type": "mrkdwn", "text": "*Hi*" } }]');

export const messageTs = z.string().regex(/^\d+\.\d+$/, 'must be a Slack message timestamp like 1712345678.000100');

/** One of text or blocks must be given. */
export function needsTextOrBlocks(value: { text?: string; blocks?: unknown[] }, ctx: z.RefinementCtx) {
  if (!value.text?.trim() && !value.blocks?.length) ctx.addIssue({ code: 'custom', path: ['text'], message: 'give text, blocks, or both' });
}

export const postedMessage = z.object({
  channel: z.string().describe('The channel id the message is in'),
  ts: z.string().describe('The message timestamp, its id within the channel'),
  thread_ts: z.string().optional().describe('The parent message timestamp when this is a thread reply'),
  text: z.string().optional().describe('The text as Slack stored it'),
});
