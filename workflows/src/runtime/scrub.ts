// Last line of defence for "secrets never leak": every secret value an action had in hand
// (credentials, {{ secrets.X }}) is blanked out of what gets stored, logged or returned.

const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[redacted]';

/** Every string leaf of the credentials and secret values worth redacting, longest first. */
export function secretValues(...sources: unknown[]): string[] {
  const found = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value === 'string') {
      if (value.length >= MIN_SECRET_LENGTH) found.add(value);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  sources.forEach(visit);
  // Encoded forms travel too (basic auth headers, URLs).
  for (const value of [...found]) {
    found.add(encodeURIComponent(value));
    found.add(Buffer.from(value).toString('base64'));
  }
  return [...found].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

export function scrubString(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** A deep copy of `value` with every secret occurrence replaced. */
export function scrub<T>(value: T, secrets: string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return scrubString(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => scrub(v, secrets)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrubString(k, secrets), scrub(v, secrets)])) as T;
  }
  return value;
}
