// A generic HMAC-SHA256 of the raw body in a header (Engrami's `X-Webhook-Signature:
// sha256=…` and many others). Options (the endpoint's `options` JSON):
//   encoding: 'hex' (default) | 'base64';  prefix: e.g. 'sha256=' (default none).
// The header is the endpoint's headerName (default X-Webhook-Signature).
import { createHmac } from 'node:crypto';
import { safeEqual } from './safe-equal.ts';
import { rejected, requireSecret, verified, type Verifier } from './types.ts';

export const DEFAULT_SIGNATURE_HEADER = 'X-Webhook-Signature';

export interface HmacOptions {
  encoding?: 'hex' | 'base64';
  prefix?: string;
}

export function hmacSignature(secret: string, body: Buffer | string, options: HmacOptions = {}): string {
  const digest = createHmac('sha256', secret).update(body).digest(options.encoding ?? 'hex');
  return `${options.prefix ?? ''}${digest}`;
}

export const hmacSha256: Verifier = {
  scheme: 'HMAC_SHA256',
  verify(request) {
    const header = request.headerName ?? DEFAULT_SIGNATURE_HEADER;
    const signature = request.headers[header.toLowerCase()];
    if (!signature) return rejected(`missing ${header} header`);
    const options = request.options as HmacOptions;
    if (options.prefix && !signature.startsWith(options.prefix)) return rejected(`${header} must start with "${options.prefix}"`);
    let expected = hmacSignature(requireSecret(request), request.rawBody, options);
    let actual = signature;
    if ((options.encoding ?? 'hex') === 'hex') {
      // Hex digits are case-insensitive; compare the canonical lower-case form.
      expected = expected.toLowerCase();
      actual = actual.toLowerCase();
    }
    return safeEqual(actual, expected) ? verified('HMAC_SHA256') : rejected(`${header} does not match the payload`);
  },
};
