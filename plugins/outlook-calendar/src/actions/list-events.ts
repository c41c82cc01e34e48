// Events between two times, recurring ones expanded: GET /me/calendarView (or
// /me/calendars/{id}/calendarView), following @odata.nextLink; Prefer: outlook.timezone when a
// time zone is asked for.
import { calendarEventSchema, defineAction, z } from '@patchbay/sdk';
import { allPages, graphPath } from '@patchbay/microsoft-graph';
import { calendarIdInput, calendarPath, EVENT_FIELDS, preferTimeZone, timeZoneInput, toNeutralEvent, type GraphEvent } from '../events.ts';

const instant = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time with Z or an offset, e.g. 2026-03-02T00:00:00Z' });

export const listEvents = defineAction({
  key: 'list_events',
  displayName: 'List events',
  description: 'List the events (recurring ones expanded into occurrences) between two times, earliest first.',
  input: z
    .object({
      calendarId: calendarIdInput,
      timeMin: instant.describe('Window start (RFC 3339 with Z or an offset)'),
      timeMax: instant.describe('Window end (RFC 3339 with Z or an offset)'),
      timeZone: timeZoneInput.optional().describe('Express event times in this zone (IANA or Windows name); default UTC'),
      maxEvents: z.number().int().min(1).max(2500).default(250).describe('Stop after this many events (default 250)'),
    })
    .refine((input) => Date.parse(input.timeMax) > Date.parse(input.timeMin), { message: 'must be after timeMin', path: ['timeMax'] }),
  output: z.object({
    events: z.array(calendarEventSchema),
    truncated: z.boolean().describe('true when maxEvents cut the list short'),
  }),
  async run(ctx) {
    const { input } = ctx;
    const path = graphPath(`${calendarPath(input.calendarId)}/calendarView`, {
      startDateTime: input.timeMin,
      endDateTime: input.timeMax,
      $select: EVENT_FIELDS,
      $orderby: 'start/dateTime',
      $top: Math.min(input.maxEvents, 100),
    });
    const { items, truncated } = await allPages<GraphEvent>(ctx, path, { max: input.maxEvents, headers: preferTimeZone(input.timeZone) });
    return { events: items.map(toNeutralEvent), truncated };
  },
});
