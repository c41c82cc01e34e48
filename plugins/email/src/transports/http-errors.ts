// Turning an email API's failed answer into the SDK's typed errors, the same way for all three.
import { errorForResponse, PermanentError, TransientError, type PluginError } from '@patchbay/sdk';

export const PROVIDER_NAMES = { sendgrid: 'SendGrid', mailgun: 'Mailgun', postmark: 'Postmark' } as const;

/**
 * 401: the API key was rejected; 403: the key may not do this (or, at SendGrid, the sender is
 * unverified). An API key cannot be refreshed, so both are permanent (an AuthError would only
 * make the hub retry). 429 → RateLimitError honouring Retry-After; other
 * 4xx → PermanentError with the provider's message; 5xx → TransientError (see errorForResponse).
 */
export function apiFailure(provider: keyof typeof PROVIDER_NAMES, status: number, headers: Record<string, string>, message: string): PluginError {
  const name = PROVIDER_NAMES[provider];
  if (status === 401) {
    return new PermanentError(`${name} rejected the API key (401${message ? `: ${message}` : ''}); check the connection's key`, { status });
  }
  if (status === 403) {
    // SendGrid also answers 403 for an unverified sender: keep the provider's words.
    return new PermanentError(`${name} refused the request (403${message ? `: ${message}` : ''}); the API key may lack a permission, or the sender is not verified`, { status });
  }
  return errorForResponse({ status, headers }, `${name} API`, { message });
}

/** A request that got no answer at all (refused, reset, DNS, timeout). */
export function networkFailure(provider: keyof typeof PROVIDER_NAMES, detail: string): TransientError {
  return new TransientError(`${PROVIDER_NAMES[provider]} API could not be reached: ${detail}`);
}
