// API tokens: a random secret shown once; only its SHA-256 is stored, so a database leak
// yields no usable token. Lookups go by hash (unique index), constant work per request.
import { createHash, randomBytes } from 'node:crypto';
import { recordActivity, type Database, type Role } from '@patchbay/db';
import { forbidden, notFound } from '../errors.ts';
import { hasRole } from './roles.ts';

export interface Auth {
  orgId: string;
  role: Role;
  tokenId: string;
  userId: string | null;
}

export type Authentication = { auth: Auth; problem: null } | { auth: null; problem: string };

const LAST_USED_GRANULARITY_MS = 60_000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const generateToken = () => `pbt_${randomBytes(24).toString('base64url')}`;

/** Enough to recognise a token in a list, never enough to guess it. */
export function tokenPrefix(token: string): string {
  return token.slice(0, Math.min(12, Math.floor(token.length / 3)));
}

export async function authenticate(db: Database, header: string | null | undefined, now = new Date()): Promise<Authentication> {
  if (!header) return { auth: null, problem: 'Authentication required: send Authorization: Bearer <token>' };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return { auth: null, problem: 'Malformed Authorization header: expected "Bearer <token>"' };
  const token = await db.prisma.apiToken.findUnique({ where: { tokenHash: hashToken(match[1]!) } });
  if (!token) return { auth: null, problem: 'Invalid API token' };
  if (token.revokedAt) return { auth: null, problem: 'This API token has been revoked' };
  if (token.expiresAt && token.expiresAt <= now) return { auth: null, problem: 'This API token has expired' };
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    // Written at most once a minute per token, off the request's critical path.
    void db.prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } }).catch(() => {});
  }
  return { auth: { orgId: token.orgId, role: token.role, tokenId: token.id, userId: token.userId }, problem: null };
}

export async function createApiToken(db: Database, auth: Auth, input: { name: string; role: Role; expiresAt?: Date | null }) {
  if (!hasRole(auth.role, input.role)) throw forbidden(`A ${auth.role} token cannot create a ${input.role} token`);
  const token = generateToken();
  const apiToken = await db.prisma.apiToken.create({
    data: {
      orgId: auth.orgId,
      userId: auth.userId,
      name: input.name,
      role: input.role,
      prefix: tokenPrefix(token),
      tokenHash: hashToken(token),
      expiresAt: input.expiresAt ?? null,
    },
  });
  await recordActivity(db, {
    orgId: auth.orgId,
    type: 'api_token.created',
    message: `API token "${apiToken.name}" (${apiToken.role}) created`,
    data: { apiTokenId: apiToken.id, prefix: apiToken.prefix },
  });
  return { apiToken, token };
}

export async function revokeApiToken(db: Database, auth: Auth, id: string) {
  const existing = await db.prisma.apiToken.findFirst({ where: { id, orgId: auth.orgId } });
  if (!existing) throw notFound('API token');
  if (!hasRole(auth.role, existing.role)) throw forbidden(`A ${auth.role} token cannot revoke a ${existing.role} token`);
  if (existing.revokedAt) return existing;
  const apiToken = await db.prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  await recordActivity(db, {
    orgId: auth.orgId,
    type: 'api_token.revoked',
    message: `API token "${apiToken.name}" revoked`,
    data: { apiTokenId: apiToken.id, prefix: apiToken.prefix },
  });
  return apiToken;
}

/**
 * With PATCHBAY_BOOTSTRAP_TOKEN set, the first start creates organization `default` and an
 * OWNER token with exactly that value. Idempotent: later starts find both and change nothing.
 */
export async function ensureBootstrap(db: Database, token: string): Promise<{ created: boolean }> {
  const org = await db.prisma.organization.upsert({
    where: { slug: 'default' },
    update: {},
    create: { slug: 'default', name: 'Default' },
  });
  const tokenHash = hashToken(token);
  const existing = await db.prisma.apiToken.findUnique({ where: { tokenHash } });
  if (existing) return { created: false };
  await db.prisma.apiToken.create({
    data: { orgId: org.id, name: 'bootstrap', role: 'OWNER', prefix: tokenPrefix(token), tokenHash },
  });
  return { created: true };
}
