// Twilio: `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + params)), per Twilio's
// "Webhooks security" guide:
// - form posts (application/x-www-form-urlencoded): the full URL Twilio called (with its query
//   string), then every POST parameter sorted by name, each appended as name + value (a
//   repeated name appends each of its values, sorted);
// - JSON posts: the URL carries `bodySHA256=<hex SHA-256 of the body>`; only the URL is signed,
//   and the body must match that hash.
// Twilio's own library also accepts the URL with the default port added or removed (proxies
// differ in what they forward), so both spellings are tried.
import { createHash, createHmac } from 'node:crypto';
import { safeEqual } from './safe-equal.ts';
import { rejected, requireSecret, verified, type Verifier } from './types.ts';

export function twilioSignature(authToken: string, url: string, params: Array<[string, string]>): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of params) byName.set(name, [...(byName.get(name) ?? []), value]);
  let data = url;
  for (const name of [...byName.keys()].sort()) {
    for (const value of byName.get(name)!.sort()) data += name + value;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** The URL as given, and without / with its scheme's default port (proxies differ in what they forward). */
export function urlVariants(url: string): string[] {
  const parsed = new URL(url);
  // URL drops a default port itself, so a port here is non-default: nothing to toggle.
  if (parsed.port) return [url];
  const defaultPort = parsed.protocol === 'https:' ? '443' : '80';
  const rest = `${parsed.pathname}${parsed.search}`;
  return [...new Set([url, `${parsed.protocol}//${parsed.host}${rest}`, `${parsed.protocol}//${parsed.hostname}:${defaultPort}${rest}`])];
}

export const twilio: Verifier = {
  scheme: 'TWILIO',
  verify(request) {
    const signature = request.headers['x-twilio-signature'];
    if (!signature) return rejected('missing X-Twilio-Signature header');
    const token = requireSecret(request);
    const url = new URL(request.url);
    const bodyHash = url.searchParams.get('bodySHA256');
    let params: Array<[string, string]> = [];
    if (bodyHash !== null) {
      const actual = createHash('sha256').update(request.rawBody).digest('hex');
      if (!safeEqual(actual, bodyHash.toLowerCase())) return rejected('the body does not match the bodySHA256 in the URL');
    } else if (/application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '')) {
      params = [...new URLSearchParams(request.rawBody.toString('utf8'))];
    }
    const ok = urlVariants(request.url).some((candidate) => safeEqual(signature, twilioSignature(token, candidate, params)));
    return ok ? verified('TWILIO') : rejected('X-Twilio-Signature does not match the URL and parameters');
  },
};
