// Date-time conversions between RFC 3339 instants and Graph's dateTimeTimeZone (a wall-clock
// time plus a zone name), done with Intl for IANA zones and UTC.

/** True for "2026-03-02T09:00:00Z" / "…+01:00"; false for a wall-clock time without offset. */
export const hasOffset = (value: string) => /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value);

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat | undefined {
  if (!formatters.has(timeZone)) {
    try {
      formatters.set(timeZone, new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }));
    } catch {
      return undefined; // not an IANA zone Intl knows (Graph also takes Windows names)
    }
  }
  return formatters.get(timeZone);
}

/** The wall-clock time of `instantMs` in `timeZone`, as "YYYY-MM-DDTHH:mm:ss"; undefined for a zone Intl does not know. */
export function wallClock(instantMs: number, timeZone: string): string | undefined {
  const parts = formatterFor(timeZone)?.formatToParts(new Date(instantMs));
  if (!parts) return undefined;
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}`;
}

const asUtcMs = (wall: string) => Date.parse(`${wall}Z`);

/** "+01:00" for the offset of `timeZone` at the wall-clock time `wall`; undefined for an unknown zone. */
export function offsetAt(wall: string, timeZone: string): string | undefined {
  const guess = asUtcMs(wall);
  const first = wallClock(guess, timeZone);
  if (first === undefined) return undefined;
  // Two passes settle the offset across a DST change.
  let offsetMs = asUtcMs(first) - guess;
  const again = wallClock(guess - offsetMs, timeZone);
  offsetMs = asUtcMs(again!) - (guess - offsetMs);
  const minutes = Math.round(offsetMs / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** Graph's "2026-03-02T09:00:00.0000000" trimmed to seconds. */
export const trimGraphDateTime = (value: string) => value.replace(/\.\d+$/, '');

/**
 * A Graph dateTimeTimeZone as RFC 3339: with "Z" in UTC, with the zone's offset for an IANA
 * zone, and as the bare wall-clock time for a zone only Windows knows (timeZone names it).
 */
export function fromGraph(value: { dateTime: string; timeZone?: string | null }): string {
  const wall = trimGraphDateTime(value.dateTime);
  const zone = value.timeZone ?? 'UTC';
  if (/^(UTC|Etc\/UTC|GMT|Coordinated Universal Time)$/i.test(zone)) return `${wall}Z`;
  const offset = offsetAt(wall, zone);
  return offset ? `${wall}${offset}` : wall;
}

/**
 * A Graph dateTimeTimeZone from an input time: a time with an offset becomes the wall-clock time
 * in `timeZone` (UTC when none is given); a wall-clock time is taken as it is, in `timeZone`.
 */
export function toGraph(value: string, timeZone: string | undefined): { dateTime: string; timeZone: string } | undefined {
  if (!hasOffset(value)) return timeZone ? { dateTime: value.replace(/\.\d+$/, ''), timeZone } : undefined;
  const instant = Date.parse(value);
  const zone = timeZone ?? 'UTC';
  const wall = zone === 'UTC' ? new Date(instant).toISOString().slice(0, 19) : wallClock(instant, zone);
  return wall === undefined ? undefined : { dateTime: wall, timeZone: zone };
}
