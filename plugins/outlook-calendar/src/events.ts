// How a Microsoft Graph event maps onto the SDK's provider-neutral calendar event (the same
// fields the Google Calendar plugin returns), and the inputs the actions share.
import { z, type CalendarEvent } from '@patchbay/sdk';
import { fromGraph, trimGraphDateTime } from './time.ts';

interface GraphEmail {
  emailAddress?: { name?: string | null; address?: string | null } | null;
}

/** A Microsoft Graph event, as far as the plugin reads it. */
export interface GraphEvent {
  id: string;
  subject?: string | null;
  body?: { contentType?: string; content?: string | null } | null;
  start: { dateTime: string; timeZone?: string | null };
  end: { dateTime: string; timeZone?: string | null };
  isAllDay?: boolean | null;
  isCancelled?: boolean | null;
  location?: { displayName?: string | null } | null;
  attendees?: Array<GraphEmail & { type?: string | null; status?: { response?: string | null } | null }> | null;
  organizer?: GraphEmail | null;
  webLink?: string | null;
  onlineMeeting?: { joinUrl?: string | null } | null;
}

/** The $select that fetches what toNeutralEvent reads. */
export const EVENT_FIELDS = 'id,subject,body,start,end,isAllDay,isCancelled,location,attendees,organizer,webLink,onlineMeeting';

const RESPONSES: Record<string, CalendarEvent['attendees'][number]['response']> = {
  accepted: 'accepted',
  declined: 'declined',
  tentativelyAccepted: 'tentative',
  notResponded: 'needsAction',
  none: 'needsAction',
  organizer: 'organizer',
};

export function toNeutralEvent(event: GraphEvent): CalendarEvent {
  const organizer = event.organizer?.emailAddress?.address ? { email: event.organizer.emailAddress.address, name: event.organizer.emailAddress.name ?? null } : null;
  return {
    id: event.id,
    title: event.subject ?? '',
    description: event.body?.content ? event.body.content : null,
    // All-day events: dates only (YYYY-MM-DD, end exclusive), as Google Calendar gives them.
    start: event.isAllDay ? trimGraphDateTime(event.start.dateTime).slice(0, 10) : fromGraph(event.start),
    end: event.isAllDay ? trimGraphDateTime(event.end.dateTime).slice(0, 10) : fromGraph(event.end),
    timeZone: event.start.timeZone ?? 'UTC',
    allDay: event.isAllDay ?? false,
    attendees: (event.attendees ?? [])
      .filter((a) => a.emailAddress?.address)
      .map((a) => ({
        email: a.emailAddress!.address!,
        name: a.emailAddress!.name ?? null,
        type: a.type === 'optional' || a.type === 'resource' ? a.type : 'required',
        response: RESPONSES[a.status?.response ?? ''] ?? null,
      })),
    location: event.location?.displayName || null,
    url: event.webLink ?? null,
    meetingUrl: event.onlineMeeting?.joinUrl ?? null,
    organizer,
    status: event.isCancelled ? 'cancelled' : 'confirmed',
  };
}

/** Graph's header for answering in a time zone (dateTimes come back in UTC without it). */
export const preferTimeZone = (timeZone: string | undefined): Record<string, string> => (timeZone ? { Prefer: `outlook.timezone="${timeZone.replace(/"/g, '')}"` } : {});

export const timeZoneInput = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_+\-/ ().]+$/, 'must be a time zone name like "Europe/Paris" or "Pacific Standard Time"')
  .describe('IANA ("Europe/Paris") or Windows ("Romance Standard Time") time zone name');

export const calendarIdInput = z.string().trim().min(1).optional().describe("Calendar id; default the user's primary calendar");

/** "/me" or "/me/calendars/{id}" */
export const calendarPath = (calendarId: string | undefined) => (calendarId ? `/me/calendars/${encodeURIComponent(calendarId)}` : '/me');
