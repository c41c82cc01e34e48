import { ActionInputError, AuthError, PermanentError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from '../fake-google-calendar.ts';
import plugin from '../index.ts';

const TOKEN = 'ya29.delete-event-token';
let google: FakeGoogleCalendar;

beforeAll(async () => {
  google = await startFakeGoogleCalendar({ tokens: [TOKEN], owner: 'ada@example.com' });
  google.state.calendars.get('ada@example.com')!.events.push(
    { id: 'gone1', summary: 'Cancelled meeting', start: { dateTime: '2026-11-23T09:00:00Z' }, end: { dateTime: '2026-11-23T10:00:00Z' } },
    { id: 'gone2', summary: 'Another', start: { dateTime: '2026-11-23T11:00:00Z' }, end: { dateTime: '2026-11-23T12:00:00Z' } },
  );
});
afterAll(() => google.close());
beforeEach(() => google.reset());

const remove = (input: unknown, accessToken = TOKEN) => runTestAction(plugin, 'delete_event', { mode: 'OAUTH2', credentials: { accessToken }, config: { baseUrl: google.url }, input });

describe('delete_event', () => {
  it('deletes the event (204) with the bearer token and sendUpdates', async () => {
    expect(await remove({ eventId: 'gone1', sendUpdates: 'all' })).toEqual({ id: 'gone1', deleted: true });
    const req = google.requests[0]!;
    expect(`${req.method} ${req.url}`).toBe('DELETE /calendar/v3/calendars/primary/events/gone1?sendUpdates=all');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(google.state.calendars.get('ada@example.com')!.events.map((e) => e.id)).toEqual(['gone2']);
  });

  it('treats an already deleted event (410) as deleted, so a retried run succeeds', async () => {
    expect(await remove({ eventId: 'gone1' })).toEqual({ id: 'gone1', deleted: true });
    expect(google.requests[0]!.method).toBe('DELETE');
  });

  it("fails an unknown event (404) with Google's message", async () => {
    const err = await failureOf(remove({ eventId: 'never-existed' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('DELETE /calendar/v3/calendars/primary/events/never-existed answered 404: Not Found (notFound)');
  });

  it('requires an event id', async () => {
    const err = await failureOf(remove({ calendarId: 'primary' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(['eventId']);
    expect(google.requests).toHaveLength(0);
  });

  it('maps 401 to AuthError and 503 to TransientError', async () => {
    expect(await failureOf(remove({ eventId: 'gone2' }, 'ya29.nope'))).toBeInstanceOf(AuthError);
    google.failNext('server-error');
    expect(await failureOf(remove({ eventId: 'gone2' }))).toBeInstanceOf(TransientError);
    expect(google.state.calendars.get('ada@example.com')!.events.map((e) => e.id)).toEqual(['gone2']);
  });
});
