import { ActionInputError, RateLimitError } from '@patchbay/sdk';
import { failureOf } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeCalendar } from '../fake-graph.ts';
import outlook from '../index.ts';

const fake = useFakeCalendar(outlook);

const freeBusy = (input: unknown) => fake.run('free_busy', input) as Promise<{ calendars: Array<Record<string, any>> }>;

describe('free_busy', () => {
  it('posts getSchedule in UTC and normalizes busy intervals per person', async () => {
    const out = await freeBusy({
      calendars: ['MeganB@contoso.onmicrosoft.com', 'AdeleV@contoso.onmicrosoft.com', 'ghost@contoso.onmicrosoft.com'],
      timeMin: '2026-01-12T09:00:00+01:00',
      timeMax: '2026-01-15T00:00:00Z',
      intervalMinutes: 60,
    });
    const [req] = fake.server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('/v1.0/me/calendar/getSchedule');
    expect(req!.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
    expect(req!.headers.prefer).toBe('outlook.timezone="UTC"');
    expect(req!.json).toEqual({
      schedules: ['MeganB@contoso.onmicrosoft.com', 'AdeleV@contoso.onmicrosoft.com', 'ghost@contoso.onmicrosoft.com'],
      startTime: { dateTime: '2026-01-12T08:00:00', timeZone: 'UTC' },
      endTime: { dateTime: '2026-01-15T00:00:00', timeZone: 'UTC' },
      availabilityViewInterval: 60,
    });
    const [megan, adele, ghost] = out.calendars;
    expect(megan!.id).toBe('MeganB@contoso.onmicrosoft.com');
    // Lunch is "free" and is left out; the offsite is "oof".
    expect(megan!.busy).toEqual([
      { start: '2026-01-12T09:00:00Z', end: '2026-01-12T09:15:00Z', status: 'busy' },
      { start: '2026-01-12T13:00:00Z', end: '2026-01-12T14:00:00Z', status: 'tentative' },
      { start: '2026-01-14T08:00:00Z', end: '2026-01-14T16:00:00Z', status: 'oof' },
      { start: '2026-01-14T10:00:00Z', end: '2026-01-14T11:00:00Z', status: 'busy' },
    ]);
    expect(megan!.availabilityView).toHaveLength(64);
    expect(megan!.availabilityView!.slice(0, 6)).toBe('020001');
    expect(megan!.errors).toEqual([]);
    expect(adele!.busy.map((b: { status: string }) => b.status)).toEqual(['busy', 'tentative']);
    expect(ghost).toEqual({ id: 'ghost@contoso.onmicrosoft.com', busy: [], availabilityView: '', errors: ['ErrorMailRecipientNotFound: The user or group was not found in the directory.'] });
  });

  it('reads "primary" (the default) as the signed-in user', async () => {
    const out = await freeBusy({ timeMin: '2026-01-12T00:00:00Z', timeMax: '2026-01-13T00:00:00Z' });
    expect(fake.server.requests.map((r) => r.url)).toEqual(['/v1.0/me?$select=mail,userPrincipalName', '/v1.0/me/calendar/getSchedule']);
    expect((fake.server.requests[1]!.json as { schedules: string[] }).schedules).toEqual(['MeganB@contoso.onmicrosoft.com']);
    expect(out.calendars).toHaveLength(1);
    expect(out.calendars[0]).toMatchObject({ id: 'primary', errors: [] });
    expect(out.calendars[0]!.busy.map((b: { status: string }) => b.status)).toEqual(['busy', 'tentative']);
  });

  it('validates emails and the window', async () => {
    const err = await failureOf(freeBusy({ calendars: ['nope'], timeMin: '2026-01-12T00:00:00Z', timeMax: '2026-04-12T00:00:00Z', intervalMinutes: 1 }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['calendars.0', 'intervalMinutes', 'timeMax']);
    const long = await failureOf(freeBusy({ calendars: ['a@b.co'], timeMin: '2026-01-12T00:00:00Z', timeMax: '2026-04-12T00:00:00Z' }));
    expect((long as ActionInputError).issues).toEqual([{ path: 'timeMax', message: 'the window can be at most 62 days' }]);
    expect(await failureOf(freeBusy({ calendars: [], timeMin: '2026-01-12T00:00:00Z', timeMax: '2026-01-11T00:00:00Z' }))).toBeInstanceOf(ActionInputError);
    expect(fake.server.requests).toHaveLength(0);
  });

  it('maps 429 with Retry-After', async () => {
    fake.state.throttled = 1;
    const err = await failureOf(freeBusy({ calendars: ['AdeleV@contoso.onmicrosoft.com'], timeMin: '2026-01-12T00:00:00Z', timeMax: '2026-01-13T00:00:00Z' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(12_000);
    expect(err.message).toContain('Application is over its MailboxConcurrency limit. (ApplicationThrottled)');
  });
});
