import { ActionInputError, AuthError, PermanentError, RateLimitError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogleCalendar, type FakeEvent, type FakeGoogleCalendar } from '../fake-google-calendar.ts';
import plugin from '../index.ts';

const TOKEN = 'ya29.list-events-access-token';
let google: FakeGoogleCalendar;

/** 600 one-hour events, one a day from 2026-01-01, so listings span several 250-event pages. */
const many: FakeEvent[] = Array.from({ length: 600 }, (_, i) => {
  const day = new Date(Date.UTC(2026, 0, 1 + i, 9));
  return { id: `ev${String(i).padStart(4, '0')}`, summary: `Daily ${i}`, start: { dateTime: day.toISOString() }, end: { dateTime: new Date(day.getTime() + 3600_000).toISOString() } };
});

beforeAll(async () => {
  google = await startFakeGoogleCalendar({ tokens: [TOKEN], owner: 'ada@example.com', timeZone: 'Europe/London' });
  google.state.calendars.get('ada@example.com')!.events.push(
    {
      id: 'standup1',
      summary: 'Standup',
      description: 'Daily sync',
      location: 'Room 1',
      hangoutLink: 'https://meet.google.com/std-updx-abc',
      start: { dateTime: '2026-11-23T09:00:00Z', timeZone: 'Europe/Paris' },
      end: { dateTime: '2026-11-23T09:15:00Z', timeZone: 'Europe/Paris' },
      attendees: [
        { email: 'ada@example.com', displayName: 'Ada', responseStatus: 'accepted', organizer: true },
        { email: 'bob@example.com', responseStatus: 'needsAction', optional: true },
        { email: 'cy@example.com', responseStatus: 'tentative' },
        { email: 'room-4@resource.calendar.google.com', displayName: 'Room 4', responseStatus: 'accepted', resource: true },
      ],
    },
    { id: 'offsite', summary: 'Offsite', start: { date: '2026-11-25' }, end: { date: '2026-11-27' } },
  );
  google.state.calendars.set('team@group.calendar.google.com', { timeZone: 'America/New_York', events: many });
});
afterAll(() => google.close());
beforeEach(() => google.reset());

const list = (input: unknown, accessToken = TOKEN) =>
  runTestAction(plugin, 'list_events', { mode: 'OAUTH2', credentials: { accessToken, tokenType: 'Bearer' }, config: { baseUrl: google.url }, input }) as Promise<{
    events: Array<Record<string, unknown>>;
    truncated: boolean;
  }>;

