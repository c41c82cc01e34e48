import { ActionInputError, AuthError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeTeams } from '../fake-graph.ts';
import teams from '../index.ts';

const fake = useFakeTeams(teams);

const TEAM = '02bd9fd6-8f93-4758-87c3-1fb73740a315';
const CHANNEL = '19:mark80@thread.tacv2';
const post = (input: unknown, accessToken?: string) => fake.run('post_channel_message', input, accessToken);

describe('post_channel_message', () => {
  it('posts HTML to the channel with the bearer token and returns the message', async () => {
    const out = await post({ team_id: TEAM, channel_id: CHANNEL, content: '<b>Build</b> passed', subject: 'CI' });
    expect(out).toMatchObject({ team_id: TEAM, channel_id: CHANNEL, created_at: '2026-01-15T09:30:00.000Z' });
    expect((out as { web_url: string }).web_url).toMatch(/^https:\/\/teams\.microsoft\.com\/l\/message\//);
    const [req] = fake.server.requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe(`/v1.0/teams/${TEAM}/channels/${encodeURIComponent(CHANNEL)}/messages`);
    expect(req!.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.json).toEqual({ subject: 'CI', body: { contentType: 'html', content: '<b>Build</b> passed' } });
    expect(fake.state.messages).toHaveLength(1);
  });

  it('sends plain text as contentType text', async () => {
    await post({ team_id: TEAM, channel_id: CHANNEL, content: 'a < b', content_type: 'text' });
    expect(fake.server.requests[0]!.json).toEqual({ body: { contentType: 'text', content: 'a < b' } });
  });

  it('attaches Adaptive Cards as JSON strings referenced by <attachment> markers in an HTML body', async () => {
    const card = { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'Deploy v2?' }] };
    const card2 = { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'Second' }] };
    await post({ team_id: TEAM, channel_id: CHANNEL, content: 'Fish & chips\nplease', content_type: 'text', adaptive_cards: [card, card2] });
    const sent = fake.server.requests[0]!.json as { body: { contentType: string; content: string }; attachments: Array<{ id: string; contentType: string; content: string }> };
    expect(sent.attachments).toHaveLength(2);
    const [a, b] = sent.attachments;
    expect(a!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.parse(a!.content)).toEqual(card);
    expect(JSON.parse(b!.content)).toEqual(card2);
    expect(a!.id).not.toBe(b!.id);
    expect(sent.body).toEqual({ contentType: 'html', content: `Fish &#38; chips<br>please<attachment id="${a!.id}"></attachment><attachment id="${b!.id}"></attachment>` });
    expect(fake.state.messages[0]!.attachments).toHaveLength(2);
  });

  it('posts a card alone, with only the marker as body', async () => {
    await post({ team_id: TEAM, channel_id: CHANNEL, adaptive_cards: [{ type: 'AdaptiveCard', version: '1.4', body: [] }] });
    const sent = fake.server.requests[0]!.json as { body: { content: string }; attachments: Array<{ id: string }> };
    expect(sent.body.content).toBe(`<attachment id="${sent.attachments[0]!.id}"></attachment>`);
  });

  it('rejects bad input before calling Graph', async () => {
    const noContent = await failureOf(post({ team_id: TEAM, channel_id: CHANNEL }));
    expect(noContent).toBeInstanceOf(ActionInputError);
    expect((noContent as ActionInputError).issues.map((i) => i.path)).toEqual(['content']);
    const badCard = await failureOf(post({ team_id: '', channel_id: CHANNEL, adaptive_cards: [{ type: 'MessageCard' }] }));
    expect((badCard as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['adaptive_cards.0', 'team_id']);
    expect(fake.server.requests).toHaveLength(0);
  });

  it("fails permanently with Graph's message for an unknown channel", async () => {
    const err = await failureOf(post({ team_id: TEAM, channel_id: '19:nope@thread.tacv2', content: 'hi' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('answered 404: Channel 19:nope@thread.tacv2 was not found in team');
    expect(err.message).toContain('(NotFound)');
  });

  it('maps 401 to AuthError and 429 to RateLimitError with Retry-After in ms', async () => {
    expect(await failureOf(post({ team_id: TEAM, channel_id: CHANNEL, content: 'x' }, 'expired-token'))).toBeInstanceOf(AuthError);
    fake.state.throttled = 1;
    const limited = await failureOf(post({ team_id: TEAM, channel_id: CHANNEL, content: 'x' }));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBe(7_000);
    expect(limited.message).toContain('Too many requests');
    // The Graph SDK did not retry behind Temporal's back: one request per attempt.
    expect(fake.server.requests).toHaveLength(2);
  });
});
