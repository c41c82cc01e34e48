// Scheme → verifier. Each scheme lives in its own module with the common Verifier interface.
import type { VerificationScheme } from './schemes.ts';
import { discord } from './discord.ts';
import { github } from './github.ts';
import { headerKey } from './header-key.ts';
import { hmacSha256 } from './hmac-sha256.ts';
import { none } from './none.ts';
import { slack } from './slack.ts';
import { standardWebhooks } from './standard-webhooks.ts';
import { twilio } from './twilio.ts';
import type { Verifier } from './types.ts';

export const verifiers: Record<VerificationScheme, Verifier> = {
  STANDARD_WEBHOOKS: standardWebhooks,
  GITHUB: github,
  SLACK: slack,
  TWILIO: twilio,
  DISCORD: discord,
  HEADER_KEY: headerKey,
  HMAC_SHA256: hmacSha256,
  NONE: none,
};

export type { VerifyRequest, VerifyResult, Verifier } from './types.ts';
export { VERIFICATION_SCHEMES, type VerificationScheme } from './schemes.ts';
export { TOLERANCE_MS } from './types.ts';
export { safeEqual } from './safe-equal.ts';
export { twilioSignature } from './twilio.ts';
export { StandardWebhook } from './standard-webhooks.ts';
