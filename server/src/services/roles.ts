import type { Role } from '@patchbay/db';

// OWNER/ADMIN manage tokens, connections and secrets; MEMBER runs things; VIEWER reads.
const rank: Record<Role, number> = { VIEWER: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };

export function hasRole(actual: Role, required: Role): boolean {
  return rank[actual] >= rank[required];
}
