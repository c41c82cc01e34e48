import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { deliverTrigger } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import discord from '../index.ts';

// The application's key pair as the Developer Portal has it: the endpoint secret is the raw
// public key in hex (64 digits); Discord signs with the private half.
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const PUBLIC_KEY_HEX = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');

function signed(body: string, key: KeyObject = privateKey, at = Math.floor(Date.now() / 1000)): Record<string, string> {
  const timestamp = String(at);
  return {
    'content-type': 'application/json',
    'x-signature-timestamp': timestamp,
    'x-signature-ed25519': sign(null, Buffer.from(timestamp + body), key).toString('hex'),
  };
}

const deliver = (body: string, headers = signed(body), settings?: unknown) => deliverTrigger(discord, 'interactions', { headers, rawBody: body, secret: PUBLIC_KEY_HEX, settings });

const user = { id: '1400000000000000001', username: 'ada', global_name: 'Ada', discriminator: '0', avatar: null };
// A guild slash command with a subcommand, as Discord sends it.
const command = {
  id: '1500000000000000001',
  application_id: '1100000000000000001',
  type: 2,
  token: 'aW50ZXJhY3Rpb246MTUwMDAwMDAwMDAwMDAwMDAwMTpzZWNyZXQ',
  version: 1,
  guild_id: '1300000000000000001',
  channel_id: '1200000000000000001',
  channel: { id: '1200000000000000001', type: 0 },
  member: { user, roles: [], joined_at: '2024-01-01T00:00:00.000Z', permissions: '2147483647' },
  locale: 'en-GB',
  guild_locale: 'en-US',
  app_permissions: '2147483647',
  data: {
    id: '1600000000000000001',
    name: 'deploy',
    type: 1,
    options: [{ type: 1, name: 'service', options: [{ type: 3, name: 'name', value: 'api' }, { type: 5, name: 'force', value: true }, { type: 4, name: 'replicas', value: 3 }] }],
  },
};

describe('interactions trigger', () => {
  it('answers PING with PONG as a handshake, and nothing is emitted', async () => {
    const body = JSON.stringify({ id: '1500000000000000000', application_id: '1100000000000000001', type: 1, token: 't', version: 1 });
    const delivery = await deliver(body);
    expect(delivery.verification).toEqual({ ok: true, outcome: 'verified (DISCORD)' });
    expect(delivery.response).toMatchObject({ status: 200, body: { type: 1 }, handshake: true });
    expect(delivery.events).toEqual([]);
  });

  it('defers a slash command at once (type 5, not a handshake) and emits it with its options flattened', async () => {
    const delivery = await deliver(JSON.stringify(command));
    expect(delivery.verification.ok).toBe(true);
    expect(delivery.response).toEqual({ status: 200, body: { type: 5 }, headers: { 'content-type': 'application/json' } });
    expect(delivery.events).toEqual([
      {
        interaction_id: '1500000000000000001',
        interaction_token: command.token,
        application_id: '1100000000000000001',
        command_id: '1600000000000000001',
        command_name: 'deploy',
        command_type: 1,
        subcommand: 'service',
        options: { name: 'api', force: true, replicas: 3 },
        user: { id: user.id, username: 'ada', global_name: 'Ada' },
        guild_id: '1300000000000000001',
        channel_id: '1200000000000000001',
        locale: 'en-GB',
        guild_locale: 'en-US',
      },
    ]);
  });

  it('takes the user of a DM command from `user`, and a subcommand group', async () => {
    const inDm = {
      ...command,
      guild_id: undefined,
      member: undefined,
      user,
      data: { id: '1600000000000000002', name: 'ticket', type: 1, options: [{ type: 2, name: 'admin', options: [{ type: 1, name: 'close', options: [{ type: 3, name: 'id', value: 'T-9' }] }] }] },
    };
    const [event] = (await deliver(JSON.stringify(inDm))).events as Array<Record<string, unknown>>;
    expect(event).toMatchObject({ command_name: 'ticket', subcommand_group: 'admin', subcommand: 'close', options: { id: 'T-9' }, user: { id: user.id } });
    expect(event).not.toHaveProperty('guild_id');
  });

  it('keeps only the configured commands', async () => {
    const body = JSON.stringify(command);
    expect((await deliver(body, signed(body), { commands: ['ticket'] })).events).toEqual([]);
    expect((await deliver(body, signed(body), { commands: ['deploy'] })).events).toHaveLength(1);
  });

  it('rejects a request signed with another key, a tampered body and a stale timestamp', async () => {
    const body = JSON.stringify(command);
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = await deliver(body, signed(body, other));
    expect(forged.verification).toMatchObject({ ok: false, reason: 'X-Signature-Ed25519 does not match the payload' });
    expect(forged.events).toEqual([]);
    expect(forged.response).toBeUndefined();
    const tampered = await deliver(body.replace('"api"', '"db"'), signed(body));
    expect(tampered.verification.ok).toBe(false);
    const stale = await deliver(body, signed(body, privateKey, Math.floor(Date.now() / 1000) - 600));
    expect(stale.verification).toMatchObject({ ok: false, reason: expect.stringContaining('5 minutes') });
    expect(stale.events).toEqual([]);
  });
});
