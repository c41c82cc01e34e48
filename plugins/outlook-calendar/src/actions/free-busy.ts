// Free/busy of people (and rooms) over a window: POST /me/calendar/getSchedule, answered in UTC
// and normalized to busy intervals per person.
import { BUSY_STATUSES, defineAction, freeBusySchema, z, type BusyStatus } from '@patchbay/sdk';
import { graphCall, graphClient } from '@patchbay/microsoft-graph';
import { preferTimeZone } from '../events.ts';
import { fromGraph, toGraph } from '../time.ts';

const instant = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with Z or an offset, e.g. 2026-03-02T00:00:00Z' });

interface ScheduleInformation {
  scheduleId: string;
  availabilityView?: string | null;
  scheduleItems?: Array<{ status?: string | null; start: { dateTime: string; timeZone?: string | null }; end: { dateTime: string; timeZone?: string | null } }> | null;
  error?: { message?: string | null; responseCode?: string | null } | null;
}

export const freeBusy = defineAction({
  key: 'free_busy',
  displayName: 'Free/busy',
  description: "When people (or rooms) are busy between two times, from their calendars' free/busy.",
  input: z
    .object({
      calendars: z
        .array(z.union([z.literal('primary'), z.email()]))
        .min(1)
        .max(100)
        .default(['primary'])
        .describe('Email addresses of people or rooms (up to 100); "primary" is the signed-in user (default)'),
      timeMin: instant.describe('Window start (RFC 3339 with Z or an offset)'),
      timeMax: instant.describe('Window end (RFC 3339 with Z or an offset); at most 62 days after timeMin'),
      intervalMinutes: z.number().int().min(5).max(1440).default(30).describe('Slot length of availability_view (default 30)'),
    })
    .refine((input) => Date.parse(input.timeMax) > Date.parse(input.timeMin), { message: 'must be after timeMin', path: ['timeMax'] })
    .refine((input) => Date.parse(input.timeMax) - Date.parse(input.timeMin) <= 62 * 86_400_000, { message: 'the window can be at most 62 days', path: ['timeMax'] }),
  output: freeBusySchema,
  async run(ctx) {
    const { input } = ctx;
    const client = graphClient(ctx);
    // getSchedule takes SMTP addresses only: "primary" becomes the signed-in user's.
    const me = input.calendars.includes('primary')
      ? await graphCall<{ mail?: string | null; userPrincipalName: string }>(ctx, 'GET /me', () => client.api('/me').select('mail,userPrincipalName').get())
      : undefined;
    const myAddress = me ? (me.mail ?? me.userPrincipalName) : undefined;
    const schedules = input.calendars.map((c) => (c === 'primary' ? myAddress! : c));
    const answer = await graphCall<{ value?: ScheduleInformation[] }>(ctx, 'POST /me/calendar/getSchedule', () =>
      client
        .api('/me/calendar/getSchedule')
        .headers(preferTimeZone('UTC'))
        .post({ schedules, startTime: toGraph(input.timeMin, 'UTC'), endTime: toGraph(input.timeMax, 'UTC'), availabilityViewInterval: input.intervalMinutes }),
    );
    return {
      calendars: (answer.value ?? []).map((s, i) => ({
        id: input.calendars[i] === 'primary' && s.scheduleId.toLowerCase() === myAddress?.toLowerCase() ? 'primary' : s.scheduleId,
        busy: (s.scheduleItems ?? [])
          .filter((item): item is typeof item & { status: BusyStatus } => (BUSY_STATUSES as readonly string[]).includes(item.status ?? ''))
          .map((item) => ({ start: fromGraph(item.start), end: fromGraph(item.end), status: item.status }))
          .sort((a, b) => Date.parse(a.start) - Date.parse(b.start)),
        availabilityView: s.availabilityView ?? null,
        errors: s.error ? [[s.error.responseCode, s.error.message].filter(Boolean).join(': ')] : [],
      })),
    };
  },
});
