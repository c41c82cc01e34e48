// The signature schemes the hub can check on an incoming webhook. The database enum of the same
// name mirrors this list (the server's type check fails if they drift apart).
export const VERIFICATION_SCHEMES = ['STANDARD_WEBHOOKS', 'GITHUB', 'SLACK', 'TWILIO', 'DISCORD', 'HEADER_KEY', 'HMAC_SHA256', 'NONE'] as const;

export type VerificationScheme = (typeof VERIFICATION_SCHEMES)[number];
