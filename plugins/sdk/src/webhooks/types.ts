// The common shape of every verification scheme: a pure function of the request as received
// (raw bytes, lower-cased headers, the public URL the provider called) and the endpoint's
// decrypted secret. It never throws for a bad request; it says why in `reason` (sent back in
// the 401 body, so it names what is wrong, never the expected value).
import type { VerificationScheme } from './schemes.ts';

export interface VerifyRequest {
  rawBody: Buffer;
  /** Lower-cased header names; a repeated header keeps its first value. */
  headers: Record<string, string>;
  /** The URL the provider called: PUBLIC_URL + path + query (Twilio signs it). */
  url: string;
  /** The decrypted secret / key (null only for NONE). */
  secret: string | null;
  /** The configured header (HEADER_KEY, HMAC_SHA256), or null for the scheme's default. */
  headerName: string | null;
  /** Scheme options from the endpoint's `options` JSON. */
  options: Record<string, unknown>;
  /** Milliseconds since the epoch (injectable for tests). */
  now: number;
}

export type VerifyResult = { ok: true; outcome: string } | { ok: false; reason: string };

export interface Verifier {
  scheme: VerificationScheme;
  verify(request: VerifyRequest): VerifyResult | Promise<VerifyResult>;
}

/** Signed timestamps older or newer than this are refused (replay window). */
export const TOLERANCE_MS = 5 * 60 * 1000;

export const verified = (scheme: string): VerifyResult => ({ ok: true, outcome: `verified (${scheme})` });
export const rejected = (reason: string): VerifyResult => ({ ok: false, reason });

export function requireSecret(request: VerifyRequest): string {
  // createWebhookEndpoint guarantees a secret for every scheme but NONE.
  if (!request.secret) throw new Error('this endpoint has no secret stored');
  return request.secret;
}
