import { describe, expect, it } from 'vitest';
import { dedupeKeyOf, storedHeaders } from './ingest.ts';

describe('storedHeaders', () => {
  it('drops credentials, signatures and the endpoint key header, keeps the rest', () => {
    const kept = storedHeaders(
      {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/1',
        'x-github-event': 'push',
        'x-hub-signature-256': 'sha256=abc',
        'webhook-signature': 'v1,abc',
        'x-slack-signature': 'v0=abc',
        'x-twilio-signature': 'abc',
        authorization: 'Bearer t',
        cookie: 'a=b',
        'x-webhook-key': 'k',
        'x-api-key': 'k',
        'x-custom-auth': 'k',
      },
      'X-Custom-Auth',
    );
    expect(kept).toEqual({ 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/1', 'x-github-event': 'push' });
  });
});

describe('dedupeKeyOf', () => {
  it("takes the provider's message id, in order of precedence", () => {
    expect(dedupeKeyOf('STANDARD_WEBHOOKS', { 'webhook-id': 'msg_1', 'idempotency-key': 'k' }, null)).toBe('msg_1');
    expect(dedupeKeyOf('GITHUB', { 'x-github-delivery': 'd-1' }, null)).toBe('d-1');
    expect(dedupeKeyOf('SLACK', {}, { event_id: 'Ev1' })).toBe('Ev1');
    expect(dedupeKeyOf('TWILIO', { 'i-twilio-idempotency-token': 't-1' }, null)).toBe('t-1');
    expect(dedupeKeyOf('HEADER_KEY', { 'idempotency-key': 'k-1' }, null)).toBe('k-1');
    expect(dedupeKeyOf('NONE', {}, { a: 1 })).toBeNull();
  });

  it('reads event_id only for Slack, and hashes very long ids', () => {
    expect(dedupeKeyOf('NONE', {}, { event_id: 'calendar-event-1' })).toBeNull();
    expect(dedupeKeyOf('NONE', { 'idempotency-key': 'x'.repeat(300) }, null)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
