import { ActionInputError, AuthError, PermanentError, RateLimitError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_BOT_USER, rateLimited, startFakeDiscord, type FakeDiscord } from '../fake-discord.ts';
import discord from '../index.ts';

const TOKEN = 'MTEwMDAwMDAwMDAwMDAwMDAwMQ.Gx1Y2z.discord-bot-secret-token-abcdef';
const CHANNEL = '1200000000000000001';
const HIDDEN = '1200000000000000002';
let fake: FakeDiscord;

beforeAll(async () => {
  fake = await startFakeDiscord({ token: TOKEN, channels: [{ id: CHANNEL, guild_id: '1300000000000000001' }, { id: HIDDEN, visible: false }] });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
});

const send = (input: unknown, token = TOKEN, baseUrl = fake.apiUrl) =>
  runTestAction(discord, 'send_channel_message', { mode: 'BOT_TOKEN', credentials: { botToken: token }, config: { baseUrl }, input });

describe('send_channel_message', () => {
  it('posts content and embeds to /api/v10/channels/{id}/messages with the Bot token', async () => {
    const embeds = [{ title: 'Order 42', description: 'Shipped', color: 0x5865f2, fields: [{ name: 'Carrier', value: 'UPS', inline: true }] }];
    const out = await send({ channel_id: CHANNEL, content: 'Order **42** shipped', embeds, allowed_mentions: { parse: [] }, reply_to: '1250000000004194304', silent: true });
    expect(out).toEqual({ id: fake.messages.at(-1)!.id, channel_id: CHANNEL, timestamp: expect.any(String), content: 'Order **42** shipped', embeds: 1, author_id: FAKE_BOT_USER.id });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(`${req.method} ${req.url}`).toBe(`POST /api/v10/channels/${CHANNEL}/messages`);
    expect(req.headers.authorization).toBe(`Bot ${TOKEN}`);
    expect(req.headers['user-agent']).toMatch(/^DiscordBot \(/);
    expect(req.json).toEqual({
      content: 'Order **42** shipped',
      embeds,
      allowed_mentions: { parse: [] },
      message_reference: { message_id: '1250000000004194304', fail_if_not_exists: true },
      flags: 4096,
    });
  });

  it("checks Discord's limits before calling: 2000 characters, 10 embeds, 6000 embed characters, content or embeds", async () => {
    const long = await failureOf(send({ channel_id: CHANNEL, content: 'x'.repeat(2001) }));
    const many = await failureOf(send({ channel_id: CHANNEL, embeds: Array.from({ length: 11 }, (_, i) => ({ title: `e${i}` })) }));
    const heavy = await failureOf(send({ channel_id: CHANNEL, embeds: [{ description: 'x'.repeat(4000) }, { description: 'y'.repeat(2500) }] }));
    const empty = await failureOf(send({ channel_id: CHANNEL, content: '   ' }));
    const badId = await failureOf(send({ channel_id: 'general', content: 'hi' }));
    for (const err of [long, many, heavy, empty, badId]) expect(err).toBeInstanceOf(ActionInputError);
    expect((long as ActionInputError).issues).toEqual([{ path: 'content', message: 'Discord takes at most 2000 characters of content' }]);
    expect((many as ActionInputError).issues[0]).toEqual({ path: 'embeds', message: 'Discord takes at most 10 embeds' });
    expect((heavy as ActionInputError).issues[0]!.message).toMatch(/6500 characters; Discord takes at most 6000/);
    expect((empty as ActionInputError).issues[0]!.message).toBe('give content, embeds, or both');
    expect((badId as ActionInputError).issues[0]!.path).toBe('channel_id');
    expect(fake.requests).toHaveLength(0);
  });

  it("fails permanently with Discord's message and code (404 Unknown Channel, 403 Missing Access, 400 Invalid Form Body)", async () => {
    const unknown = await failureOf(send({ channel_id: '1299999999999999999', content: 'hi' }));
    expect(unknown).toBeInstanceOf(PermanentError);
    expect(unknown.message).toBe('Discord POST /channels/{channel.id}/messages answered 404: Unknown Channel (code 10003)');
    expect((unknown as PermanentError).details).toMatchObject({ status: 404, discordCode: 10003 });
    const hidden = await failureOf(send({ channel_id: HIDDEN, content: 'hi' }));
    expect(hidden).toBeInstanceOf(PermanentError);
    expect(hidden.message).toContain('403: Missing Access (code 50001)');
    fake.failNext({ status: 400, json: { code: 50035, message: 'Invalid Form Body', errors: { embeds: { 0: { url: { _errors: [{ code: 'URL_TYPE_INVALID_URL', message: 'Not a well formed URL.' }] } } } } } });
    const form = await failureOf(send({ channel_id: CHANNEL, content: 'hi' }));
    expect(form).toBeInstanceOf(PermanentError);
    expect(form.message).toContain('Invalid Form Body\nembeds[0].url[URL_TYPE_INVALID_URL]: Not a well formed URL. (code 50035)');
  });

  it('maps 401 to AuthError, without the token in the message', async () => {
    const err = await failureOf(send({ channel_id: CHANNEL, content: 'hi' }, 'wrong-token'));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('401');
    expect(err.message).not.toContain('wrong-token');
  });

  it("turns a 429 into a RateLimitError with Discord's precise retry_after, at once and with one request", async () => {
    fake.failNext(rateLimited(2.345));
    const started = Date.now();
    const err = await failureOf(send({ channel_id: CHANNEL, content: 'hi' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(2345);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fake.requests).toHaveLength(1);

    fake.failNext({ ...rateLimited(7, { global: true }), json: { message: 'You are being rate limited.', global: true } });
    const global = await failureOf(send({ channel_id: CHANNEL, content: 'hi' }));
    expect(global).toBeInstanceOf(RateLimitError);
    expect((global as RateLimitError).retryAfterMs).toBe(7000);
    expect(global.message).toContain('global');
  });

  it('treats 5xx and an unreachable API as transient, without retrying', async () => {
    fake.failNext({ status: 502, body: '<html>Bad Gateway</html>' });
    const bad = await failureOf(send({ channel_id: CHANNEL, content: 'hi' }));
    expect(bad).toBeInstanceOf(TransientError);
    expect(bad.message).toContain('502');
    expect(fake.requests).toHaveLength(1);
    const down = await failureOf(send({ channel_id: CHANNEL, content: 'hi' }, TOKEN, 'http://127.0.0.1:9/api'));
    expect(down).toBeInstanceOf(TransientError);
  });

  it('stops when the run is cancelled, with the cancellation reason rather than a retryable error', async () => {
    let release!: () => void;
    fake.failNext(new Promise((resolve) => (release = () => resolve({ status: 204 }))));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 100);
    const err = await failureOf(
      runTestAction(discord, 'send_channel_message', { mode: 'BOT_TOKEN', credentials: { botToken: TOKEN }, config: { baseUrl: fake.apiUrl }, signal: controller.signal, input: { channel_id: CHANNEL, content: 'hi' } }),
    );
    release();
    expect(err.message).toBe('run cancelled');
    expect(err).not.toBeInstanceOf(TransientError);
  });
});
