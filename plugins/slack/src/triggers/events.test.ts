import { createHmac } from 'node:crypto';
import { deliverTrigger } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import slack from '../index.ts';

const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

/** Slack's v0 signature, computed here independently of the hub's verifier. */
function signed(body: string, { secret = SIGNING_SECRET, at = Math.floor(Date.now() / 1000) } = {}) {
  return {
    'Content-Type': 'application/json',
    'X-Slack-Request-Timestamp': String(at),
    'X-Slack-Signature': `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`,
  };
}

const deliver = (body: string, headers: Record<string, string> = signed(body), settings?: unknown) => deliverTrigger(slack, 'events', { headers, rawBody: body, secret: SIGNING_SECRET, settings });

// As Slack sends it (api.slack.com/apis/events-api#callback-field).
const messageEvent = {
  token: 'XXYYZZ',
  team_id: 'T0PATCHBAY',
  api_app_id: 'A0APP',
  event: { type: 'message', channel: 'C0GENERAL', user: 'U0ADA', text: 'Hello <@U0BOT>', ts: '1712345678.000200', event_ts: '1712345678.000200', channel_type: 'channel' },
  type: 'event_callback',
  authorizations: [{ enterprise_id: null, team_id: 'T0PATCHBAY', user_id: 'U0BOT', is_bot: true }],
  event_id: 'Ev0MESSAGE1',
  event_time: 1712345678,
};

describe('events trigger', () => {
  it('answers url_verification with the challenge, as a handshake that yields no event', async () => {
    const body = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const delivery = await deliver(body);
    expect(delivery.verification.ok).toBe(true);
    expect(delivery.response).toMatchObject({ status: 200, body: { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' }, handshake: true });
    expect(delivery.events).toEqual([]);
  });

  it('turns a signed event_callback into one event', async () => {
    const body = JSON.stringify(messageEvent);
    const delivery = await deliver(body, { ...signed(body), 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' });
    expect(delivery.verification).toEqual({ ok: true, outcome: 'verified (SLACK)' });
    expect(delivery.response).toEqual({ status: 200 });
    expect(delivery.events).toEqual([
      {
        event_id: 'Ev0MESSAGE1',
        event_time: 1712345678,
        team_id: 'T0PATCHBAY',
        api_app_id: 'A0APP',
        type: 'message',
        user: 'U0ADA',
        channel: 'C0GENERAL',
        channel_type: 'channel',
        text: 'Hello <@U0BOT>',
        ts: '1712345678.000200',
        event_ts: '1712345678.000200',
        retry_num: 1,
        event: messageEvent.event,
      },
    ]);
  });

  it('takes the channel of item-based events (reaction_added) and filters by event type and bots', async () => {
    const reaction = { ...messageEvent, event_id: 'Ev0REACT', event: { type: 'reaction_added', user: 'U0ADA', reaction: 'tada', item: { type: 'message', channel: 'C0GENERAL', ts: '1712345678.000200' }, event_ts: '1712345679.000300' } };
    const body = JSON.stringify(reaction);
    const all = await deliver(body);
    expect(all.events).toEqual([expect.objectContaining({ type: 'reaction_added', channel: 'C0GENERAL', user: 'U0ADA' })]);
    expect((await deliver(body, signed(body), { event_types: ['app_mention'] })).events).toEqual([]);

    const fromBot = JSON.stringify({ ...messageEvent, event: { ...messageEvent.event, bot_id: 'B0BOT', subtype: 'bot_message' } });
    expect((await deliver(fromBot, signed(fromBot), { ignore_bots: true })).events).toEqual([]);
    expect((await deliver(fromBot)).events).toHaveLength(1);
  });

  it('rejects a wrong signature and a stale timestamp, yielding nothing', async () => {
    const body = JSON.stringify(messageEvent);
    const wrong = await deliver(body, signed(body, { secret: 'another-apps-signing-secret' }));
    expect(wrong.verification).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match/) });
    expect(wrong.events).toEqual([]);
    const stale = await deliver(body, signed(body, { at: Math.floor(Date.now() / 1000) - 6 * 60 }));
    expect(stale.verification).toMatchObject({ ok: false, reason: expect.stringMatching(/5 minutes/) });
    expect(stale.events).toEqual([]);
    const tampered = await deliver(body.replace('Hello', 'Goodbye'), signed(body));
    expect(tampered.verification.ok).toBe(false);
  });

  it('ignores envelopes that are not event callbacks (app_rate_limited)', async () => {
    const body = JSON.stringify({ token: 'x', type: 'app_rate_limited', team_id: 'T0PATCHBAY', minute_rate_limited: 1518467820, api_app_id: 'A0APP' });
    const delivery = await deliver(body);
    expect(delivery.verification.ok).toBe(true);
    expect(delivery.events).toEqual([]);
  });
});
