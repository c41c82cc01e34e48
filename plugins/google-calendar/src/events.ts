// How a Google Calendar event maps onto the SDK's provider-neutral calendar event (the same
// fields the Outlook Calendar plugin returns), and the inputs the actions share.
import { z, type ActionContext, type CalendarEvent } from '@patchbay/sdk';
import type { calendar_v3 } from '@googleapis/calendar';

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
