// Creates an event: POST /me/events (or /me/calendars/{id}/events) with subject, body, start and
// end in a time zone, attendees (required / optional), location, and optionally a Teams meeting.
import { calendarEventSchema, defineAction, z } from '@patchbay/sdk';
import { graphCall, graphClient } from '@patchbay/microsoft-graph';
import { calendarIdInput, calendarPath, preferTimeZone, timeZoneInput, toNeutralEvent, type GraphEvent } from '../events.ts';
import { hasOffset, toGraph } from '../time.ts';

const dateTime = z.union([
  z.iso.datetime({ offset: true }),
  z.iso.datetime({ local: true }),
]).describe('RFC 3339 date-time: with Z or an offset (2026-03-02T09:00:00+01:00), or a local time (2026-03-02T09:00:00) read in timeZone');

export const createEvent = defineAction({
  key: 'create_event',
  displayName: 'Create an event',
  description: 'Create a calendar event and invite attendees; optionally as a Teams online meeting.',
  input: z
    .object({
      calendarId: calendarIdInput,
      summary: z.string().trim().min(1).max(255).describe('The event title (Outlook: subject)'),
      description: z.string().max(32_000).optional().describe('Body'),
      descriptionType: z.enum(['text', 'html']).default('text').describe('Whether description is plain text or HTML'),
      start: dateTime,
      end: dateTime,
      timeZone: timeZoneInput
        .optional()
        .describe('The event\'s time zone (IANA or Windows name). Needed when start/end have no offset; with an offset they are converted into it (IANA names only). Default UTC'),
      attendees: z
        .array(
          z.object({
            email: z.email().describe('Email address'),
            name: z.string().optional().describe('Display name'),
            type: z.enum(['required', 'optional']).default('required').describe('required (default) or optional'),
          }),
        )
        .max(500)
        .default([])
        .describe('People to invite; Outlook sends them the invitation'),
      location: z.string().max(255).optional().describe('Where (free text, e.g. a room name or address)'),
      onlineMeeting: z.boolean().default(false).describe('true: make it a Microsoft Teams meeting (the join link comes back as meetingUrl)'),
    })
    .superRefine((input, issue) => {
      for (const key of ['start', 'end'] as const) {
        if (!input.timeZone && !hasOffset(input[key])) issue.addIssue({ code: 'custom', path: [key], message: 'needs an offset (Z or +01:00) or a timeZone' });
        else if (input.timeZone && hasOffset(input[key]) && !toGraph(input[key], input.timeZone)) {
          issue.addIssue({ code: 'custom', path: ['timeZone'], message: 'must be an IANA zone name (e.g. Europe/Paris) when start/end carry an offset; or give local times' });
        }
      }
      const start = toGraph(input.start, input.timeZone);
      const end = toGraph(input.end, input.timeZone);
      const [a, b] = hasOffset(input.start) && hasOffset(input.end) ? [Date.parse(input.start), Date.parse(input.end)] : [start?.dateTime ?? '', end?.dateTime ?? ''];
      if (start && end && a >= b) issue.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
    }),
  output: calendarEventSchema,
  async run(ctx) {
    const { input } = ctx;
    const event = {
      subject: input.summary,
      ...(input.description !== undefined ? { body: { contentType: input.descriptionType === 'html' ? 'HTML' : 'Text', content: input.description } } : {}),
      start: toGraph(input.start, input.timeZone)!,
      end: toGraph(input.end, input.timeZone)!,
      attendees: input.attendees.map((a) => ({ emailAddress: { address: a.email, ...(a.name ? { name: a.name } : {}) }, type: a.type })),
      ...(input.location ? { location: { displayName: input.location } } : {}),
      ...(input.onlineMeeting ? { isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' } : {}),
    };
    const created = await graphCall<GraphEvent>(ctx, 'POST /me/events', () =>
      graphClient(ctx).api(`${calendarPath(input.calendarId)}/events`).headers(preferTimeZone(input.timeZone)).post(event),
    );
    return toNeutralEvent(created);
  },
});
