// A shared key sent as is in a header (DooneFlow's `X-Webhook-Key`, or the endpoint's
// configured header name). Compared in constant time.
import { safeEqual } from './safe-equal.ts';
import { rejected, requireSecret, verified, type Verifier } from './types.ts';

export const DEFAULT_KEY_HEADER = 'X-Webhook-Key';

export const headerKey: Verifier = {
  scheme: 'HEADER_KEY',
  verify(request) {
    const header = request.headerName ?? DEFAULT_KEY_HEADER;
    const key = request.headers[header.toLowerCase()];
    if (!key) return rejected(`missing ${header} header`);
    return safeEqual(key, requireSecret(request)) ? verified('HEADER_KEY') : rejected(`${header} does not match this endpoint's key`);
  },
};
