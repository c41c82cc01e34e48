// JSONPath mappings (Engrami style): `{ "ticket_id": "$.id", "meta": { "lead": "$.data.id" } }`
// applied to a JSON value. Script evaluation is off: paths are data, never code.
import { JSONPath } from 'jsonpath-plus';
import { PermanentError } from './errors.ts';

export type Mapping = string | { [key: string]: Mapping };

export function applyMapping(mapping: Mapping, data: unknown): unknown {
  if (typeof mapping === 'string') {
    if (!mapping.startsWith('$')) return mapping;
    try {
      const found = JSONPath({ path: mapping, json: data as object, eval: false, wrap: true }) as unknown[];
      // A path that can match many nodes (wildcards, filters, recursive descent) yields a list.
      return /\*|\.\.|\?\(|\[[^\]]*[,:]/.test(mapping) ? found : found[0] ?? null;
    } catch (err) {
      throw new PermanentError(`Invalid JSONPath "${mapping}": ${(err as Error).message}`);
    }
  }
  if (mapping && typeof mapping === 'object' && !Array.isArray(mapping)) {
    return Object.fromEntries(Object.entries(mapping).map(([key, inner]) => [key, applyMapping(inner, data)]));
  }
  throw new PermanentError('A mapping is a JSONPath string or an object of mappings');
}
