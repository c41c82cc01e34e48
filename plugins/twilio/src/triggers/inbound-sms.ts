// A message sent to one of your Twilio numbers. Set the number's "A message comes in" webhook
// (HTTP POST) to the endpoint URL. The hub checks X-Twilio-Signature against the URL and the
// sorted form parameters with the Auth Token (scheme TWILIO) before anything else; the answer is
// empty TwiML, so Twilio sends no reply.
import { defineTrigger, PermanentError, z } from '@patchbay/sdk';

export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export const inboundSmsEvent = z.object({
  message_sid: z.string().describe('MessageSid (SM… or MM…)'),
  account_sid: z.string().nullable(),
  messaging_service_sid: z.string().nullable(),
  from: z.string().describe('The sender, E.164'),
  to: z.string().describe('Your Twilio number that received it, E.164'),
  body: z.string().describe('The text (empty for media-only messages)'),
  num_segments: z.number().int().nullable(),
  media: z.array(z.object({ url: z.string(), content_type: z.string().nullable() })).describe('MediaUrl0…N with MediaContentType0…N'),
  from_location: z
    .object({ city: z.string().nullable(), state: z.string().nullable(), zip: z.string().nullable(), country: z.string().nullable() })
    .describe("Twilio's geographic guess for the sender"),
});

export type InboundSms = z.output<typeof inboundSmsEvent>;

const text = (fields: Record<string, unknown>, name: string): string | null => (typeof fields[name] === 'string' ? (fields[name] as string) : null);

export const inboundSms = defineTrigger({
  key: 'inbound_sms',
  displayName: 'Incoming SMS',
  description: 'Fires for every SMS or MMS sent to your Twilio number (its messaging webhook).',
  kind: 'WEBHOOK',
  verification: 'TWILIO',
  output: inboundSmsEvent,
  respond: () => ({ status: 200, body: EMPTY_TWIML, headers: { 'content-type': 'text/xml' } }),
  async handle(request) {
    if (!request.body || typeof request.body !== 'object') {
      throw new PermanentError('expected Twilio form fields (application/x-www-form-urlencoded)');
    }
    const fields = request.body as Record<string, unknown>;
    const sid = text(fields, 'MessageSid') ?? text(fields, 'SmsSid');
    const from = text(fields, 'From');
    const to = text(fields, 'To');
    if (!sid || !from || !to) throw new PermanentError('not a Twilio messaging webhook: MessageSid, From and To are required');
    const count = Math.min(Number(text(fields, 'NumMedia') ?? 0) || 0, 10);
    const media = Array.from({ length: count }, (_, i) => ({ url: text(fields, `MediaUrl${i}`), content_type: text(fields, `MediaContentType${i}`) })).filter(
      (m): m is { url: string; content_type: string | null } => m.url !== null,
    );
    const segments = text(fields, 'NumSegments');
    return {
      events: [
        {
          message_sid: sid,
          account_sid: text(fields, 'AccountSid'),
          messaging_service_sid: text(fields, 'MessagingServiceSid'),
          from,
          to,
          body: text(fields, 'Body') ?? '',
          num_segments: segments !== null && /^\d+$/.test(segments) ? Number(segments) : null,
          media,
          from_location: { city: text(fields, 'FromCity'), state: text(fields, 'FromState'), zip: text(fields, 'FromZip'), country: text(fields, 'FromCountry') },
        } satisfies InboundSms,
      ],
    };
  },
});
