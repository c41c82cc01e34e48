import { ActionInputError, AuthError, PermanentError, RateLimitError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeChannel, type FakeSlack } from '../fake-slack.ts';
import slack from '../index.ts';

const TOKEN = 'xoxb-4444-list-secret';
const publicChannels: FakeChannel[] = Array.from({ length: 7 }, (_, i) => ({ id: `C0PUB${i}`, name: `public-${i}`, topic: i === 0 ? 'Company news' : undefined }));
const others: FakeChannel[] = [
  { id: 'G0PRIV', name: 'secret-project', is_private: true },
  { id: 'C0OLD', name: 'archived', is_archived: true },
];
let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN, channels: [...publicChannels, ...others] });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.calls.length = 0;
});

const list = (input: unknown, token = TOKEN, baseUrl = fake.apiUrl) =>
  runTestAction(slack, 'list_channels', { mode: 'BOT_TOKEN', credentials: { botToken: token }, config: { baseUrl }, input });

type Out = { channels: Array<{ id: string; name?: string; topic?: string; is_private?: boolean }>; count: number; truncated: boolean; pages: number };

describe('list_channels', () => {
  it('follows next_cursor through every page', async () => {
    const out = (await list({ page_size: 3 })) as Out;
    expect(out.channels.map((c) => c.id)).toEqual(publicChannels.map((c) => c.id));
    expect(out).toMatchObject({ count: 7, truncated: false, pages: 3 });
    expect(out.channels[0]).toMatchObject({ name: 'public-0', topic: 'Company news', is_private: false });
    expect(fake.calls.map((c) => c.method)).toEqual(['conversations.list', 'conversations.list', 'conversations.list']);
    expect(fake.calls[0]!.params).toMatchObject({ types: 'public_channel', exclude_archived: 'true', limit: '3' });
    expect(fake.calls[0]!.params.cursor).toBeUndefined();
    expect(fake.calls[1]!.params.cursor).toBe(Buffer.from('offset:3').toString('base64'));
    for (const call of fake.calls) expect(call.request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('stops at the limit cap and says the list was truncated', async () => {
    const out = (await list({ limit: 4, page_size: 3 })) as Out;
    expect(out.channels.map((c) => c.id)).toEqual(['C0PUB0', 'C0PUB1', 'C0PUB2', 'C0PUB3']);
    expect(out).toMatchObject({ count: 4, truncated: true, pages: 2 });
    const exact = (await list({ limit: 7, page_size: 7 })) as Out;
    expect(exact).toMatchObject({ count: 7, truncated: false, pages: 1 });
  });

  it('filters by type and keeps archived channels when asked', async () => {
    const out = (await list({ types: ['private_channel', 'public_channel'], exclude_archived: false })) as Out;
    expect(out.channels.map((c) => c.id)).toEqual(expect.arrayContaining(['G0PRIV', 'C0OLD']));
    expect(out.count).toBe(9);
    expect(fake.calls[0]!.params.types).toBe('private_channel,public_channel');
  });

  it('validates the input', async () => {
    const err = await failureOf(list({ types: ['everything'], page_size: 5000 }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path).sort()).toEqual(['page_size', 'types.0']);
  });

  it('maps failures met mid-way: a 429 on page 2, missing_scope, and a bad token', async () => {
    fake.failNext('conversations.list', { json: { ok: true, channels: [{ id: 'C0PUB0', name: 'public-0' }], response_metadata: { next_cursor: Buffer.from('offset:1').toString('base64') } } });
    fake.failNext('conversations.list', { status: 429, headers: { 'retry-after': '12' }, body: '' });
    const limited = await failureOf(list({ page_size: 1 }));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).retryAfterMs).toBe(12_000);
    expect(fake.calls).toHaveLength(2);

    const narrow = await startFakeSlack({ token: TOKEN, scopes: ['chat:write'] });
    try {
      const scope = await failureOf(list({}, TOKEN, narrow.apiUrl));
      expect(scope).toBeInstanceOf(PermanentError);
      expect(scope.message).toContain('missing_scope (needs channels:read; the token has chat:write)');
    } finally {
      await narrow.close();
    }
    expect(await failureOf(list({}, 'xoxb-revoked'))).toBeInstanceOf(AuthError);
  });
});
