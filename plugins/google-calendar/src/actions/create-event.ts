// POST /calendar/v3/calendars/{calendarId}/events (conferenceDataVersion=1 for a Meet link).
import { randomUUID } from 'node:crypto';
import { calendarEventSchema, defineAction, z } from '@patchbay/sdk';
import { createCalendarClient, googleCall } from '../client.ts';
import { calendarId, connectionOf, toEvent } from '../events.ts';

const localOrOffsetDateTime = (what: string) =>
  z.iso.datetime({ local: true, offset: true, message: `${what} must be an RFC 3339 date-time, e.g. 2026-11-23T09:00:00 (with timeZone) or 2026-11-23T09:00:00+01:00` });

const timeZone = z
  .string()
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone, e.g. Europe/Paris')
  .describe('IANA time zone, e.g. Europe/Paris; required when start/end have no offset, and used for recurrence and display');

export const createEvent = defineAction({
  key: 'create_event',
  displayName: 'Create an event',
  description: 'Create an event, optionally inviting attendees and adding a video conference link.',
  input: z
    .object({
      calendarId,
      summary: z.string().trim().min(1, 'is required').max(1_024).describe('The event title'),
      description: z.string().max(8_192).optional().describe('Notes (HTML allowed)'),
      start: localOrOffsetDateTime('start').describe('Start date-time'),
      end: localOrOffsetDateTime('end').describe('End date-time'),
      timeZone: timeZone.optional(),
      attendees: z.array(z.email('must be an email address')).max(200).optional().describe('Email addresses to invite'),
      location: z.string().max(1_024).optional().describe('Where: an address, a room, a link'),
      conference: z.boolean().default(false).describe('true: add a Google Meet link to the event (returned as meetingUrl)'),
      sendUpdates: z.enum(['all', 'externalOnly', 'none']).default('none').describe('Who gets an invitation email: all attendees, only those outside your domain, or nobody (default)'),
    })
    .superRefine((input, ctx) => {
      const hasOffset = (v: string) => /(Z|[+-]\d{2}:\d{2})$/i.test(v);
      for (const field of ['start', 'end'] as const) {
        if (!hasOffset(input[field]) && !input.timeZone) ctx.addIssue({ code: 'custom', path: [field], message: `${field} has no offset: add one (e.g. +01:00) or give timeZone` });
      }
      if (hasOffset(input.start) && hasOffset(input.end) && Date.parse(input.start) >= Date.parse(input.end)) {
        ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
      } else if (!hasOffset(input.start) && !hasOffset(input.end) && input.start >= input.end) {
        ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
      }
    }),
  output: calendarEventSchema,
  async run(ctx) {
    const { input } = ctx;
    const client = await createCalendarClient(connectionOf(ctx));
    const event = await googleCall(
      () =>
        client.events.insert({
          calendarId: input.calendarId,
          sendUpdates: input.sendUpdates,
          ...(input.conference ? { conferenceDataVersion: 1 } : {}),
          requestBody: {
            summary: input.summary,
            description: input.description,
            location: input.location,
            start: { dateTime: input.start, ...(input.timeZone ? { timeZone: input.timeZone } : {}) },
            end: { dateTime: input.end, ...(input.timeZone ? { timeZone: input.timeZone } : {}) },
            ...(input.attendees?.length ? { attendees: input.attendees.map((email) => ({ email })) } : {}),
            ...(input.conference ? { conferenceData: { createRequest: { requestId: randomUUID(), conferenceSolutionKey: { type: 'hangoutsMeet' } } } } : {}),
          },
        }),
      `POST /calendar/v3/calendars/${input.calendarId}/events`,
    );
    return toEvent(event, input.timeZone);
  },
});
