// The provider-neutral calendar output shapes. Every calendar plugin (Google Calendar, Outlook
// Calendar, third-party ones) returns these from its event and free/busy actions, so a flow
// written against one calendar provider works with another. Each plugin keeps its own mapping
// from the provider's objects onto them.
import { z } from 'zod';

export const calendarAttendeeSchema = z.object({
  email: z.string().describe('Email address'),
  name: z.string().nullable(),
  type: z.enum(['required', 'optional', 'resource']).describe('required, optional, or resource (a room or equipment)'),
  response: z.enum(['accepted', 'declined', 'tentative', 'needsAction', 'organizer']).nullable().describe('Their answer so far; organizer for the organizer'),
});

export const calendarEventSchema = z.object({
  id: z.string().describe('Event id'),
  title: z.string().describe('Summary / subject (empty when the event has none or is private)'),
  description: z.string().nullable().describe('Description (HTML or text, as the provider stores it)'),
  start: z
    .string()
    .describe('RFC 3339 start with Z or an offset (Outlook: a bare local time only for a Windows-only zone name, see timeZone); YYYY-MM-DD for an all-day event'),
  end: z.string().describe('RFC 3339 end (exclusive), like start'),
  timeZone: z.string().describe("The zone start and end are expressed in (IANA, or the provider's name for it)"),
  allDay: z.boolean(),
  attendees: z.array(calendarAttendeeSchema),
  location: z.string().nullable(),
  url: z.string().nullable().describe('Link that opens the event in the provider'),
  meetingUrl: z.string().nullable().describe('Online meeting join link (Google Meet, Microsoft Teams), if any'),
  organizer: z.object({ email: z.string(), name: z.string().nullable() }).nullable(),
  status: z.enum(['confirmed', 'cancelled']),
});

export type CalendarAttendee = z.output<typeof calendarAttendeeSchema>;
export type CalendarEvent = z.output<typeof calendarEventSchema>;

export const BUSY_STATUSES = ['busy', 'tentative', 'oof', 'workingElsewhere'] as const;
export type BusyStatus = (typeof BUSY_STATUSES)[number];

/** The free/busy answer: per calendar asked for, in the order asked, its busy intervals. */
export const freeBusySchema = z.object({
  calendars: z.array(
    z.object({
      id: z.string().describe('The calendar (id, email address or "primary") as asked for'),
      busy: z
        .array(
          z.object({
            start: z.string().describe('RFC 3339'),
            end: z.string(),
            status: z.enum(BUSY_STATUSES).describe('busy, tentative, oof (away) or workingElsewhere; always busy where the provider reports no finer status (Google)'),
          }),
        )
        .describe('Busy intervals, earliest first'),
      availabilityView: z
        .string()
        .nullable()
        .describe('One digit per interval: 0 free, 1 tentative, 2 busy, 3 away, 4 working elsewhere; null where the provider has no such view (Google)'),
      errors: z.array(z.string()).describe('Why this calendar could not be read (not found, unknown user, no permission)'),
    }),
  ),
});

export type FreeBusy = z.output<typeof freeBusySchema>;
