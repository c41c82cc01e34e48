import { ActionInputError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeCalendar } from '../fake-graph.ts';
import outlook from '../index.ts';

const fake = useFakeCalendar(outlook);

const create = (input: unknown) => fake.run('create_event', input) as Promise<Record<string, any>>;

describe('create_event', () => {
  it('posts subject, body, start/end in the time zone, attendees, location and a Teams meeting', async () => {
    const out = await create({
      summary: 'Quarterly planning',
      description: '<p>Agenda</p>',
      descriptionType: 'html',
      start: '2026-01-20T10:00:00',
      end: '2026-01-20T11:30:00',
      timeZone: 'Europe/Paris',
      attendees: [{ email: 'AdeleV@contoso.onmicrosoft.com', name: 'Adele Vance' }, { email: 'room-1@contoso.onmicrosoft.com', type: 'optional' }],
      location: 'Room 1',
      onlineMeeting: true,
    });
    const [req] = fake.server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/v1.0/me/events');
    expect(req!.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
    expect(req!.headers.prefer).toBe('outlook.timezone="Europe/Paris"');
    expect(req!.json).toEqual({
      subject: 'Quarterly planning',
      body: { contentType: 'HTML', content: '<p>Agenda</p>' },
      start: { dateTime: '2026-01-20T10:00:00', timeZone: 'Europe/Paris' },
      end: { dateTime: '2026-01-20T11:30:00', timeZone: 'Europe/Paris' },
      attendees: [
        { emailAddress: { address: 'AdeleV@contoso.onmicrosoft.com', name: 'Adele Vance' }, type: 'required' },
        { emailAddress: { address: 'room-1@contoso.onmicrosoft.com' }, type: 'optional' },
      ],
      location: { displayName: 'Room 1' },
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
    });
    expect(out).toMatchObject({
      id: expect.stringMatching(/^AAMkNew/),
      title: 'Quarterly planning',
      start: '2026-01-20T10:00:00+01:00',
      end: '2026-01-20T11:30:00+01:00',
      timeZone: 'Europe/Paris',
      location: 'Room 1',
      meetingUrl: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//),
      attendees: [
        { email: 'AdeleV@contoso.onmicrosoft.com', name: 'Adele Vance', type: 'required', response: 'needsAction' },
        { email: 'room-1@contoso.onmicrosoft.com', name: 'room-1@contoso.onmicrosoft.com', type: 'optional', response: 'needsAction' },
      ],
    });
    // The fake stored the right instant: 10:00 Paris is 09:00 UTC.
    expect(new Date(fake.state.events.at(-1)!.startMs).toISOString()).toBe('2026-01-20T09:00:00.000Z');
  });

  it('sends times with an offset in UTC when no zone is given, into another calendar', async () => {
    const out = await create({ summary: 'Call', start: '2026-01-20T10:00:00-08:00', end: '2026-01-20T10:30:00-08:00', calendarId: 'AAMkTeamCal' });
    const [req] = fake.server.requests;
    expect(req!.url).toBe('/v1.0/me/calendars/AAMkTeamCal/events');
    expect(req!.headers.prefer).toBeUndefined();
    expect(req!.json).toEqual({ subject: 'Call', start: { dateTime: '2026-01-20T18:00:00', timeZone: 'UTC' }, end: { dateTime: '2026-01-20T18:30:00', timeZone: 'UTC' }, attendees: [] });
    expect(out).toMatchObject({ start: '2026-01-20T18:00:00Z', end: '2026-01-20T18:30:00Z', timeZone: 'UTC', meetingUrl: null, description: null });
    expect(fake.state.events.at(-1)!.calendarId).toBe('AAMkTeamCal');
  });

  it('converts offset times into an IANA zone given with them', async () => {
    await create({ summary: 'Standup', start: '2026-01-20T04:30:00Z', end: '2026-01-20T05:00:00Z', timeZone: 'Asia/Kolkata' });
    expect((fake.server.requests[0]!.json as Record<string, unknown>).start).toEqual({ dateTime: '2026-01-20T10:00:00', timeZone: 'Asia/Kolkata' });
  });

  it('validates input before calling Graph', async () => {
    const err = await failureOf(create({ summary: '', start: '2026-01-20T10:00:00', end: 'tomorrow', attendees: [{ email: 'not-an-email' }] }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['attendees.0.email', 'end', 'summary']);
    const noZone = await failureOf(create({ summary: 'x', start: '2026-01-20T10:00:00', end: '2026-01-20T11:00:00' }));
    expect((noZone as ActionInputError).issues.map((i) => i.path)).toEqual(['start', 'end']);
    const backwards = await failureOf(create({ summary: 'x', start: '2026-01-20T10:00:00Z', end: '2026-01-20T09:00:00Z' }));
    expect((backwards as ActionInputError).issues).toEqual([{ path: 'end', message: 'must be after start' }]);
    const windowsWithOffset = await failureOf(create({ summary: 'x', start: '2026-01-20T10:00:00Z', end: '2026-01-20T11:00:00Z', timeZone: 'Pacific Standard Time' }));
    expect((windowsWithOffset as ActionInputError).issues[0]!.path).toBe('timeZone');
    expect(fake.server.requests).toHaveLength(0);
  });

  it("fails permanently with Graph's message for a zone Graph rejects, and honours 429", async () => {
    const err = await failureOf(create({ summary: 'x', start: '2026-01-20T10:00:00', end: '2026-01-20T11:00:00', timeZone: 'Mars/Olympus' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain("answered 400: A valid TimeZone value must be specified. The following TimeZone value is not supported: 'Mars/Olympus'. (TimeZoneNotSupportedException)");
    fake.state.throttled = 1;
    fake.state.retryAfter = '3';
    const limited = await failureOf(create({ summary: 'x', start: '2026-01-20T10:00:00Z', end: '2026-01-20T11:00:00Z' }));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBe(3_000);
  });
});
