import { describe, expect, it } from 'vitest';
import { calendarEventSchema, freeBusySchema } from './calendar.ts';

const event = {
  id: 'e1',
  title: 'Standup',
  description: null,
  start: '2026-11-23T09:00:00+01:00',
  end: '2026-11-23T09:15:00+01:00',
  timeZone: 'Europe/Paris',
  allDay: false,
  attendees: [{ email: 'ada@example.com', name: 'Ada', type: 'required', response: 'accepted' }],
  location: null,
  url: 'https://calendar.example.com/e1',
  meetingUrl: null,
  organizer: { email: 'ada@example.com', name: null },
  status: 'confirmed',
};

describe('provider-neutral calendar shapes', () => {
  it('accept an event and reject unknown attendee answers', () => {
    expect(calendarEventSchema.parse(event)).toEqual(event);
    expect(calendarEventSchema.safeParse({ ...event, attendees: [{ ...event.attendees[0], response: 'maybe' }] }).success).toBe(false);
  });

  it('accept free/busy with or without an availability view', () => {
    const google = { calendars: [{ id: 'primary', busy: [{ start: '2026-11-23T10:00:00Z', end: '2026-11-23T11:00:00Z', status: 'busy' }], availabilityView: null, errors: [] }] };
    const outlook = { calendars: [{ id: 'ada@example.com', busy: [], availabilityView: '0030', errors: [] }] };
    expect(freeBusySchema.parse(google)).toEqual(google);
    expect(freeBusySchema.parse(outlook)).toEqual(outlook);
    expect(freeBusySchema.safeParse({ calendars: [{ ...outlook.calendars[0], busy: [{ start: 'a', end: 'b', status: 'free' }] }] }).success).toBe(false);
  });
});
