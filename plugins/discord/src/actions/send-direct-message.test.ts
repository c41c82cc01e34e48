import { ActionInputError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rateLimited, startFakeDiscord, type FakeDiscord } from '../fake-discord.ts';
import discord from '../index.ts';

const TOKEN = 'MTEwMDAwMDAwMDAwMDAwMDAwMQ.Gx1Y2z.dm-secret-token-123456';
const ADA = '1400000000000000001';
const CLOSED = '1400000000000000002';
let fake: FakeDiscord;

beforeAll(async () => {
  fake = await startFakeDiscord({ token: TOKEN, users: [{ id: ADA, username: 'ada' }, { id: CLOSED, username: 'hermit', acceptsDms: false }] });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

const dm = (input: unknown) => runTestAction(discord, 'send_direct_message', { mode: 'BOT_TOKEN', credentials: { botToken: TOKEN }, config: { baseUrl: fake.apiUrl }, input });

describe('send_direct_message', () => {
  it('opens the DM channel with POST /users/@me/channels, then posts in it', async () => {
    const out = (await dm({ user_id: ADA, content: 'Your order shipped', embeds: [{ title: 'Order 42' }] })) as { channel_id: string; id: string };
    const channelId = fake.dmChannels.get(ADA)!;
    expect(out).toMatchObject({ channel_id: channelId, content: 'Your order shipped', embeds: 1 });
    expect(fake.requests.map((r) => `${r.method} ${decodeURIComponent(r.url)}`)).toEqual(['POST /api/v10/users/@me/channels', `POST /api/v10/channels/${channelId}/messages`]);
    expect(fake.requests[0]!.json).toEqual({ recipient_id: ADA });
    expect(fake.requests[1]!.json).toEqual({ content: 'Your order shipped', embeds: [{ title: 'Order 42' }] });
    for (const req of fake.requests) expect(req.headers.authorization).toBe(`Bot ${TOKEN}`);

    // Discord hands back the same DM channel the next time.
    const again = (await dm({ user_id: ADA, content: 'And it arrived' })) as { channel_id: string };
    expect(again.channel_id).toBe(channelId);
  });

  it("fails permanently when the user does not take DMs (Discord's 50007) or is no valid recipient", async () => {
    const closed = await failureOf(dm({ user_id: CLOSED, content: 'hi' }));
    expect(closed).toBeInstanceOf(PermanentError);
    expect(closed.message).toBe('Discord POST /channels/{channel.id}/messages answered 403: Cannot send messages to this user (code 50007)');
    const stranger = await failureOf(dm({ user_id: '1499999999999999999', content: 'hi' }));
    expect(stranger).toBeInstanceOf(PermanentError);
    expect(stranger.message).toBe('Discord POST /users/@me/channels answered 400: Invalid Recipient(s) (code 50033)');
  });

  it('maps a 429 on opening the DM to RateLimitError and posts nothing', async () => {
    fake.failNext(rateLimited(1.5));
    const err = await failureOf(dm({ user_id: ADA, content: 'hi' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(1500);
    expect(fake.requests).toHaveLength(1);
  });

  it('validates the user id and the message before calling', async () => {
    const err = await failureOf(dm({ user_id: '@ada', content: 'x'.repeat(2001) }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['content', 'user_id']);
    expect(fake.requests).toHaveLength(0);
  });
});
