// No verification: only for endpoints created with `verification: NONE` on purpose (anyone
// who knows the URL can post). The outcome says so on every event.
import type { Verifier } from './types.ts';

export const none: Verifier = {
  scheme: 'NONE',
  verify: () => ({ ok: true, outcome: 'not verified (NONE)' }),
};
