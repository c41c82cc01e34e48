// Named parameters for SOQL: `WHERE Email = :email` with params { email: "a'b@example.com" }
// becomes `WHERE Email = 'a\'b@example.com'`. Values are written as SOQL literals (strings quoted
// and escaped), so templated values can never change the query itself.
import { z } from '@patchbay/sdk';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})$/;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const typed = z.union([
  z.object({ date: z.string().regex(DATE, 'must be YYYY-MM-DD') }).strict(),
  z.object({ datetime: z.string().regex(DATETIME, 'must be an ISO 8601 date-time with a zone, e.g. 2024-01-31T09:00:00Z') }).strict(),
]);

export const soqlParam = z
  .union([scalar, typed, z.array(z.union([scalar, typed])).min(1, 'an IN list needs at least one value')])
  .describe('A string, number, boolean or null; { "date": "2024-01-31" } or { "datetime": "2024-01-31T09:00:00Z" } for date literals; a list for IN (…)');

export type SoqlParam = z.output<typeof soqlParam>;

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

export function soqlLiteral(value: SoqlParam): string {
  if (Array.isArray(value)) return `(${value.map((v) => soqlLiteral(v)).join(', ')})`;
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('a number parameter must be finite');
    return String(value);
  }
  if (typeof value === 'string') return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (c) => ESCAPES[c]!)}'`;
  return 'date' in value ? value.date : value.datetime;
}

/**
 * Replaces each `:name` outside string literals with its parameter. Throws with the names that
 * have no value (a mistyped name must not silently stay in the query).
 */
export function bindSoql(soql: string, params: Record<string, SoqlParam>): string {
  const missing = new Set<string>();
  let out = '';
  let i = 0;
  while (i < soql.length) {
    const c = soql[i]!;
    if (c === "'") {
      // Copy a string literal as is, honouring backslash escapes.
      let j = i + 1;
      while (j < soql.length && soql[j] !== "'") j += soql[j] === '\\' ? 2 : 1;
      out += soql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const bind = c === ':' ? /^:([A-Za-z_][A-Za-z0-9_]*)/.exec(soql.slice(i)) : null;
    if (bind) {
      const name = bind[1]!;
      if (Object.hasOwn(params, name)) out += soqlLiteral(params[name]!);
      else missing.add(name);
      i += bind[0].length;
      continue;
    }
    out += c;
    i += 1;
  }
  if (missing.size) throw new Error(`no value in params for ${[...missing].map((n) => `:${n}`).join(', ')}`);
  return out;
}