describe('list_events', () => {
  it('lists the primary calendar in a window, normalized, with the bearer token', async () => {
    const output = await list({ timeMin: '2026-11-22T00:00:00Z', timeMax: '2026-11-30T00:00:00Z' });
    expect(output).toEqual({
      truncated: false,
      events: [
        {
          id: 'standup1',
          title: 'Standup',
          description: 'Daily sync',
          start: '2026-11-23T09:00:00Z',
          end: '2026-11-23T09:15:00Z',
          timeZone: 'Europe/Paris',
          allDay: false,
          attendees: [
            { email: 'ada@example.com', name: 'Ada', type: 'required', response: 'organizer' },
            { email: 'bob@example.com', name: null, type: 'optional', response: 'needsAction' },
            { email: 'cy@example.com', name: null, type: 'required', response: 'tentative' },
            { email: 'room-4@resource.calendar.google.com', name: 'Room 4', type: 'resource', response: 'accepted' },
          ],
          location: 'Room 1',
          url: expect.stringMatching(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/),
          meetingUrl: 'https://meet.google.com/std-updx-abc',
          organizer: { email: 'ada@example.com', name: null },
          status: 'confirmed',
        },
        {
          id: 'offsite',
          title: 'Offsite',
          description: null,
          start: '2026-11-25',
          end: '2026-11-27',
          timeZone: 'Europe/London',
          allDay: true,
          attendees: [],
          location: null,
          url: expect.any(String),
          meetingUrl: null,
          organizer: { email: 'ada@example.com', name: null },
          status: 'confirmed',
        },
      ],
    });
    expect(google.requests).toHaveLength(1);
    const req = google.requests[0]!;
    const url = new URL(req.url, google.url);
    expect(url.pathname).toBe('/calendar/v3/calendars/primary/events');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      timeMin: '2026-11-22T00:00:00Z',
      timeMax: '2026-11-30T00:00:00Z',
      singleEvents: 'true',
      orderBy: 'startTime',
      maxResults: '250',
    });
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['user-agent']).toMatch(/google-api-nodejs-client/);
  });

  it('follows nextPageToken to the last page', async () => {
    const output = await list({ calendarId: 'team@group.calendar.google.com', maxEvents: 2500 });
    expect(output.events).toHaveLength(600);
    expect(output.truncated).toBe(false);
    expect(output.events.at(-1)).toMatchObject({ id: 'ev0599', title: 'Daily 599', timeZone: 'America/New_York' });
    const tokens = google.requests.map((r) => new URL(r.url, google.url).searchParams.get('pageToken'));
    expect(tokens).toEqual([null, expect.any(String), expect.any(String)]);
    expect(new URL(google.requests[0]!.url, google.url).pathname).toBe('/calendar/v3/calendars/team%40group.calendar.google.com/events');
  });

  it('stops at maxEvents and says the listing was truncated', async () => {
    const output = await list({ calendarId: 'team@group.calendar.google.com', maxEvents: 300 });
    expect(output.events).toHaveLength(300);
    expect(output.truncated).toBe(true);
    expect(google.requests.map((r) => new URL(r.url, google.url).searchParams.get('maxResults'))).toEqual(['250', '50']);
  });

  it('passes q and singleEvents=false (no orderBy then)', async () => {
    const output = await list({ q: 'standup', singleEvents: false });
    expect(output.events.map((e) => e.id)).toEqual(['standup1']);
    const params = new URL(google.requests[0]!.url, google.url).searchParams;
    expect(params.get('q')).toBe('standup');
    expect(params.get('singleEvents')).toBe('false');
    expect(params.has('orderBy')).toBe(false);
  });

  it('validates the window before calling Google', async () => {
    const err = await failureOf(list({ timeMin: '2026-11-30T00:00:00Z', timeMax: '2026-11-01T00:00:00Z' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues).toEqual([{ path: 'timeMax', message: 'timeMin must be before timeMax' }]);
    const noOffset = await failureOf(list({ timeMin: '2026-11-30T00:00:00' }));
    expect(noOffset.message).toMatch(/timeMin must be an RFC 3339 date-time with a time zone offset/);
    expect(google.requests).toHaveLength(0);
  });

  it('maps an expired token (401 authError) to AuthError', async () => {
    const err = await failureOf(list({}, 'ya29.expired'));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/answered 401: Request had invalid authentication credentials.*\(authError\)/);
  });

  it('maps 403 rateLimitExceeded and 429 to RateLimitError (Retry-After honoured), without gaxios retries', async () => {
    google.failNext('rate-limit-403', 2);
    const forbidden = await failureOf(list({}));
    expect(forbidden).toBeInstanceOf(RateLimitError);
    expect(forbidden.message).toContain('Rate Limit Exceeded (rateLimitExceeded)');
    expect(google.requests).toHaveLength(1);
    google.reset();
    google.failNext('rate-limit-429');
    const tooMany = await failureOf(list({}));
    expect(tooMany).toBeInstanceOf(RateLimitError);
    expect((tooMany as RateLimitError).retryAfterMs).toBe(7_000);
  });

  it('maps an unknown calendar (404) to PermanentError and 503 to TransientError', async () => {
    const missing = await failureOf(list({ calendarId: 'nobody@example.com' }));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toBe('GET /calendar/v3/calendars/nobody@example.com/events answered 404: Not Found (notFound)');
    google.failNext('server-error', 3);
    expect(await failureOf(list({}))).toBeInstanceOf(TransientError);
    expect(google.requests.filter((r) => r.url.includes('/primary/'))).toHaveLength(1);
  });
});
