// GET /calendar/v3/calendars/{calendarId}/events, following nextPageToken to the end (or to
// maxEvents), normalized to the provider-neutral event shape.
import { calendarEventSchema, defineAction, PermanentError, z, type CalendarEvent } from '@patchbay/sdk';
import { createCalendarClient, googleCall } from '../client.ts';
import { calendarId, connectionOf, dateTime, toEvent } from '../events.ts';

/** Google's largest page. */
const PAGE_SIZE = 250;

export const listEvents = defineAction({
  key: 'list_events',
  displayName: 'List events',
  description: 'List the events of a calendar in a time window, optionally matching a text search; follows every page up to maxEvents.',
  input: z
    .object({
      calendarId,
      timeMin: dateTime('timeMin').optional().describe('Only events ending after this instant (RFC 3339 with offset)'),
      timeMax: dateTime('timeMax').optional().describe('Only events starting before this instant (RFC 3339 with offset)'),
      q: z.string().trim().min(1).optional().describe('Free-text search over title, description, location and attendees'),
      singleEvents: z.boolean().default(true).describe('true (default): recurring events are expanded into their occurrences, ordered by start time; false: one entry per series'),
      maxEvents: z.number().int().min(1).max(2_500).default(250).describe('Stop after this many events (at most 2500); `truncated` says whether more were left'),
    })
    .refine((i) => !i.timeMin || !i.timeMax || Date.parse(i.timeMin) < Date.parse(i.timeMax), { message: 'timeMin must be before timeMax', path: ['timeMax'] }),
  output: z.object({
    events: z.array(calendarEventSchema),
    truncated: z.boolean().describe('true when maxEvents stopped the listing before the last page'),
  }),
  async run(ctx) {
    const { input } = ctx;
    const client = await createCalendarClient(connectionOf(ctx));
    const events: CalendarEvent[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const page = await googleCall(
        () =>
          client.events.list({
            calendarId: input.calendarId,
            timeMin: input.timeMin,
            timeMax: input.timeMax,
            q: input.q,
            singleEvents: input.singleEvents,
            ...(input.singleEvents ? { orderBy: 'startTime' } : {}),
            maxResults: Math.min(PAGE_SIZE, input.maxEvents - events.length),
            pageToken,
          }),
        `GET /calendar/v3/calendars/${input.calendarId}/events`,
      );
      for (const item of page.items ?? []) if (item.status !== 'cancelled') events.push(toEvent(item, page.timeZone));
      pageToken = page.nextPageToken ?? undefined;
      if (++pages > 1_000) throw new PermanentError('Google Calendar kept returning pages; stopped after 1000');
    } while (pageToken && events.length < input.maxEvents);
    return { events: events.slice(0, input.maxEvents), truncated: Boolean(pageToken) || events.length > input.maxEvents };
  },
});
