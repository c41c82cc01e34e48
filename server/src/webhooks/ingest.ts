// Small pieces of the ingest path: which headers are kept with an event, which provider
// message id makes a duplicate, and the per-endpoint rate limit.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { VerificationScheme } from '@patchbay/db';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Hub } from '../context.ts';

/** Lower-cased names, first value of a repeated header. */
export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined) out[name] = v;
  }
  return out;
}

// Never stored: credentials, signatures (they verify nothing later and help forge nothing, but
// are secrets' cousins), and the endpoint's own key header.
const SENSITIVE = /authorization|cookie|signature|secret|token|password|api-?key|webhook-key/i;

export function storedHeaders(headers: Record<string, string>, keyHeader: string | null): Record<string, string> {
  const skip = keyHeader?.toLowerCase();
  const stored: Record<string, string> = {};
  for (const name in headers) if (name !== skip && !SENSITIVE.test(name)) stored[name] = headers[name]!;
  return stored;
}

/**
 * The provider's message id, so a redelivery is accepted once: Standard Webhooks `webhook-id`,
 * GitHub `X-GitHub-Delivery`, Slack's `event_id`, Twilio `I-Twilio-Idempotency-Token`, or a
 * generic `Idempotency-Key`. Long ids are hashed to fit the unique index.
 */
export function dedupeKeyOf(scheme: VerificationScheme, headers: Record<string, string>, payload: unknown): string | null {
  // Only Slack's Events API gives `event_id` that meaning; elsewhere a body field of that name
  // may name a changing thing (a calendar event), and deduping on it would drop updates.
  const slackEventId =
    scheme === 'SLACK' && payload && typeof payload === 'object' && typeof (payload as { event_id?: unknown }).event_id === 'string'
      ? (payload as { event_id: string }).event_id
      : undefined;
  const key =
    headers['webhook-id'] ??
    headers['x-github-delivery'] ??
    slackEventId ??
    headers['i-twilio-idempotency-token'] ??
    headers['idempotency-key'];
  if (!key) return null;
  return key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

// In memory, per api process: with several api processes each enforces the limit on its own
// share of the traffic. A deployment that needs one global limit would swap in
// rate-limiter-flexible's RateLimiterPostgres or RateLimiterRedis here (same interface).
const limiters = new WeakMap<Hub, Map<number, RateLimiterMemory>>();

/** An endpoint with a limit of perMinute requests: null when allowed, else the seconds until the next one is. */
export async function rateLimited(hub: Hub, endpointId: string, perMinute: number): Promise<number | null> {
  let byLimit = limiters.get(hub);
  if (!byLimit) limiters.set(hub, (byLimit = new Map()));
  let limiter = byLimit.get(perMinute);
  if (!limiter) byLimit.set(perMinute, (limiter = new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: `hooks-${perMinute}` })));
  try {
    await limiter.consume(endpointId);
    return null;
  } catch (res) {
    if (res instanceof RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    throw res;
  }
}
