import { ActionInputError, AuthError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from '../fake-google-calendar.ts';
import plugin from '../index.ts';

const TOKEN = 'ya29.free-busy-token';
let google: FakeGoogleCalendar;

beforeAll(async () => {
  google = await startFakeGoogleCalendar({ tokens: [TOKEN], owner: 'ada@example.com' });
  google.state.calendars.get('ada@example.com')!.events.push(
    { id: 'a1', summary: 'Focus', start: { dateTime: '2026-11-23T09:00:00Z' }, end: { dateTime: '2026-11-23T11:00:00Z' } },
    { id: 'a2', summary: 'Lunch', start: { dateTime: '2026-11-23T12:00:00Z' }, end: { dateTime: '2026-11-23T13:00:00Z' } },
    { id: 'a3', summary: 'Tomorrow', start: { dateTime: '2026-11-24T12:00:00Z' }, end: { dateTime: '2026-11-24T13:00:00Z' } },
  );
  google.state.calendars.set('bob@example.com', { timeZone: 'UTC', events: [{ id: 'b1', start: { dateTime: '2026-11-23T08:30:00Z' }, end: { dateTime: '2026-11-23T09:30:00Z' } }] });
});
afterAll(() => google.close());
beforeEach(() => google.reset());

const freeBusy = (input: unknown, accessToken = TOKEN) => runTestAction(plugin, 'free_busy', { mode: 'OAUTH2', credentials: { accessToken }, config: { baseUrl: google.url }, input });

describe('free_busy', () => {
  it('returns busy intervals per calendar, in the order asked, and notFound for an unreadable one', async () => {
    const output = await freeBusy({ calendars: ['primary', 'bob@example.com', 'ghost@example.com'], timeMin: '2026-11-23T00:00:00Z', timeMax: '2026-11-24T00:00:00Z', timeZone: 'UTC' });
    expect(output).toEqual({
      calendars: [
        {
          id: 'primary',
          busy: [
            { start: '2026-11-23T09:00:00Z', end: '2026-11-23T11:00:00Z', status: 'busy' },
            { start: '2026-11-23T12:00:00Z', end: '2026-11-23T13:00:00Z', status: 'busy' },
          ],
          availabilityView: null,
          errors: [],
        },
        { id: 'bob@example.com', busy: [{ start: '2026-11-23T08:30:00Z', end: '2026-11-23T09:30:00Z', status: 'busy' }], availabilityView: null, errors: [] },
        { id: 'ghost@example.com', busy: [], availabilityView: null, errors: ['notFound'] },
      ],
    });
    const req = google.requests[0]!;
    expect(`${req.method} ${req.url}`).toBe('POST /calendar/v3/freeBusy');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.json).toEqual({
      timeMin: '2026-11-23T00:00:00Z',
      timeMax: '2026-11-24T00:00:00Z',
      timeZone: 'UTC',
      items: [{ id: 'primary' }, { id: 'bob@example.com' }, { id: 'ghost@example.com' }],
    });
  });

  it('defaults to the primary calendar', async () => {
    const output = (await freeBusy({ timeMin: '2026-11-24T00:00:00Z', timeMax: '2026-11-25T00:00:00Z' })) as { calendars: unknown[] };
    expect(output.calendars).toEqual([{ id: 'primary', busy: [{ start: '2026-11-24T12:00:00Z', end: '2026-11-24T13:00:00Z', status: 'busy' }], availabilityView: null, errors: [] }]);
  });

  it('validates the window and the number of calendars before calling Google', async () => {
    const err = await failureOf(freeBusy({ calendars: [], timeMin: '2026-11-24T00:00:00Z', timeMax: '2026-11-23T00:00:00Z' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['calendars: name at least one calendar', 'timeMax: timeMin must be before timeMax']);
    const backwards = await failureOf(freeBusy({ timeMin: '2026-11-24T00:00:00Z', timeMax: '2026-11-23T00:00:00Z' }));
    expect((backwards as ActionInputError).issues).toEqual([{ path: 'timeMax', message: 'timeMin must be before timeMax' }]);
    const tooMany = await failureOf(freeBusy({ calendars: Array.from({ length: 51 }, (_, i) => `p${i}@example.com`), timeMin: '2026-11-23T00:00:00Z', timeMax: '2026-11-24T00:00:00Z' }));
    expect(tooMany.message).toContain('at most 50 calendars per query');
    expect(google.requests).toHaveLength(0);
  });

  it('maps a bad token to AuthError', async () => {
    expect(await failureOf(freeBusy({ timeMin: '2026-11-23T00:00:00Z', timeMax: '2026-11-24T00:00:00Z' }, 'ya29.bad'))).toBeInstanceOf(AuthError);
  });
});
