// Outlook Calendar end to end: an OAUTH2 connection made through the real flow against the fake
// Graph (its /oauth routes standing in for login.microsoftonline.com), then create_event through
// GraphQL → Temporal → the plugin → the Graph SDK → the fake. The token is checked against every
// GraphQL answer and every log line.
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCalendarState, fakeCalendarGraph } from '../../../plugins/outlook-calendar/src/fake-graph.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';
import { connectOAuth, fakeOAuthRoutes } from './oauth-connect.ts';

const CONNECTION = `query OutlookConnection($id: ID!) { connection(id: $id) { id status authMode config } }`;
const REFRESH_TOKEN = 'outlook-e2e-refresh-token-0c9d';

let hub: TestHub;
let org: TestOrg;
let provider: FakeServer;
const graph = fakeCalendarGraph({ ...defaultCalendarState(), accessToken: 'eyJ0eXAiOiJKV1Qi.outlook-e2e-access-token-93be41' });
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  provider = await startFakeServer((req) => fakeOAuthRoutes(req, { accessToken: graph.state.accessToken, refreshToken: REFRESH_TOKEN, scope: 'Calendars.ReadWrite offline_access' }) ?? graph.handle(req));
  hub = await TestHub.start();
  org = await hub.createOrg('outlook');
});

afterAll(async () => {
  await stopHub();
  await provider?.close();
});

describe('outlook-calendar through the hub', () => {
  it('connects with OAuth and creates an event with attendees and a Teams meeting', async () => {
    const connectionId = await connectOAuth(hub, org, { integrationKey: 'outlook-calendar', providerUrl: provider.url, config: { baseUrl: `${provider.url}/v1.0` } });
    const connection = await gql<{ connection: { status: string; authMode: string; config: Record<string, unknown> } }>(CONNECTION, { id: connectionId });
    expect(connection.connection).toMatchObject({ status: 'ACTIVE', authMode: 'OAUTH2', config: { baseUrl: `${provider.url}/v1.0` } });

    const run = await runToEnd(connectionId, 'create_event', {
      summary: 'Contract review',
      description: 'Bring the redlines',
      start: '2026-02-03T15:00:00',
      end: '2026-02-03T16:00:00',
      timeZone: 'America/Los_Angeles',
      attendees: [{ email: 'AdeleV@contoso.onmicrosoft.com', name: 'Adele Vance' }],
      location: 'Room 1',
      onlineMeeting: true,
    });
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      error: null,
      attempts: 1,
      output: {
        id: expect.stringMatching(/^AAMkNew/),
        title: 'Contract review',
        description: 'Bring the redlines',
        start: '2026-02-03T15:00:00-08:00',
        end: '2026-02-03T16:00:00-08:00',
        timeZone: 'America/Los_Angeles',
        location: 'Room 1',
        attendees: [{ email: 'AdeleV@contoso.onmicrosoft.com', name: 'Adele Vance', type: 'required', response: 'needsAction' }],
        meetingUrl: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\/l\/meetup-join\//),
        url: expect.stringMatching(/^https:\/\/outlook\.office365\.com\/owa\//),
      },
    });

    const created = provider.requests.filter((r) => r.method === 'POST' && r.url === '/v1.0/me/events');
    expect(created).toHaveLength(1);
    expect(created[0]!.headers.authorization).toBe(`Bearer ${graph.state.accessToken}`);
    expect(created[0]!.headers.prefer).toBe('outlook.timezone="America/Los_Angeles"');
    expect(created[0]!.json).toMatchObject({
      subject: 'Contract review',
      body: { contentType: 'Text', content: 'Bring the redlines' },
      start: { dateTime: '2026-02-03T15:00:00', timeZone: 'America/Los_Angeles' },
      end: { dateTime: '2026-02-03T16:00:00', timeZone: 'America/Los_Angeles' },
      isOnlineMeeting: true,
      onlineMeetingProvider: 'teamsForBusiness',
    });
    expect(new Date(graph.state.events.at(-1)!.startMs).toISOString()).toBe('2026-02-03T23:00:00.000Z');
  });

  it('never shows the access or refresh token in GraphQL answers or logs', () => {
    expect(responses.length).toBeGreaterThan(0);
    expect(hub.logs.length).toBeGreaterThan(0);
    for (const secret of [graph.state.accessToken, REFRESH_TOKEN]) {
      expect(JSON.stringify(responses)).not.toContain(secret);
      expect(hub.logs.join('\n')).not.toContain(secret);
    }
  });
});
