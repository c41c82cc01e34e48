// Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`,
// `webhook-signature` (space-separated `v1,<base64>` list, so a sender rotating its secret can
// send several). Verified by the reference library itself (±5 minutes, constant-time compare),
// with Node computing its HMAC (StandardWebhook).
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { rejected, requireSecret, verified, type Verifier } from './types.ts';

const SECRET_PREFIX = 'whsec_';

/**
 * The reference library's Webhook with Node's native HMAC-SHA256 in place of its pure-JavaScript
 * one (fast-sha256, there so the library runs anywhere): the same signature, at a fraction of the
 * cost — the JavaScript hash was a fifth of the api's work per incoming webhook. Everything else
 * is the library's: the secret's format, the headers, the ±5-minute window, several signatures,
 * the constant-time comparison. Use it wherever this codebase signs or verifies.
 */
export class StandardWebhook extends Webhook {
  /** A KeyObject rather than the key's bytes: createHmac then skips copying and checking them on every call. */
  readonly #key: KeyObject;

  constructor(secret: string) {
    // The library validates the secret (whsec_ prefix optional, strict base64, not empty).
    super(secret);
    this.#key = createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64'));
  }

  override sign(msgId: string, timestamp: Date, payload: string | Buffer): string {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) throw new Error('Expected payload to be of type string or Buffer.');
    const signed = `${msgId}.${Math.floor(timestamp.getTime() / 1000)}.${payload.toString()}`;
    return `v1,${createHmac('sha256', this.#key).update(signed, 'utf8').digest('base64')}`;
  }
}

const REASONS: Record<string, string> = {
  'Missing required headers': 'missing webhook-id, webhook-timestamp or webhook-signature header',
  'Invalid Signature Headers': 'webhook-timestamp is not a number of seconds',
  'Message timestamp too old': 'webhook-timestamp is more than 5 minutes old',
  'Message timestamp too new': 'webhook-timestamp is more than 5 minutes in the future',
  'No matching signature found': 'no v1 signature in webhook-signature matches the payload',
};

// A Webhook decodes its base64 secret when made: keep one per secret rather than one per request.
const bySecret = new Map<string, StandardWebhook>();
function webhookFor(secret: string): StandardWebhook {
  let webhook = bySecret.get(secret);
  if (!webhook) {
    if (bySecret.size >= 1_000) bySecret.delete(bySecret.keys().next().value!);
    bySecret.set(secret, (webhook = new StandardWebhook(secret)));
  }
  return webhook;
}

export const standardWebhooks: Verifier = {
  scheme: 'STANDARD_WEBHOOKS',
  verify(request) {
    const { headers } = request;
    const signed = {
      'webhook-id': headers['webhook-id'] ?? '',
      'webhook-timestamp': headers['webhook-timestamp'] ?? '',
      'webhook-signature': headers['webhook-signature'] ?? '',
    };
    try {
      webhookFor(requireSecret(request)).verify(request.rawBody.toString('utf8'), signed, { jsonParse: false });
      return verified('STANDARD_WEBHOOKS');
    } catch (err) {
      if (err instanceof WebhookVerificationError) return rejected(REASONS[err.message] ?? `invalid signature: ${err.message}`);
      throw err;
    }
  },
};
