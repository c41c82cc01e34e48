import { ActionInputError, AuthError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeCalendar } from '../fake-graph.ts';
import outlook from '../index.ts';

const fake = useFakeCalendar(outlook);

type Out = { events: Array<Record<string, any>>; truncated: boolean };
const list = (input: unknown, accessToken?: string) => fake.run('list_events', input, accessToken) as Promise<Out>;
const WEEK = { timeMin: '2026-01-12T00:00:00Z', timeMax: '2026-01-19T00:00:00Z' };

describe('list_events', () => {
  it('reads /me/calendarView for the window, following @odata.nextLink, in the neutral shape (UTC by default)', async () => {
    const out = await list(WEEK);
    expect(out.truncated).toBe(false);
    expect(out.events.map((e) => e.title)).toEqual(['Standup', 'Design review', 'Lunch', 'Offsite', 'Company holiday']);
    expect(out.events[4]).toMatchObject({ allDay: true, start: '2026-01-16', end: '2026-01-17' });
    expect(out.events[0]).toEqual({
      id: 'AAMkE1',
      title: 'Standup',
      description: '<p>Daily</p>',
      start: '2026-01-12T09:00:00Z',
      end: '2026-01-12T09:15:00Z',
      timeZone: 'UTC',
      allDay: false,
      attendees: [
        { email: 'AdeleV@contoso.onmicrosoft.com', name: 'Adele Vance', type: 'required', response: 'accepted' },
        { email: 'room-1@contoso.onmicrosoft.com', name: 'Room 1', type: 'resource', response: 'accepted' },
      ],
      location: 'Room 1',
      url: 'https://outlook.office365.com/owa/?itemid=AAMkE1&exvsurl=1&path=/calendar/item',
      meetingUrl: null,
      organizer: { email: 'MeganB@contoso.onmicrosoft.com', name: 'Megan Bowen' },
      status: 'confirmed',
    });
    expect(out.events[1]!.attendees[0]).toMatchObject({ type: 'optional', response: 'tentative' });
    expect(out.events[2]).toMatchObject({ description: null, location: null });
    expect(fake.server.requests).toHaveLength(3);
    const first = new URL(fake.server.requests[0]!.url, fake.server.url);
    expect(first.pathname).toBe('/v1.0/me/calendarView');
    expect(first.searchParams.get('startDateTime')).toBe(WEEK.timeMin);
    expect(first.searchParams.get('endDateTime')).toBe(WEEK.timeMax);
    expect(first.searchParams.get('$top')).toBe('100');
    expect(first.searchParams.get('$orderby')).toBe('start/dateTime');
    const second = new URL(fake.server.requests[1]!.url, fake.server.url);
    expect(second.searchParams.get('$skip')).toBe('2');
    for (const req of fake.server.requests) {
      expect(req.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
      expect(req.headers.prefer).toBeUndefined();
    }
  });

  it('asks for a time zone with Prefer: outlook.timezone and returns times with its offset', async () => {
    const out = await list({ timeMin: '2026-01-12T00:00:00+01:00', timeMax: '2026-01-12T23:00:00+01:00', timeZone: 'Europe/Paris' });
    expect(fake.server.requests[0]!.headers.prefer).toBe('outlook.timezone="Europe/Paris"');
    expect(new URL(fake.server.requests[0]!.url, fake.server.url).searchParams.get('startDateTime')).toBe('2026-01-12T00:00:00+01:00');
    expect(out.events.map((e) => [e.start, e.end, e.timeZone])).toEqual([
      ['2026-01-12T10:00:00+01:00', '2026-01-12T10:15:00+01:00', 'Europe/Paris'],
      ['2026-01-12T14:00:00+01:00', '2026-01-12T15:00:00+01:00', 'Europe/Paris'],
    ]);
  });

  it('keeps a Windows zone name and its local times when Intl has no such zone', async () => {
    const out = await list({ ...WEEK, timeZone: 'Pacific Standard Time' });
    expect(out.events[0]).toMatchObject({ start: '2026-01-12T01:00:00', end: '2026-01-12T01:15:00', timeZone: 'Pacific Standard Time' });
  });

  it('reads another calendar, and stops at maxEvents', async () => {
    const other = await list({ ...WEEK, calendarId: 'AAMkTeamCal' });
    expect(other.events.map((e) => e.id)).toEqual(['AAMkE5']);
    expect(new URL(fake.server.requests[0]!.url, fake.server.url).pathname).toBe('/v1.0/me/calendars/AAMkTeamCal/calendarView');
    fake.server.requests.length = 0;
    const capped = await list({ ...WEEK, maxEvents: 3 });
    expect(capped.events).toHaveLength(3);
    expect(capped.truncated).toBe(true);
    expect(new URL(fake.server.requests[0]!.url, fake.server.url).searchParams.get('$top')).toBe('3');
  });

  it('validates the window', async () => {
    const err = await failureOf(list({ timeMin: '2026-01-12', timeMax: '2026-01-11T00:00:00Z', maxEvents: 0 }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['maxEvents', 'timeMax', 'timeMin']);
    const backwards = await failureOf(list({ timeMin: '2026-01-12T00:00:00Z', timeMax: '2026-01-11T00:00:00Z' }));
    expect((backwards as ActionInputError).issues).toEqual([{ path: 'timeMax', message: 'must be after timeMin' }]);
    expect(fake.server.requests).toHaveLength(0);
  });

  it('maps 401, 429 with Retry-After, and an unknown calendar', async () => {
    expect(await failureOf(list(WEEK, 'stale'))).toBeInstanceOf(AuthError);
    fake.state.throttled = 1;
    const limited = await failureOf(list(WEEK));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBe(12_000);
    const missing = await failureOf(list({ ...WEEK, calendarId: 'nope' }));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toContain('answered 404: The specified object was not found in the store. (ErrorItemNotFound)');
  });
});
