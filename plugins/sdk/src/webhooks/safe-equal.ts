// Constant-time string comparison. timingSafeEqual needs equal lengths, so both sides are
// hashed first: the comparison then takes the same time whatever the inputs' lengths.
import { createHash, timingSafeEqual } from 'node:crypto';

export function safeEqual(actual: string, expected: string): boolean {
  const a = createHash('sha256').update(actual).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && actual.length === expected.length;
}
