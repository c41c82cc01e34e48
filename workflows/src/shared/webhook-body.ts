// How an incoming webhook body becomes the value transforms read: JSON (any `…/json` or
// `…+json` type) is parsed; form-urlencoded becomes an object (a repeated field becomes an
// array); anything else is kept as text. Shared by the api (which rejects unparsable bodies
// with 400 before storing) and the worker (which reads the stored raw body), so both agree.
// No Node imports: plain functions.

export class WebhookBodyError extends Error {
  override name = 'WebhookBodyError';
}

export type BodyKind = 'json' | 'form' | 'text';

export function bodyKind(contentType: string | null | undefined): BodyKind {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'application/json' || type.endsWith('+json') || type.endsWith('/json')) return 'json';
  return 'text';
}

export function parseWebhookBody(raw: string, contentType: string | null | undefined): unknown {
  switch (bodyKind(contentType)) {
    case 'json': {
      if (raw.trim() === '') return null;
      try {
        return JSON.parse(raw);
      } catch (err) {
        throw new WebhookBodyError(`the body is not valid JSON: ${(err as Error).message}`);
      }
    }
    case 'form': {
      // A Map, then fromEntries: a field named __proto__ stays a plain own property.
      const fields = new Map<string, string | string[]>();
      for (const [name, value] of new URLSearchParams(raw)) {
        const seen = fields.get(name);
        fields.set(name, seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]);
      }
      return Object.fromEntries(fields);
    }
    default:
      return raw;
  }
}
