// Google Calendar end to end: an OAUTH2 connection made through the real flow (startOAuth →
// consent → /oauth/callback → token exchange) against a fake Google that also serves Calendar
// v3; create_event / list_events / free_busy / delete_event through runAction → Temporal → the
// plugin → @googleapis/calendar → the fake; a revoked access token refreshed by the hub on
// AuthError; and no token anywhere in GraphQL responses or the logs.
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCalendarRequest, newCalendarState } from '../../../plugins/google-calendar/src/fake-google-calendar.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';
import { connectOAuth, fakeOAuthRoutes, type FakeTokens } from './oauth-connect.ts';

const FIRST_TOKEN = 'ya29.e2e-first-access-token-7f6e5d';
const SECOND_TOKEN = 'ya29.e2e-refreshed-access-token-4c3b2a';
const REFRESH_TOKEN = '1//e2e-google-refresh-token-9a8b7c';

const TestConnection = `mutation($id: ID!) { testConnection(id: $id) { ok message } }`;
const ConnectionQuery = `query($id: ID!) { connection(id: $id) { id status authMode config lastError } }`;

let hub: TestHub;
let org: TestOrg;
let google: FakeServer;
let connectionId: string;
const calendar = newCalendarState({ tokens: [FIRST_TOKEN], owner: 'ada@example.com', timeZone: 'Europe/London' });
let tokens: FakeTokens = { accessToken: FIRST_TOKEN, refreshToken: REFRESH_TOKEN, scope: 'https://www.googleapis.com/auth/calendar' };
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

const calendarRequests = () => google.requests.filter((r) => r.url.startsWith('/calendar/v3/'));

beforeAll(async () => {
  google = await startFakeServer((req) => fakeOAuthRoutes(req, tokens) ?? handleCalendarRequest(calendar, req) ?? { status: 404, json: { error: { code: 404, message: 'Not Found' } } });
  calendar.calendars.set('bob@example.com', { timeZone: 'UTC', events: [{ id: 'bob1', start: { dateTime: '2026-11-23T13:00:00Z' }, end: { dateTime: '2026-11-23T14:00:00Z' } }] });
  hub = await TestHub.start();
  org = await hub.createOrg('gcal');
  connectionId = await connectOAuth(hub, org, { integrationKey: 'google-calendar', providerUrl: google.url, name: 'Ada’s calendar' });
});

afterAll(async () => {
  await stopHub();
  await google?.close();
});

describe('Google Calendar through the hub', () => {
  it('connected through OAuth with PKCE, offline access and consent; testConnection lists one calendar', async () => {
    const authorize = google.requests.find((r) => r.url.startsWith('/oauth/authorize'))!;
    const params = new URL(authorize.url, google.url).searchParams;
    expect(params.get('access_type')).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('scope')).toBe('https://www.googleapis.com/auth/calendar');
    const { connection } = await gql<{ connection: { status: string; authMode: string } }>(ConnectionQuery, { id: connectionId });
    expect(connection).toMatchObject({ status: 'ACTIVE', authMode: 'OAUTH2' });
    const { testConnection } = await gql<{ testConnection: { ok: boolean; message: string } }>(TestConnection, { id: connectionId });
    expect(testConnection).toEqual({ ok: true, message: 'Calendar access works (primary: ada@example.com)' });
    const listed = calendarRequests().at(-1)!;
    expect(`${listed.method} ${listed.url} ${listed.headers.authorization}`).toBe(`GET /calendar/v3/users/me/calendarList?maxResults=1 Bearer ${FIRST_TOKEN}`);
  });

  let eventId: string;
  it('runs create_event: SUCCEEDED with the normalized event, the fake got the event', async () => {
    const before = calendarRequests().length;
    const run = await runToEnd(connectionId, 'create_event', {
      summary: 'Quarterly planning',
      start: '2026-11-23T10:00:00',
      end: '2026-11-23T11:30:00',
      timeZone: 'Europe/London',
      attendees: ['bob@example.com'],
      conference: true,
      sendUpdates: 'all',
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({
      title: 'Quarterly planning',
      start: '2026-11-23T10:00:00',
      timeZone: 'Europe/London',
      attendees: [{ email: 'bob@example.com', type: 'required', response: 'needsAction' }],
      meetingUrl: 'https://meet.google.com/abc-defg-hij',
    });
    eventId = (run.output as { id: string }).id;
    const upstream = calendarRequests().slice(before);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.url).toBe('/calendar/v3/calendars/primary/events?sendUpdates=all&conferenceDataVersion=1');
    expect(upstream[0]!.headers.authorization).toBe(`Bearer ${FIRST_TOKEN}`);
    expect(calendar.calendars.get('ada@example.com')!.events.map((e) => e.summary)).toEqual(['Quarterly planning']);
  });

  it('runs free_busy across two calendars', async () => {
    const run = await runToEnd(connectionId, 'free_busy', { calendars: ['primary', 'bob@example.com'], timeMin: '2026-11-23T00:00:00Z', timeMax: '2026-11-24T00:00:00Z' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toEqual({
      calendars: [
        { id: 'primary', busy: [{ start: '2026-11-23T10:00:00Z', end: '2026-11-23T11:30:00Z', status: 'busy' }], availabilityView: null, errors: [] },
        { id: 'bob@example.com', busy: [{ start: '2026-11-23T13:00:00Z', end: '2026-11-23T14:00:00Z', status: 'busy' }], availabilityView: null, errors: [] },
      ],
    });
  });

  it('refreshes a revoked access token on AuthError, then list_events succeeds with the new one', async () => {
    calendar.tokens.delete(FIRST_TOKEN);
    calendar.tokens.add(SECOND_TOKEN);
    tokens = { ...tokens, accessToken: SECOND_TOKEN };
    const before = google.requests.length;
    const run = await runToEnd(connectionId, 'list_events', { timeMin: '2026-11-23T00:00:00Z', timeMax: '2026-11-24T00:00:00Z' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ truncated: false, events: [{ id: eventId, title: 'Quarterly planning' }] });
    const upstream = google.requests.slice(before);
    const refresh = upstream.find((r) => r.url === '/oauth/token');
    expect(refresh).toBeDefined();
    expect(new URLSearchParams(refresh!.body).get('grant_type')).toBe('refresh_token');
    const lists = upstream.filter((r) => r.url.startsWith('/calendar/v3/calendars/primary/events'));
    expect(lists.map((r) => r.headers.authorization)).toEqual([`Bearer ${FIRST_TOKEN}`, `Bearer ${SECOND_TOKEN}`]);
  });

  it('runs delete_event', async () => {
    const run = await runToEnd(connectionId, 'delete_event', { eventId });
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { id: eventId, deleted: true } });
    expect(calendar.calendars.get('ada@example.com')!.events).toEqual([]);
    expect(calendarRequests().at(-1)!.method).toBe('DELETE');
  });

  it('never shows a token or the client secret in GraphQL responses or the logs', () => {
    expect(hub.logs.length).toBeGreaterThan(0);
    for (const secret of [FIRST_TOKEN, SECOND_TOKEN, REFRESH_TOKEN, 'fake-client-secret']) {
      expect(JSON.stringify(responses)).not.toContain(secret);
      expect(hub.logs.join('\n')).not.toContain(secret);
    }
  });
});
