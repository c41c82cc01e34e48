// POST /calendar/v3/freeBusy: the busy intervals of several calendars in one window.
import { defineAction, freeBusySchema, z } from '@patchbay/sdk';
import { createCalendarClient, googleCall } from '../client.ts';
import { connectionOf, dateTime } from '../events.ts';

export const freeBusy = defineAction({
  key: 'free_busy',
  displayName: 'Check availability (free/busy)',
  description: 'Return when each of several calendars (or people, by email) is busy between two instants.',
  input: z
    .object({
      calendars: z
        .array(z.string().trim().min(1))
        .min(1, 'name at least one calendar')
        .max(50, 'at most 50 calendars per query')
        .default(['primary'])
        .describe('Calendar ids or email addresses; "primary" is the connected user'),
      timeMin: dateTime('timeMin').describe('Window start (RFC 3339 with offset)'),
      timeMax: dateTime('timeMax').describe('Window end (RFC 3339 with offset)'),
      timeZone: z.string().optional().describe('IANA time zone for the returned intervals (default UTC)'),
    })
    .refine((i) => Date.parse(i.timeMin) < Date.parse(i.timeMax), { message: 'timeMin must be before timeMax', path: ['timeMax'] }),
  output: freeBusySchema,
  async run(ctx) {
    const { input } = ctx;
    const client = await createCalendarClient(connectionOf(ctx));
    const data = await googleCall(
      () => client.freebusy.query({ requestBody: { timeMin: input.timeMin, timeMax: input.timeMax, timeZone: input.timeZone, items: input.calendars.map((id) => ({ id })) } }),
      'POST /calendar/v3/freeBusy',
    );
    return {
      calendars: input.calendars.map((id) => {
        const entry = data.calendars?.[id];
        const errors = entry ? (entry.errors ?? []).map((e) => e.reason ?? e.domain ?? 'unknown') : ['notFound'];
        return {
          id,
          busy: (entry?.busy ?? []).map((b) => ({ start: b.start ?? '', end: b.end ?? '', status: 'busy' as const })),
          availabilityView: null,
          errors,
        };
      }),
    };
  },
});
