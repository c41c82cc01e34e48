import { describe, expect, it } from 'vitest';
import { fromGraph, offsetAt, toGraph } from './time.ts';

describe('time conversions', () => {
  it('reads Graph dateTimeTimeZone as RFC 3339', () => {
    expect(fromGraph({ dateTime: '2026-01-12T09:00:00.0000000', timeZone: 'UTC' })).toBe('2026-01-12T09:00:00Z');
    expect(fromGraph({ dateTime: '2026-07-01T09:00:00.0000000', timeZone: 'Europe/Paris' })).toBe('2026-07-01T09:00:00+02:00');
    expect(fromGraph({ dateTime: '2026-01-12T09:00:00.0000000', timeZone: 'Asia/Kolkata' })).toBe('2026-01-12T09:00:00+05:30');
    expect(fromGraph({ dateTime: '2026-01-12T09:00:00.0000000', timeZone: 'Pacific Standard Time' })).toBe('2026-01-12T09:00:00');
  });

  it('finds offsets on both sides of a daylight-saving change', () => {
    expect(offsetAt('2026-03-29T01:30:00', 'Europe/Paris')).toBe('+01:00');
    expect(offsetAt('2026-03-29T03:30:00', 'Europe/Paris')).toBe('+02:00');
    expect(offsetAt('2026-11-01T12:00:00', 'America/New_York')).toBe('-05:00');
    expect(offsetAt('2026-01-01T00:00:00', 'Not/AZone')).toBeUndefined();
  });

  it('writes input times as Graph dateTimeTimeZone', () => {
    expect(toGraph('2026-07-01T09:00:00+02:00', undefined)).toEqual({ dateTime: '2026-07-01T07:00:00', timeZone: 'UTC' });
    expect(toGraph('2026-07-01T07:00:00Z', 'America/Los_Angeles')).toEqual({ dateTime: '2026-07-01T00:00:00', timeZone: 'America/Los_Angeles' });
    expect(toGraph('2026-07-01T09:00:00', 'Romance Standard Time')).toEqual({ dateTime: '2026-07-01T09:00:00', timeZone: 'Romance Standard Time' });
    expect(toGraph('2026-07-01T09:00:00', undefined)).toBeUndefined();
    expect(toGraph('2026-07-01T09:00:00Z', 'Romance Standard Time')).toBeUndefined();
  });
});
