// SSRF guard for every request the hub makes on a user's behalf (webhook forwards, and the
// plugins' HTTP client): loopback, private, link-local, carrier-grade NAT, multicast and
// reserved addresses are refused with a PermanentError unless PATCHBAY_ALLOW_PRIVATE_NETWORK=true.
//
// - The host is resolved first and EVERY address it resolves to is checked (a name with one
//   public and one private address is refused).
// - Redirects are followed by hand so that each hop is checked too (fetch's own redirect
//   handling would let a public URL bounce to 169.254.169.254).
// - Known limit: the address is resolved again by fetch when it connects, so a DNS server that
//   answers differently within milliseconds (rebinding) is not caught; closing that needs a
//   connection-level lookup hook (an undici Agent), which the plugin HTTP client does not take.
// - Errors name the host only, never the path or query (they can carry keys).
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { PermanentError, TransientError } from '@patchbay/sdk';

export class PrivateNetworkError extends PermanentError {}

/** True for addresses a hub must not reach on a user's behalf by default. */
export function isPrivateAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const kind = net.isIP(ip);
  if (kind === 4) return isPrivateV4(ip.split('.').map(Number));
  if (kind === 6) return isPrivateV6(expandV6(ip));
  return true; // not an address at all: refuse rather than guess
}

function isPrivateV4([a = 0, b = 0, c = 0]: number[]): boolean {
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) || // TEST-NET-3
    a >= 224 // multicast, reserved, broadcast
  );
}

/** The 8 hextets of an IPv6 address (with an embedded dotted IPv4 tail, if any). */
function expandV6(ip: string): number[] {
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((h) => parseInt(h, 16));
}

function isPrivateV6(h: number[]): boolean {
  const [h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0, h5 = 0, h6 = 0, h7 = 0] = h;
  const embedded = () => [h6 >> 8, h6 & 0xff, h7 >> 8, h7 & 0xff];
  if (h0 === 0 && h1 === 0 && h2 === 0 && h3 === 0 && h4 === 0) {
    if (h5 === 0xffff) return isPrivateV4(embedded()); // IPv4-mapped ::ffff:a.b.c.d
    if (h5 === 0) return h6 === 0 || isPrivateV4(embedded()); // :: and ::1, or IPv4-compatible ::a.b.c.d
  }
  if (h0 === 0x64 && h1 === 0xff9b && h2 === 0 && h3 === 0 && h4 === 0 && h5 === 0) return isPrivateV4(embedded()); // NAT64
  if (h0 === 0x2002) return isPrivateV4([h1 >> 8, h1 & 0xff, h2 >> 8, h2 & 0xff]); // 6to4
  return (
    (h0 & 0xfe00) === 0xfc00 || // unique local
    (h0 & 0xffc0) === 0xfe80 || // link-local
    (h0 & 0xffc0) === 0xfec0 || // site-local (deprecated)
    (h0 & 0xff00) === 0xff00 || // multicast
    (h0 === 0x0100 && h1 === 0 && h2 === 0 && h3 === 0) || // discard-only
    (h0 === 0x2001 && h1 === 0x0db8) // documentation
  );
}

export interface NetworkGuardOptions {
  allowPrivateNetwork: boolean;
  /** Injectable resolver (tests). */
  resolve?: (host: string) => Promise<string[]>;
}

const defaultResolve = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Throws PrivateNetworkError when `url` may not be requested. */
export async function checkUrl(url: URL, options: NetworkGuardOptions): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PermanentError(`Only http and https URLs can be requested (got ${url.protocol})`);
  if (options.allowPrivateNetwork) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (net.isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (options.resolve ?? defaultResolve)(host);
    } catch (err) {
      throw new TransientError(`Could not resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const refused = addresses.find(isPrivateAddress);
  if (refused !== undefined || addresses.length === 0) {
    throw new PrivateNetworkError(
      `Refused to connect to ${host}${refused && refused !== host ? ` (${refused})` : ''}: loopback, private and link-local addresses are blocked (set PATCHBAY_ALLOW_PRIVATE_NETWORK=true to allow them)`,
    );
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/**
 * A fetch that checks every redirect hop against the guard, and the first URL too unless
 * `checkFirst` is false (the HTTP client's beforeRequest hook has checked it already).
 */
export function guardedFetch(options: NetworkGuardOptions, { checkFirst = true, baseFetch = fetch } = {}): typeof fetch {
  return async (input, init = {}) => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    if (checkFirst) await checkUrl(url, options);
    if (options.allowPrivateNetwork || init.redirect === 'manual' || init.redirect === 'error') return baseFetch(url, init);
    let method = (init.method ?? 'GET').toUpperCase();
    let body = init.body;
    const headers = new Headers(init.headers);
    for (let hop = 0; ; hop++) {
      const res = await baseFetch(url, { ...init, method, body, headers, redirect: 'manual' });
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || !location) return res;
      if (hop >= MAX_REDIRECTS) throw new PermanentError(`Too many redirects from ${url.host}`);
      const next = new URL(location, url);
      await checkUrl(next, options);
      await res.body?.cancel().catch(() => {});
      // The fetch standard's rules: 303 (and 301/302 after a POST) continue as a GET without a body.
      if ((res.status === 303 && method !== 'HEAD') || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
        for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
      }
      if (next.origin !== url.origin) for (const name of ['authorization', 'cookie', 'proxy-authorization']) headers.delete(name);
      url = next;
    }
  };
}

/** What the SDK's HTTP client takes (`http: { beforeRequest, fetch }`) to enforce the guard. */
export function networkGuard(options: NetworkGuardOptions) {
  return {
    beforeRequest: (url: URL) => checkUrl(url, options),
    fetch: guardedFetch(options, { checkFirst: false }),
  };
}

/**
 * The guard for a process's dependencies: the worker's ActivityDeps carry
 * `allowPrivateNetwork`; the api passes its Hub, whose config carries
 * PATCHBAY_ALLOW_PRIVATE_NETWORK. Anything else gets the safe default (refuse).
 */
export function networkGuardFor(deps: object) {
  const fromDeps = (deps as { allowPrivateNetwork?: boolean }).allowPrivateNetwork;
  const fromConfig = (deps as { config?: { PATCHBAY_ALLOW_PRIVATE_NETWORK?: boolean } }).config?.PATCHBAY_ALLOW_PRIVATE_NETWORK;
  return networkGuard({ allowPrivateNetwork: (fromDeps ?? fromConfig) === true });
}
