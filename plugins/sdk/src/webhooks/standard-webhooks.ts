// Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp`,
// `webhook-signature` (space-separated `v1,<base64>` list, so a sender rotating its secret can
// send several). Verified by the reference library itself: ±5 minutes, constant-time compare.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { rejected, requireSecret, verified, type Verifier } from './types.ts';

const REASONS: Record<string, string> = {
  'Missing required headers': 'missing webhook-id, webhook-timestamp or webhook-signature header',
  'Invalid Signature Headers': 'webhook-timestamp is not a number of seconds',
  'Message timestamp too old': 'webhook-timestamp is more than 5 minutes old',
  'Message timestamp too new': 'webhook-timestamp is more than 5 minutes in the future',
  'No matching signature found': 'no v1 signature in webhook-signature matches the payload',
};

// A Webhook decodes its base64 secret when made: keep one per secret rather than one per request.
const bySecret = new Map<string, Webhook>();
function webhookFor(secret: string): Webhook {
  let webhook = bySecret.get(secret);
  if (!webhook) {
    if (bySecret.size >= 1_000) bySecret.delete(bySecret.keys().next().value!);
    bySecret.set(secret, (webhook = new Webhook(secret)));
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
