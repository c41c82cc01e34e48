// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">` with the app's
// signing secret, and `X-Slack-Request-Timestamp` within 5 minutes (Slack's own rule).
import { createHmac } from 'node:crypto';
import { safeEqual } from './safe-equal.ts';
import { rejected, requireSecret, TOLERANCE_MS, verified, type Verifier } from './types.ts';

export const slack: Verifier = {
  scheme: 'SLACK',
  verify(request) {
    const signature = request.headers['x-slack-signature'];
    const timestamp = request.headers['x-slack-request-timestamp'];
    if (!signature) return rejected('missing X-Slack-Signature header');
    if (!timestamp) return rejected('missing X-Slack-Request-Timestamp header');
    if (!/^\d{1,12}$/.test(timestamp)) return rejected('X-Slack-Request-Timestamp is not a number of seconds');
    if (Math.abs(request.now - Number(timestamp) * 1000) > TOLERANCE_MS) {
      return rejected('X-Slack-Request-Timestamp is more than 5 minutes away from now');
    }
    const expected = `v0=${createHmac('sha256', requireSecret(request))
      .update(`v0:${timestamp}:`)
      .update(request.rawBody)
      .digest('hex')}`;
    return safeEqual(signature, expected) ? verified('SLACK') : rejected('X-Slack-Signature does not match the payload');
  },
};
