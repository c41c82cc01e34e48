import { deliverTrigger } from '@patchbay/sdk/testing';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import twilioPlugin from '../index.ts';
import { EMPTY_TWIML } from './inbound-sms.ts';

const AUTH_TOKEN = 'inbound-auth-token-fedcba9876543210';
const URL = 'https://hub.example.com/hooks/ep_123?source=twilio';
const ACCOUNT_SID = `AC${'1234abcd'.repeat(4)}`;

const fields = {
  ToCountry: 'US',
  ToState: 'CA',
  SmsMessageSid: 'SM0123456789abcdef0123456789abcdef',
  NumMedia: '2',
  ToCity: 'SAN FRANCISCO',
  FromZip: '94105',
  SmsSid: 'SM0123456789abcdef0123456789abcdef',
  FromState: 'CA',
  SmsStatus: 'received',
  FromCity: 'SAN FRANCISCO',
  Body: 'Hello from my phone & café ✓',
  FromCountry: 'US',
  To: '+14155550100',
  MessagingServiceSid: `MG${'ab'.repeat(16)}`,
  ToZip: '94107',
  NumSegments: '1',
  MessageSid: 'MM0123456789abcdef0123456789abcdef',
  AccountSid: ACCOUNT_SID,
  From: '+14155550123',
  MediaUrl0: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM0123/Media/ME1`,
  MediaContentType0: 'image/jpeg',
  MediaUrl1: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/MM0123/Media/ME2`,
  MediaContentType1: 'application/pdf',
  ApiVersion: '2010-04-01',
};

function deliver(params: Record<string, string>, options: { signWith?: string; url?: string; signedUrl?: string; rawBody?: string } = {}) {
  const signature = twilio.getExpectedTwilioSignature(options.signWith ?? AUTH_TOKEN, options.signedUrl ?? URL, params);
  return deliverTrigger(twilioPlugin, 'inbound_sms', {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature, 'I-Twilio-Idempotency-Token': 'f0e1d2' },
    rawBody: options.rawBody ?? new URLSearchParams(params).toString(),
    url: options.url ?? URL,
    secret: AUTH_TOKEN,
  });
}

describe('inbound_sms', () => {
  it('turns a signed Twilio messaging webhook into one event and answers empty TwiML', async () => {
    const delivery = await deliver(fields);
    expect(delivery.verification.ok).toBe(true);
    expect(twilio.validateRequest(AUTH_TOKEN, twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL, fields), URL, fields)).toBe(true);
    expect(delivery.response).toEqual({ status: 200, body: EMPTY_TWIML, headers: { 'content-type': 'text/xml' } });
    expect(delivery.response!.handshake).toBeUndefined();
    expect(delivery.events).toEqual([
      {
        message_sid: 'MM0123456789abcdef0123456789abcdef',
        account_sid: ACCOUNT_SID,
        messaging_service_sid: fields.MessagingServiceSid,
        from: '+14155550123',
        to: '+14155550100',
        body: 'Hello from my phone & café ✓',
        num_segments: 1,
        media: [
          { url: fields.MediaUrl0, content_type: 'image/jpeg' },
          { url: fields.MediaUrl1, content_type: 'application/pdf' },
        ],
        from_location: { city: 'SAN FRANCISCO', state: 'CA', zip: '94105', country: 'US' },
      },
    ]);
  });

  it('handles a plain SMS without media or optional fields', async () => {
    const delivery = await deliver({ MessageSid: 'SMabc', From: '+447700900123', To: '+14155550100', Body: 'hi', NumMedia: '0' });
    expect(delivery.events).toEqual([
      {
        message_sid: 'SMabc',
        account_sid: null,
        messaging_service_sid: null,
        from: '+447700900123',
        to: '+14155550100',
        body: 'hi',
        num_segments: null,
        media: [],
        from_location: { city: null, state: null, zip: null, country: null },
      },
    ]);
  });

  it('rejects a request signed with another Auth Token, emitting nothing', async () => {
    const delivery = await deliver(fields, { signWith: 'not-the-auth-token' });
    expect(delivery.verification).toEqual({ ok: false, reason: 'X-Twilio-Signature does not match the URL and parameters' });
    expect(delivery.events).toEqual([]);
    expect(delivery.response).toBeUndefined();
  });

  it('rejects a body altered after signing', async () => {
    const tampered = new URLSearchParams({ ...fields, Body: 'Send me the money' }).toString();
    const delivery = await deliver(fields, { rawBody: tampered });
    expect(delivery.verification.ok).toBe(false);
    expect(delivery.events).toEqual([]);
  });

  it('rejects a signature made for another URL', async () => {
    const delivery = await deliver(fields, { signedUrl: 'https://hub.example.com/hooks/ep_999?source=twilio' });
    expect(delivery.verification.ok).toBe(false);
  });

  it('refuses a verified request that is not a messaging webhook', async () => {
    await expect(deliver({ CallSid: 'CA123', CallStatus: 'ringing' })).rejects.toThrow(/MessageSid, From and To are required/);
  });
});
