import { ActionInputError, AuthError, PermanentError, RateLimitError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fake-slack.ts';
import slack from '../index.ts';

const TOKEN = 'xoxb-1111-2222-post-message-secret';
let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack({
    token: TOKEN,
    channels: [
      { id: 'C0GENERAL', name: 'general' },
      { id: 'C0OUTSIDE', name: 'outside', is_member: false },
    ],
  });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.calls.length = 0;
});

const post = (input: unknown, options: { mode?: 'BOT_TOKEN' | 'OAUTH2'; credentials?: unknown } = {}) =>
  runTestAction(slack, 'post_message', {
    mode: options.mode ?? 'BOT_TOKEN',
    credentials: options.credentials ?? { botToken: TOKEN },
    config: { baseUrl: fake.apiUrl },
    input,
  });

describe('post_message', () => {
  it('posts text and blocks with chat.postMessage, the bot token as Bearer, form-encoded like the WebClient does', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* finished' } }];
    const out = await post({ channel: 'C0GENERAL', text: 'Deploy finished', blocks, unfurl_links: false });
    expect(out).toMatchObject({ channel: 'C0GENERAL', ts: expect.stringMatching(/^\d{10}\.\d+$/), text: 'Deploy finished' });
    expect(fake.calls).toHaveLength(1);
    const call = fake.calls[0]!;
    expect(call.method).toBe('chat.postMessage');
    expect(call.request.url).toBe('/api/chat.postMessage');
    expect(call.request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call.contentType).toBe('application/x-www-form-urlencoded');
    expect(call.params).toMatchObject({ channel: 'C0GENERAL', text: 'Deploy finished', unfurl_links: 'false' });
    expect(JSON.parse(String(call.params.blocks))).toEqual(blocks);
    expect(fake.messages.at(-1)).toMatchObject({ channel: 'C0GENERAL', text: 'Deploy finished', blocks });
  });

  it('replies in a thread with thread_ts, and works with an OAuth access token too', async () => {
    const parent = (await post({ channel: '#general', text: 'parent' })) as { ts: string };
    const reply = await post({ channel: 'C0GENERAL', text: 'reply', thread_ts: parent.ts, reply_broadcast: true }, { mode: 'OAUTH2', credentials: { accessToken: TOKEN, tokenType: 'bot' } });
    expect(reply).toMatchObject({ channel: 'C0GENERAL', thread_ts: parent.ts });
    expect(fake.calls[1]!.params).toMatchObject({ thread_ts: parent.ts, reply_broadcast: 'true' });
    expect(fake.calls[1]!.request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('refuses input Slack would reject, before any call', async () => {
    const empty = await failureOf(post({ channel: 'C0GENERAL' }));
    const tooLong = await failureOf(post({ channel: 'C0GENERAL', text: 'x'.repeat(40_001) }));
    const tooManyBlocks = await failureOf(post({ channel: 'C0GENERAL', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) }));
    const badThread = await failureOf(post({ channel: 'C0GENERAL', text: 'x', thread_ts: 'yesterday' }));
    const noChannel = await failureOf(post({ text: 'x' }));
    for (const err of [empty, tooLong, tooManyBlocks, badThread, noChannel]) expect(err).toBeInstanceOf(ActionInputError);
    expect((empty as ActionInputError).issues).toEqual([{ path: 'text', message: 'give text, blocks, or both' }]);
    expect((tooLong as ActionInputError).issues[0]!.message).toMatch(/40000 characters/);
    expect((tooManyBlocks as ActionInputError).issues[0]!.message).toMatch(/50 blocks/);
    expect((badThread as ActionInputError).issues.map((i) => i.path)).toEqual(['thread_ts']);
    expect((noChannel as ActionInputError).issues.map((i) => i.path)).toEqual(['channel']);
    expect(fake.calls).toHaveLength(0);
  });

  it("names Slack's error code in a PermanentError (channel_not_found, not_in_channel)", async () => {
    const missing = await failureOf(post({ channel: 'C0NOPE', text: 'hi' }));
    const outside = await failureOf(post({ channel: 'C0OUTSIDE', text: 'hi' }));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toBe('Slack chat.postMessage failed: channel_not_found');
    expect(outside).toBeInstanceOf(PermanentError);
    expect(outside.message).toContain('not_in_channel');
  });

  it('maps invalid_auth and token_expired to AuthError (the hub refreshes, then retries)', async () => {
    const wrong = await failureOf(post({ channel: 'C0GENERAL', text: 'hi' }, { credentials: { botToken: 'xoxb-wrong' } }));
    fake.failNext('chat.postMessage', { json: { ok: false, error: 'token_expired' } });
    const expired = await failureOf(post({ channel: 'C0GENERAL', text: 'hi' }));
    expect(wrong).toBeInstanceOf(AuthError);
    expect(wrong.message).toContain('invalid_auth');
    expect(expired).toBeInstanceOf(AuthError);
    expect(expired.message).toContain('token_expired');
    expect(wrong.message).not.toContain('xoxb-wrong');
  });

  it('turns HTTP 429 + Retry-After into a RateLimitError at once, without the WebClient retrying or waiting', async () => {
    fake.failNext('chat.postMessage', { status: 429, headers: { 'retry-after': '30' }, body: '' });
    const started = Date.now();
    const err = await failureOf(post({ channel: 'C0GENERAL', text: 'hi' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(30_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.calls).toHaveLength(1);
  });

  it('treats 5xx and network failures as transient, with a single attempt', async () => {
    fake.failNext('chat.postMessage', { status: 503, body: 'upstream connect error' });
    const unavailable = await failureOf(post({ channel: 'C0GENERAL', text: 'hi' }));
    expect(unavailable).toBeInstanceOf(TransientError);
    expect(unavailable.message).toMatch(/503/);
    expect(fake.calls).toHaveLength(1);
    fake.failNext('chat.postMessage', { json: { ok: false, error: 'internal_error' } });
    expect(await failureOf(post({ channel: 'C0GENERAL', text: 'hi' }))).toBeInstanceOf(TransientError);

    const down = await failureOf(
      runTestAction(slack, 'post_message', { mode: 'BOT_TOKEN', credentials: { botToken: TOKEN }, config: { baseUrl: 'http://127.0.0.1:9/api/' }, input: { channel: 'C0GENERAL', text: 'hi' } }),
    );
    expect(down).toBeInstanceOf(TransientError);
    expect(down.message).toMatch(/^Slack chat.postMessage failed/);
  });

  it('stops when the run is cancelled, with the cancellation reason rather than a retryable error', async () => {
    let release!: () => void;
    fake.failNext('chat.postMessage', new Promise((resolve) => (release = () => resolve({ json: { ok: true, channel: 'C0GENERAL', ts: '1.2' } }))));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 100);
    const err = await failureOf(
      runTestAction(slack, 'post_message', { mode: 'BOT_TOKEN', credentials: { botToken: TOKEN }, config: { baseUrl: fake.apiUrl }, signal: controller.signal, input: { channel: 'C0GENERAL', text: 'hi' } }),
    );
    release();
    expect(err.message).toBe('run cancelled');
    expect(err).not.toBeInstanceOf(TransientError);
  });
});
