// What every way of sending has in common: a normalized message in, a message id out, and a
// cheap credentials check. One module per provider implements it.
import type { TestResult } from '@patchbay/sdk';

export interface Address {
  name?: string;
  address: string;
}

export interface OutgoingAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

export interface OutgoingEmail {
  from: Address;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo?: Address;
  subject: string;
  text?: string;
  html?: string;
  attachments: OutgoingAttachment[];
  headers: Record<string, string>;
}

export type ProviderKey = 'smtp' | 'sendgrid' | 'mailgun' | 'postmark';

export interface SendResult {
  provider: ProviderKey;
  /** The provider's id for the message (SMTP: the Message-ID header). */
  messageId: string;
  /** Recipients the provider accepted (HTTP APIs accept all or fail). */
  accepted: string[];
  rejected: string[];
  /** The provider's own words on success (SMTP reply, API message). */
  response?: string;
}

export interface Transport {
  readonly provider: ProviderKey;
  send(email: OutgoingEmail, signal: AbortSignal): Promise<SendResult>;
  /** A cheap authenticated call proving the credentials work; throws the SDK's typed errors. */
  verify(signal: AbortSignal): Promise<TestResult>;
}

/** `Jane Doe <jane@example.com>`, quoting the name when it needs it. */
export function formatAddress(a: Address): string {
  if (!a.name) return a.address;
  const name = /^[\w !#$%&'*+\-/=?^`{|}~.]*$/.test(a.name) && !a.name.includes('.') ? a.name : `"${a.name.replace(/(["\\])/g, '\\$1')}"`;
  return `${name} <${a.address}>`;
}

export const addressesOf = (email: OutgoingEmail): string[] => [...email.to, ...email.cc, ...email.bcc].map((a) => a.address);

/** Races a vendor call that cannot take an AbortSignal against the run's signal. */
export async function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
