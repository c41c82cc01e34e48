// The provider-neutral event shape every calendar plugin returns (the Google Calendar plugin uses
// the same), and how a Microsoft Graph event maps onto it.
import { z } from '@patchbay/sdk';
import { fromGraph, trimGraphDateTime } from './time.ts';

export const attendeeOutput = z.object({
  email: z.string().describe('Email address'),
  name: z.string().nullable(),
  type: z.enum(['required', 'optional', 'resource']).describe('required, optional, or resource (a room or equipment)'),
  response: z.enum(['accepted', 'declined', 'tentative', 'needsAction', 'organizer']).nullable().describe('Their answer so far'),
});

export const eventOutput = z.object({
  id: z.string().describe('Event id'),
  title: z.string().describe('Subject'),
  description: z.string().nullable().describe('Body (HTML or text, as the provider stores it)'),
  start: z.string().describe('RFC 3339 start with Z or an offset (a bare local time only for a Windows-only zone name, see timeZone); YYYY-MM-DD for an all-day event'),
  end: z.string().describe('RFC 3339 end (exclusive), like start'),
  timeZone: z.string().describe('The zone start and end are expressed in'),
  allDay: z.boolean(),
  attendees: z.array(attendeeOutput),
  location: z.string().nullable(),
  url: z.string().nullable().describe('Link that opens the event in the provider'),
  meetingUrl: z.string().nullable().describe('Online meeting join link (Teams), if any'),
  organizer: z.object({ email: z.string(), name: z.string().nullable() }).nullable(),
  status: z.enum(['confirmed', 'cancelled']),
});

export type NeutralEvent = z.infer<typeof eventOutput>;

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

const RESPONSES: Record<string, NeutralEvent['attendees'][number]['response']> = {
  accepted: 'accepted',
  declined: 'declined',
  tentativelyAccepted: 'tentative',
  notResponded: 'needsAction',
  none: 'needsAction',
  organizer: 'organizer',
};

export function toNeutralEvent(event: GraphEvent): NeutralEvent {
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
