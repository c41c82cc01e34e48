import { ActionInputError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fake-slack.ts';
import slack from '../index.ts';

const TOKEN = 'xoxb-3333-update-secret';
let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN, channels: [{ id: 'C0GENERAL', name: 'general' }] });
});
afterAll(() => fake.close());

const run = (action: string, input: unknown) =>
  runTestAction(slack, action, { mode: 'BOT_TOKEN', credentials: { botToken: TOKEN }, config: { baseUrl: fake.apiUrl }, input });

describe('update_message', () => {
  it('replaces the text and blocks of a posted message with chat.update', async () => {
    const posted = (await run('post_message', { channel: 'C0GENERAL', text: 'Deploying…' })) as { ts: string };
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: Deployed' } }];
    const out = await run('update_message', { channel: 'C0GENERAL', ts: posted.ts, text: 'Deployed', blocks });
    expect(out).toEqual({ channel: 'C0GENERAL', ts: posted.ts, text: 'Deployed' });
    const call = fake.calls.at(-1)!;
    expect(call.method).toBe('chat.update');
    expect(call.request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call.params).toMatchObject({ channel: 'C0GENERAL', ts: posted.ts, text: 'Deployed' });
    expect(fake.messages.find((m) => m.ts === posted.ts)).toMatchObject({ text: 'Deployed', blocks });
  });

  it("fails permanently with Slack's code when the message does not exist", async () => {
    const err = await failureOf(run('update_message', { channel: 'C0GENERAL', ts: '1700000000.000001', text: 'x' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('Slack chat.update failed: message_not_found');
  });

  it('needs a channel, a message ts, and text or blocks', async () => {
    const before = fake.calls.length;
    const err = await failureOf(run('update_message', { channel: '', ts: 'abc' }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['channel', 'text', 'ts']);
    expect(fake.calls.length).toBe(before);
  });

  it('maps a ratelimited answer to RateLimitError with the Retry-After hint', async () => {
    fake.failNext('chat.update', { status: 429, headers: { 'retry-after': '2' }, body: '' });
    const err = await failureOf(run('update_message', { channel: 'C0GENERAL', ts: '1700000000.000001', text: 'x' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(2_000);
  });

  it('maps a ratelimited body (HTTP 200) to RateLimitError, with Retry-After when Slack sends it', async () => {
    fake.failNext('chat.update', { headers: { 'retry-after': '3' }, json: { ok: false, error: 'ratelimited' } });
    const err = await failureOf(run('update_message', { channel: 'C0GENERAL', ts: '1700000000.000001', text: 'x' }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(3_000);
    expect(err.message).toBe('Slack chat.update failed: ratelimited');
  });
});
