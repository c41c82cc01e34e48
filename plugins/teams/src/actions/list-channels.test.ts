import { ActionInputError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeTeams } from '../fake-graph.ts';
import teams from '../index.ts';

const fake = useFakeTeams(teams);

const TEAM = '02bd9fd6-8f93-4758-87c3-1fb73740a315';
type Out = { channels: Array<{ id: string; name: string; membership_type: string; email: string | null; web_url: string }>; truncated: boolean };
const list = (input: unknown, baseUrl = fake.baseUrl) =>
  runTestAction(teams, 'list_channels', { mode: 'OAUTH2', credentials: { accessToken: fake.state.accessToken }, config: { baseUrl }, input }) as Promise<Out>;

describe('list_channels', () => {
  it('follows @odata.nextLink to the end', async () => {
    const out = await list({ team_id: TEAM });
    expect(out.truncated).toBe(false);
    expect(out.channels.map((c) => c.name)).toEqual(['General', 'Channel 1', 'Channel 2', 'Channel 3', 'Channel 4']);
    expect(out.channels[0]).toEqual({
      id: '19:mark80@thread.tacv2',
      name: 'General',
      description: 'The default channel',
      membership_type: 'standard',
      email: 'general.mark8@contoso.onmicrosoft.com',
      web_url: expect.stringMatching(/^https:\/\/teams\.microsoft\.com\/l\/channel\//),
      created_at: '2025-11-01T08:00:00Z',
    });
    expect(out.channels[4]).toMatchObject({ membership_type: 'private', email: null });
    expect(fake.server.requests.map((r) => r.url)).toEqual([
      `/v1.0/teams/${TEAM}/channels`,
      `/v1.0/teams/${TEAM}/channels?%24skiptoken=2`,
      `/v1.0/teams/${TEAM}/channels?%24skiptoken=4`,
    ]);
    for (const req of fake.server.requests) expect(req.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
  });

  it('follows next links on the configured baseUrl even when Graph names another host', async () => {
    // A proxy in front of Graph: the next links name graph.microsoft.com, the token stays with the proxy.
    const proxy = fake.handle;
    const front = await startFakeServer((req) => {
      const answer = proxy(req);
      const body = answer.json as { '@odata.nextLink'?: string } | undefined;
      if (body?.['@odata.nextLink']) body['@odata.nextLink'] = body['@odata.nextLink'].replace(/^http:\/\/[^/]+/, 'https://graph.microsoft.com');
      return answer;
    });
    try {
      const out = await list({ team_id: TEAM }, `${front.url}/v1.0`);
      expect(out.channels).toHaveLength(5);
      expect(front.requests.map((r) => r.url)).toEqual([`/v1.0/teams/${TEAM}/channels`, `/v1.0/teams/${TEAM}/channels?%24skiptoken=2`, `/v1.0/teams/${TEAM}/channels?%24skiptoken=4`]);
    } finally {
      await front.close();
    }
  });

  it('caps the pages at max_results and reports truncation', async () => {
    const out = await list({ team_id: TEAM, max_results: 3 });
    expect(out.channels.map((c) => c.name)).toEqual(['General', 'Channel 1', 'Channel 2']);
    expect(out.truncated).toBe(true);
    expect(fake.server.requests).toHaveLength(2);
  });

  it('filters by name prefix with an encoded $filter', async () => {
    const out = await list({ team_id: TEAM, name_starts_with: 'Channel' });
    expect(out.channels.map((c) => c.name)).toEqual(['Channel 1', 'Channel 2', 'Channel 3', 'Channel 4']);
    const sent = new URL(fake.server.requests[0]!.url, fake.server.url);
    expect(sent.pathname).toBe(`/v1.0/teams/${TEAM}/channels`);
    expect(sent.searchParams.get('$filter')).toBe("startswith(displayName,'Channel')");
  });

  it('fails on a throttled second page with the Retry-After delay', async () => {
    fake.state.pageSize = 4;
    const original = fake.handle;
    let calls = 0;
    const flaky = await startFakeServer((req) => {
      calls++;
      if (calls === 2) fake.state.throttled = 1;
      return original(req);
    });
    try {
      const err = await failureOf(list({ team_id: TEAM }, `${flaky.url}/v1.0`));
      expect(err).toBeInstanceOf(RateLimitError);
      expect((err as RateLimitError).retryAfterMs).toBe(7_000);
      expect(flaky.requests).toHaveLength(2);
    } finally {
      await flaky.close();
    }
  });

  it("fails permanently with Graph's message for an unknown team, and validates input", async () => {
    const err = await failureOf(list({ team_id: 'no-such-team' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('answered 404: No team found with Group Id no-such-team (NotFound)');
    const bad = await failureOf(list({ max_results: 0 }));
    expect(bad).toBeInstanceOf(ActionInputError);
    expect((bad as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['max_results', 'team_id']);
  });
});
