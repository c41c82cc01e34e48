// The provider-neutral calendar shapes, shared in spirit with outlook-calendar: the same action
// keys return the same fields whichever provider a connection uses.
import { z, type ActionContext } from '@patchbay/sdk';
import type { calendar_v3 } from '@googleapis/calendar';

export const attendeeSchema = z.object({
  email: z.string().describe('Email address'),
  name: z.string().nullable(),
  type: z.enum(['required', 'optional', 'resource']).describe('required, optional, or resource (a room or equipment)'),
  response: z.enum(['accepted', 'declined', 'tentative', 'needsAction', 'organizer']).nullable().describe('Their answer so far; organizer for the organizer'),
});

export const eventSchema = z.object({
  id: z.string().describe('Event id'),
  title: z.string().describe('Summary (empty when the event has none or is private)'),
  description: z.string().nullable().describe('Description (HTML or text, as the provider stores it)'),
  start: z.string().describe('RFC 3339 start with an offset; YYYY-MM-DD for an all-day event'),
  end: z.string().describe('RFC 3339 end (exclusive), like start'),
  timeZone: z.string().describe("The event's IANA time zone (the calendar's when the event names none)"),
  allDay: z.boolean(),
  attendees: z.array(attendeeSchema),
  location: z.string().nullable(),
  url: z.string().nullable().describe('Link that opens the event in the provider'),
  meetingUrl: z.string().nullable().describe('Online meeting join link (Google Meet), if any'),
  organizer: z.object({ email: z.string(), name: z.string().nullable() }).nullable(),
  status: z.enum(['confirmed', 'cancelled']),
});

export type CalendarEvent = z.output<typeof eventSchema>;

const RESPONSES: Record<string, NonNullable<CalendarEvent['attendees'][number]['response']>> = {
  accepted: 'accepted',
  declined: 'declined',
  tentative: 'tentative',
  needsAction: 'needsAction',
};

export function toEvent(event: calendar_v3.Schema$Event, calendarTimeZone?: string | null): CalendarEvent {
  const video = event.conferenceData?.entryPoints?.find((e) => e.entryPointType === 'video')?.uri ?? event.hangoutLink ?? null;
  return {
    id: event.id ?? '',
    title: event.summary ?? '',
    description: event.description || null,
    start: event.start?.dateTime ?? event.start?.date ?? '',
    end: event.end?.dateTime ?? event.end?.date ?? '',
    timeZone: event.start?.timeZone ?? calendarTimeZone ?? 'UTC',
    allDay: !event.start?.dateTime && Boolean(event.start?.date),
    attendees: (event.attendees ?? [])
      .filter((a) => typeof a.email === 'string')
      .map((a) => ({
        email: a.email!,
        name: a.displayName ?? null,
        type: a.resource ? ('resource' as const) : a.optional ? ('optional' as const) : ('required' as const),
        response: a.organizer ? ('organizer' as const) : (RESPONSES[a.responseStatus ?? ''] ?? null),
      })),
    location: event.location || null,
    url: event.htmlLink ?? null,
    meetingUrl: video,
    organizer: event.organizer?.email ? { email: event.organizer.email, name: event.organizer.displayName ?? null } : null,
    status: event.status === 'cancelled' ? 'cancelled' : 'confirmed',
  };
}

/** The connection pieces the Calendar client needs. */
export const connectionOf = (ctx: Pick<ActionContext, 'auth' | 'config' | 'signal'>) => ({ credentials: ctx.auth.credentials, config: ctx.config, signal: ctx.signal });

/** An RFC 3339 date-time with an offset (Google and Microsoft both need the offset). */
export const dateTime = (what: string) =>
  z.iso.datetime({ offset: true, message: `${what} must be an RFC 3339 date-time with a time zone offset, e.g. 2026-11-23T09:00:00Z or 2026-11-23T09:00:00+01:00` });

export const calendarId = z.string().trim().min(1).default('primary').describe('The calendar: "primary" (default) for the user’s main calendar, or a calendar id / email address');
