// Slack Events API delivered to a Patchbay webhook endpoint (the app's Request URL). The hub
// checks the v0 signature with the app's signing secret; url_verification is answered here.
import { defineTrigger, z, type TriggerRequest } from '@patchbay/sdk';

export const eventsSettings = z.object({
  event_types: z
    .array(z.string().min(1))
    .optional()
    .describe('Only these inner event types (e.g. ["message", "app_mention"]); default: every subscribed event'),
  ignore_bots: z.boolean().default(false).describe('Drop events caused by bots (messages with a bot_id), including this app'),
});

export const slackEvent = z.object({
  event_id: z.string().describe('Unique per event; Slack reuses it when it retries a delivery'),
  event_time: z.number().optional().describe('Unix seconds'),
  team_id: z.string().optional(),
  api_app_id: z.string().optional(),
  type: z.string().describe('The inner event type: message, app_mention, reaction_added, …'),
  subtype: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  channel: z.string().optional(),
  channel_type: z.string().optional(),
  text: z.string().optional(),
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
  event_ts: z.string().optional(),
  retry_num: z.number().int().optional().describe('Set when this is one of Slack\'s redeliveries (X-Slack-Retry-Num)'),
  event: z.record(z.string(), z.unknown()).describe('The inner event as Slack sent it'),
});

type Envelope = {
  type?: string;
  challenge?: string;
  event_id?: string;
  event_time?: number;
  team_id?: string;
  api_app_id?: string;
  event?: Record<string, unknown>;
};

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export const events = defineTrigger({
  key: 'events',
  displayName: 'Events API',
  description: "Slack events (messages, mentions, reactions, …) sent to the endpoint given as the app's Event Subscriptions Request URL.",
  kind: 'WEBHOOK',
  verification: 'SLACK',
  settings: eventsSettings,
  output: slackEvent,
  respond(request: TriggerRequest) {
    const body = request.body as Envelope | undefined;
    if (body?.type === 'url_verification') {
      return { status: 200, body: { challenge: body.challenge ?? '' }, headers: { 'content-type': 'application/json' }, handshake: true };
    }
    // Slack wants a 2xx within 3 seconds, or it retries.
    return { status: 200 };
  },
  async handle(request, { settings }) {
    const body = request.body as Envelope | undefined;
    if (body?.type !== 'event_callback' || !body.event || typeof body.event !== 'object') return { events: [] };
    const inner = body.event;
    const type = str(inner.type) ?? 'unknown';
    if (settings.event_types?.length && !settings.event_types.includes(type)) return { events: [] };
    if (settings.ignore_bots && (inner.bot_id || inner.subtype === 'bot_message')) return { events: [] };
    const retry = request.headers['x-slack-retry-num'];
    const fields = {
      subtype: str(inner.subtype),
      user: str(inner.user),
      bot_id: str(inner.bot_id),
      channel: str(inner.channel) ?? str((inner.item as { channel?: unknown } | undefined)?.channel),
      channel_type: str(inner.channel_type),
      text: str(inner.text),
      ts: str(inner.ts),
      thread_ts: str(inner.thread_ts),
      event_ts: str(inner.event_ts),
      team_id: body.team_id,
      api_app_id: body.api_app_id,
      event_time: body.event_time,
      retry_num: retry && /^\d+$/.test(retry) ? Number(retry) : undefined,
    };
    return {
      events: [
        {
          event_id: body.event_id ?? `${type}:${str(inner.event_ts) ?? ''}`,
          type,
          ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
          event: inner,
        },
      ],
    };
  },
});
