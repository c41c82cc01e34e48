// Connect links: a short-lived, single-use URL (/connect/<token>) an app hands to one of its end
// users, so they can connect their own account on a page the hub serves. Only the token's hash
// is stored; the link is spent when a connection is made through it (a failed attempt gives
// it back, so a mistyped key can be corrected).
import { createHash, randomBytes } from 'node:crypto';
import type { ConnectLink } from '@patchbay/db';
import type { Hub } from '../context.ts';
import { badInput } from '../errors.ts';

export const DEFAULT_LINK_MINUTES = 30;
export const MAX_LINK_MINUTES = 7 * 24 * 60;

export interface NewConnectLink {
  integrationKey: string;
  name?: string | null;
  endUserId?: string | null;
  redirectUrl?: string | null;
  config?: Record<string, unknown> | null;
  expiresInMinutes?: number | null;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createConnectLink(hub: Hub, orgId: string, input: NewConnectLink): Promise<{ link: ConnectLink; url: string }> {
  const plugin = hub.plugins.get(input.integrationKey);
  if (!plugin) throw badInput(`Unknown integration "${input.integrationKey}"`, [{ path: 'integrationKey', message: 'no such integration' }]);
  const usable = plugin.auth.filter((a) => a.mode !== 'OAUTH2_CLIENT_CREDENTIALS');
  if (usable.length === 0) throw badInput(`${plugin.displayName} connects with client credentials only: use createConnection`, [{ path: 'integrationKey', message: 'nothing for an end user to enter' }]);
  const token = randomBytes(32).toString('base64url');
  const minutes = input.expiresInMinutes ?? DEFAULT_LINK_MINUTES;
  const link = await hub.db.prisma.connectLink.create({
    data: {
      tokenHash: hashToken(token),
      orgId,
      integrationKey: plugin.key,
      name: input.name ?? `${plugin.displayName}${input.endUserId ? ` for ${input.endUserId}` : ''}`,
      endUserId: input.endUserId ?? null,
      redirectUrl: input.redirectUrl ?? null,
      config: (input.config ?? undefined) as object | undefined,
      expiresAt: new Date(Date.now() + minutes * 60_000),
    },
  });
  return { link, url: `${hub.config.publicUrl}/connect/${token}` };
}

export type LinkLookup = { ok: true; link: ConnectLink } | { ok: false; status: 404 | 410; message: string };

/** The link a token names, if it can still be used. */
export async function findUsableLink(hub: Hub, token: string): Promise<LinkLookup> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return { ok: false, status: 404, message: 'This connect link is not valid. Ask the app for a new one.' };
  const link = await hub.db.prisma.connectLink.findUnique({ where: { tokenHash: hashToken(token) } });
  if (!link) return { ok: false, status: 404, message: 'This connect link is not valid. Ask the app for a new one.' };
  if (link.usedAt) return { ok: false, status: 410, message: 'This connect link was already used. Ask the app for a new one.' };
  if (link.expiresAt <= new Date()) return { ok: false, status: 410, message: 'This connect link has expired. Ask the app for a new one.' };
  return { ok: true, link };
}

/** Spends the link; false when another request spent it first (double submit). */
export async function claimLink(hub: Hub, link: ConnectLink): Promise<boolean> {
  const { count } = await hub.db.prisma.connectLink.updateMany({ where: { id: link.id, usedAt: null, expiresAt: { gt: new Date() } }, data: { usedAt: new Date() } });
  return count === 1;
}

/** Gives a claimed link back after an attempt that made no connection. */
export async function releaseLink(hub: Hub, link: ConnectLink): Promise<void> {
  await hub.db.prisma.connectLink.updateMany({ where: { id: link.id }, data: { usedAt: null } });
}
