// What a row looks like once it leaves the plugin: plain JSON. Run outputs are stored and sent
// through Temporal as JSON, so driver-specific values are turned into JSON-friendly ones here.

/**
 * - Date → ISO 8601 string (PostgreSQL timestamptz); DATE and TIMESTAMP WITHOUT TIME ZONE (and
 *   MySQL DATE/DATETIME/TIMESTAMP) already arrive as the database's own text, see pools.ts
 * - bigint → string; ±Infinity / NaN → "Infinity" / "-Infinity" / "NaN"
 * - Buffer / Uint8Array (bytea, BLOB, BIT) → base64 string
 * - objects (JSON columns, intervals, points) → plain objects, recursively
 */
export function toJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  // postgres-interval values know how to print themselves as ISO 8601 durations.
  const maybe = value as { toISOString?: unknown };
  if (typeof maybe.toISOString === 'function') return (maybe.toISOString as () => string).call(value);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = toJsonValue(v);
  return out;
}

/** A row as a plain object (mysql2 rows are RowDataPacket instances). */
export function toJsonRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(row)) out[key] = toJsonValue(v);
  return out;
}
