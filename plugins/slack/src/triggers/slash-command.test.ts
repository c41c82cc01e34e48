import { createHmac } from 'node:crypto';
import { deliverTrigger } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import slack from '../index.ts';

const SIGNING_SECRET = 'a1b2c3d4e5f6slashsigningsecret00';

function signed(body: string, { secret = SIGNING_SECRET, at = Math.floor(Date.now() / 1000) } = {}) {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(at),
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${at}:${body}`).digest('hex')}`,
  };
}

// The form Slack posts for `/deploy production` (api.slack.com/interactivity/slash-commands).
const form = new URLSearchParams({
  token: 'gIkuvaNzQIHg97ATvDxqgjtO',
  team_id: 'T0PATCHBAY',
  team_domain: 'patchbay-test',
  enterprise_id: 'E0ENT',
  channel_id: 'C0GENERAL',
  channel_name: 'general',
  user_id: 'U0ADA',
  user_name: 'ada',
  command: '/deploy',
  text: 'production --force',
  api_app_id: 'A0APP',
  is_enterprise_install: 'false',
  response_url: 'https://hooks.slack.com/commands/T0PATCHBAY/1234/abcd',
  trigger_id: '13345224609.738474920.8088930838d88f008e0',
}).toString();

const deliver = (body: string, headers: Record<string, string> = signed(body), settings?: unknown) => deliverTrigger(slack, 'slash_command', { headers, rawBody: body, secret: SIGNING_SECRET, settings });

describe('slash_command trigger', () => {
  it('acknowledges at once (not a handshake) and emits the command as one event', async () => {
    const delivery = await deliver(form);
    expect(delivery.verification.ok).toBe(true);
    expect(delivery.response).toEqual({ status: 200 });
    expect(delivery.response?.handshake).toBeFalsy();
    expect(delivery.events).toEqual([
      {
        command: '/deploy',
        text: 'production --force',
        user_id: 'U0ADA',
        user_name: 'ada',
        channel_id: 'C0GENERAL',
        channel_name: 'general',
        team_id: 'T0PATCHBAY',
        team_domain: 'patchbay-test',
        enterprise_id: 'E0ENT',
        api_app_id: 'A0APP',
        is_enterprise_install: false,
        response_url: 'https://hooks.slack.com/commands/T0PATCHBAY/1234/abcd',
        trigger_id: '13345224609.738474920.8088930838d88f008e0',
      },
    ]);
    // The verification token of the legacy scheme is not passed on.
    expect(JSON.stringify(delivery.events)).not.toContain('gIkuvaNzQIHg97ATvDxqgjtO');
  });

  it("answers Slack's ssl_check as a handshake, with no event", async () => {
    const check = 'ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO';
    const delivery = await deliver(check);
    expect(delivery.response).toEqual({ status: 200, handshake: true });
    expect(delivery.events).toEqual([]);
  });

  it('keeps only the configured commands', async () => {
    expect((await deliver(form, signed(form), { commands: ['/ticket'] })).events).toEqual([]);
    expect((await deliver(form, signed(form), { commands: ['/deploy'] })).events).toHaveLength(1);
  });

  it('rejects a wrong signature and a stale timestamp', async () => {
    const wrong = await deliver(form, signed(form, { secret: 'not-the-signing-secret' }));
    expect(wrong.verification.ok).toBe(false);
    expect(wrong.events).toEqual([]);
    const stale = await deliver(form, signed(form, { at: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale.verification).toMatchObject({ ok: false, reason: expect.stringMatching(/5 minutes/) });
    expect(stale.events).toEqual([]);
  });
});
