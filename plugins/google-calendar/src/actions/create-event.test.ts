import { ActionInputError, AuthError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from '../fake-google-calendar.ts';
import plugin from '../index.ts';

const TOKEN = 'ya29.create-event-token';
let google: FakeGoogleCalendar;

beforeAll(async () => {
  google = await startFakeGoogleCalendar({ tokens: [TOKEN], owner: 'ada@example.com' });
});
afterAll(() => google.close());
beforeEach(() => google.reset());

const create = (input: unknown, accessToken = TOKEN) => runTestAction(plugin, 'create_event', { mode: 'OAUTH2', credentials: { accessToken }, config: { baseUrl: google.url }, input });

describe('create_event', () => {
  it('creates an event with attendees, a Meet link and invitations, and returns it normalized', async () => {
    const output = (await create({
      summary: 'Design review',
      description: 'Agenda: …',
      start: '2026-11-23T14:00:00',
      end: '2026-11-23T15:00:00',
      timeZone: 'Europe/Paris',
      attendees: ['bob@example.com', 'cy@example.com'],
      location: 'Room 4',
      conference: true,
      sendUpdates: 'all',
    })) as Record<string, unknown>;
    expect(output).toMatchObject({
      title: 'Design review',
      start: '2026-11-23T14:00:00',
      end: '2026-11-23T15:00:00',
      description: 'Agenda: …',
      timeZone: 'Europe/Paris',
      allDay: false,
      attendees: [
        { email: 'bob@example.com', name: null, type: 'required', response: 'needsAction' },
        { email: 'cy@example.com', name: null, type: 'required', response: 'needsAction' },
      ],
      location: 'Room 4',
      url: expect.stringMatching(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/),
      meetingUrl: 'https://meet.google.com/abc-defg-hij',
      organizer: { email: 'ada@example.com', name: null },
      status: 'confirmed',
    });
    expect(output.id).toMatch(/^[a-v0-9]{5,}$/);
    const req = google.requests[0]!;
    const url = new URL(req.url, google.url);
    expect(`${req.method} ${url.pathname}`).toBe('POST /calendar/v3/calendars/primary/events');
    expect(Object.fromEntries(url.searchParams)).toEqual({ sendUpdates: 'all', conferenceDataVersion: '1' });
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.json).toEqual({
      summary: 'Design review',
      description: 'Agenda: …',
      location: 'Room 4',
      start: { dateTime: '2026-11-23T14:00:00', timeZone: 'Europe/Paris' },
      end: { dateTime: '2026-11-23T15:00:00', timeZone: 'Europe/Paris' },
      attendees: [{ email: 'bob@example.com' }, { email: 'cy@example.com' }],
      conferenceData: { createRequest: { requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), conferenceSolutionKey: { type: 'hangoutsMeet' } } },
    });
  });

  it('creates a plain event with offsets, sending no invitations by default', async () => {
    const output = (await create({ calendarId: 'ada@example.com', summary: 'Call', start: '2026-11-23T09:00:00+01:00', end: '2026-11-23T09:30:00+01:00' })) as Record<string, unknown>;
    expect(output).toMatchObject({ title: 'Call', description: null, attendees: [], location: null, meetingUrl: null, timeZone: 'UTC' });
    const req = google.requests[0]!;
    expect(Object.fromEntries(new URL(req.url, google.url).searchParams)).toEqual({ sendUpdates: 'none' });
    expect(req.json).toEqual({ summary: 'Call', start: { dateTime: '2026-11-23T09:00:00+01:00' }, end: { dateTime: '2026-11-23T09:30:00+01:00' } });
    expect(google.state.calendars.get('ada@example.com')!.events.map((e) => e.summary)).toContain('Call');
  });

  it('validates times, zone, attendees and sendUpdates before calling Google', async () => {
    const err = await failureOf(create({ summary: '', start: '2026-11-23T10:00:00', end: 'tomorrow', timeZone: 'Mars/Olympus', attendees: ['not-an-email'], sendUpdates: 'everyone' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(['summary', 'end', 'timeZone', 'attendees.0', 'sendUpdates']);
    const noZone = await failureOf(create({ summary: 'x', start: '2026-11-23T10:00:00', end: '2026-11-23T11:00:00' }));
    expect((noZone as ActionInputError).issues).toEqual([
      { path: 'start', message: 'start has no offset: add one (e.g. +01:00) or give timeZone' },
      { path: 'end', message: 'end has no offset: add one (e.g. +01:00) or give timeZone' },
    ]);
    const backwards = await failureOf(create({ summary: 'x', start: '2026-11-23T11:00:00Z', end: '2026-11-23T10:00:00Z' }));
    expect((backwards as ActionInputError).issues).toEqual([{ path: 'end', message: 'end must be after start' }]);
    expect(google.requests).toHaveLength(0);
  });

  it('maps Google errors: 401 → AuthError, 404 calendar → PermanentError, 403 rateLimitExceeded → RateLimitError', async () => {
    const input = { summary: 'x', start: '2026-11-23T10:00:00Z', end: '2026-11-23T11:00:00Z' };
    expect(await failureOf(create(input, 'ya29.revoked'))).toBeInstanceOf(AuthError);
    const missing = await failureOf(create({ ...input, calendarId: 'nope@example.com' }));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toContain('answered 404: Not Found (notFound)');
    google.failNext('rate-limit-403');
    expect(await failureOf(create(input))).toBeInstanceOf(RateLimitError);
  });
});
