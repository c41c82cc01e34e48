// Microsoft Teams end to end: an OAUTH2 connection made through the real flow against the fake
// Graph (its /oauth routes standing in for login.microsoftonline.com), then post_channel_message
// through GraphQL → Temporal → the plugin → the Graph SDK → the fake. The token is checked
// against every GraphQL answer and every log line.
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTeamsState, fakeTeamsGraph } from '../../../plugins/teams/src/fake-graph.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';
import { connectOAuth, fakeOAuthRoutes } from './oauth-connect.ts';

const CONNECTION = `query TeamsConnection($id: ID!) { connection(id: $id) { id status authMode config } }`;

const TEAM = '02bd9fd6-8f93-4758-87c3-1fb73740a315';
const CHANNEL = '19:mark80@thread.tacv2';

let hub: TestHub;
let org: TestOrg;
let provider: FakeServer;
const graph = fakeTeamsGraph({ ...defaultTeamsState(), accessToken: 'eyJ0eXAiOiJKV1Qi.teams-e2e-access-token-5b1f0c' });
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  provider = await startFakeServer((req) => fakeOAuthRoutes(req, { accessToken: graph.state.accessToken, refreshToken: 'teams-e2e-refresh-token-77a2', scope: 'ChannelMessage.Send offline_access' }) ?? graph.handle(req));
  hub = await TestHub.start();
  org = await hub.createOrg('teams');
});

afterAll(async () => {
  await stopHub();
  await provider?.close();
});

describe('teams through the hub', () => {
  it('connects with OAuth and posts a channel message with an Adaptive Card', async () => {
    const connectionId = await connectOAuth(hub, org, { integrationKey: 'teams', providerUrl: provider.url, config: { baseUrl: `${provider.url}/v1.0`, tenant: 'contoso.onmicrosoft.com' } });
    const connection = await gql<{ connection: { status: string; authMode: string; config: Record<string, unknown> } }>(CONNECTION, { id: connectionId });
    expect(connection.connection).toMatchObject({ status: 'ACTIVE', authMode: 'OAUTH2', config: { tenant: 'contoso.onmicrosoft.com' } });
    // PKCE on the authorize redirect, and the code went back to the token endpoint with its verifier.
    const authorize = new URL(provider.requests.find((r) => r.url.startsWith('/oauth/authorize'))!.url, provider.url);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(provider.requests.find((r) => r.url === '/oauth/token')!.body).toContain('code_verifier=');

    const card = { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'Release 2.3 is out' }] };
    const run = await runToEnd<Record<string, unknown>>(connectionId, 'post_channel_message', { team_id: TEAM, channel_id: CHANNEL, content: '<p>Shipped</p>', adaptive_cards: [card] });
    expect(run).toMatchObject({ status: 'SUCCEEDED', error: null, attempts: 1, output: { id: expect.any(String), team_id: TEAM, channel_id: CHANNEL } });
    expect(String(run.output.web_url)).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/message\//);

    const posted = provider.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/messages'));
    expect(posted).toHaveLength(1);
    expect(posted[0]!.url).toBe(`/v1.0/teams/${TEAM}/channels/${encodeURIComponent(CHANNEL)}/messages`);
    expect(posted[0]!.headers.authorization).toBe(`Bearer ${graph.state.accessToken}`);
    const body = posted[0]!.json as { body: { contentType: string; content: string }; attachments: Array<{ id: string; contentType: string; content: string }> };
    expect(body.body).toEqual({ contentType: 'html', content: `<p>Shipped</p><attachment id="${body.attachments[0]!.id}"></attachment>` });
    expect(body.attachments[0]).toMatchObject({ contentType: 'application/vnd.microsoft.card.adaptive' });
    expect(JSON.parse(body.attachments[0]!.content)).toEqual(card);
    expect(graph.state.messages).toHaveLength(1);
  });

  it('never shows the access or refresh token in GraphQL answers or logs', () => {
    expect(responses.length).toBeGreaterThan(0);
    expect(hub.logs.length).toBeGreaterThan(0);
    for (const secret of [graph.state.accessToken, 'teams-e2e-refresh-token-77a2']) {
      expect(JSON.stringify(responses)).not.toContain(secret);
      expect(hub.logs.join('\n')).not.toContain(secret);
    }
  });
});
