// Incoming webhook endpoints: created with a secret that is shown once and kept only as vault
// ciphertext bound to the endpoint (`webhook-endpoint:<id>`), updated, deleted (its events go
// with it). Ingestion itself is server/src/http/hooks.ts; routing is the webhook-event workflow.
import { randomBytes } from 'node:crypto';
import { Prisma, recordActivity, type VerificationScheme, type WebhookEndpoint } from '@patchbay/db';
import type { Hub } from '../context.ts';
import { forgetEndpoint } from '../webhooks/endpoint-cache.ts';
import { badInput, conflict, notFound } from '../errors.ts';
import {
  checkHeaderName,
  checkOptions,
  checkSecret,
  checkTarget,
  checkTransform,
  generateSecret,
  MAX_BODY_LIMIT,
  webhookEndpointContext,
} from '../webhooks/endpoint-config.ts';

export interface NewWebhookEndpoint {
  name: string;
  /** A chosen URL path instead of the id: PUBLIC_URL/hooks/<path> (DooneFlow's webhook path). */
  path?: string | null;
  verification: VerificationScheme;
  secret?: string | null;
  headerName?: string | null;
  transform?: unknown;
  target?: unknown;
  options?: unknown;
  maxBodyBytes?: number | null;
  rateLimitPerMinute?: number | null;
}

/** Everything but the scheme can change; a new secret comes from the provider (never returned). */
export type WebhookEndpointChanges = Partial<Omit<NewWebhookEndpoint, 'verification' | 'secret'>> & {
  enabled?: boolean;
  secret?: string;
};

/** Endpoint ids are in the public URL: 120 random bits, so a URL cannot be guessed from another. */
const newEndpointId = () => `wh_${randomBytes(15).toString('base64url')}`;

const jsonOrNull = (value: unknown) => (value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue));

export const webhookEndpointUrl = (hub: Hub, endpoint: { id: string; path?: string | null }) => `${hub.config.publicUrl}/hooks/${endpoint.path ?? endpoint.id}`;

/** Paths are hub-wide (the URL has no organization in it); `wh_` is the prefix of generated ids. */
const PATH = /^(?!wh_)[a-z0-9][a-z0-9_-]{1,63}$/;

function checkPath(path: string | null | undefined): string | null | undefined {
  if (path === undefined || path === null) return path;
  if (!PATH.test(path)) throw badInput('path must be 2-64 characters: lower-case letters, digits, - and _ (not starting with wh_)', [{ path: 'path', message: 'invalid path' }]);
  return path;
}

/** A path another endpoint has taken answers a CONFLICT, not an internal error. */
async function withPathCheck<T>(path: string | null | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (path && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') throw conflict(`The webhook path "${path}" is taken; choose another`);
    throw err;
  }
}

function checkLimits(input: { maxBodyBytes?: number | null; rateLimitPerMinute?: number | null }) {
  if (input.maxBodyBytes !== undefined && input.maxBodyBytes !== null && (input.maxBodyBytes < 1024 || input.maxBodyBytes > MAX_BODY_LIMIT)) {
    throw badInput(`maxBodyBytes must be between 1024 and ${MAX_BODY_LIMIT}`, [{ path: 'maxBodyBytes', message: 'out of range' }]);
  }
  if (input.rateLimitPerMinute !== undefined && input.rateLimitPerMinute !== null && (input.rateLimitPerMinute < 1 || input.rateLimitPerMinute > 1_000_000)) {
    throw badInput('rateLimitPerMinute must be between 1 and 1000000 (null: no limit)', [{ path: 'rateLimitPerMinute', message: 'out of range' }]);
  }
}

export async function createWebhookEndpoint(hub: Hub, orgId: string, input: NewWebhookEndpoint): Promise<{ endpoint: WebhookEndpoint; secret: string | null }> {
  const scheme = input.verification;
  const supplied = checkSecret(scheme, input.secret);
  const headerName = checkHeaderName(scheme, input.headerName);
  const options = checkOptions(scheme, input.options);
  const transform = checkTransform(input.transform);
  const target = await checkTarget(hub, orgId, input.target, scheme);
  const path = checkPath(input.path);
  checkLimits(input);
  const generated = supplied ? null : generateSecret(scheme);
  const secret = supplied ?? generated;
  const id = newEndpointId();
  const endpoint = await withPathCheck(path, () => hub.db.prisma.webhookEndpoint.create({
    data: {
      id,
      orgId,
      name: input.name,
      path: path ?? null,
      verification: scheme,
      secret: secret === null ? null : hub.vault.encrypt(secret, webhookEndpointContext(id)),
      headerName,
      options: options as Prisma.InputJsonValue,
      transform: (transform ?? undefined) as Prisma.InputJsonValue | undefined,
      target: (target ?? undefined) as Prisma.InputJsonValue | undefined,
      ...(input.maxBodyBytes ? { maxBodyBytes: input.maxBodyBytes } : {}),
      rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    },
  }));
  await recordActivity(hub.db, {
    orgId,
    type: 'webhook_endpoint.created',
    message: `Webhook endpoint "${endpoint.name}" (${scheme}) created`,
    data: { endpointId: endpoint.id, verification: scheme },
  });
  // Shown once: only a secret the hub made up. A secret the caller supplied is not echoed back.
  return { endpoint, secret: generated };
}

export async function updateWebhookEndpoint(hub: Hub, orgId: string, id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpoint> {
  const endpoint = await hub.db.prisma.webhookEndpoint.findFirst({ where: { id, orgId } });
  if (!endpoint) throw notFound('Webhook endpoint');
  const scheme = endpoint.verification;
  const data: Prisma.WebhookEndpointUpdateInput = {};
  if (changes.name !== undefined) data.name = changes.name;
  if (changes.path !== undefined) data.path = checkPath(changes.path);
  if (changes.enabled !== undefined) data.enabled = changes.enabled;
  if (changes.secret !== undefined) {
    const secret = checkSecret(scheme, changes.secret);
    data.secret = secret === null ? null : hub.vault.encrypt(secret, webhookEndpointContext(id));
  }
  if (changes.headerName !== undefined) data.headerName = checkHeaderName(scheme, changes.headerName);
  if (changes.options !== undefined) data.options = checkOptions(scheme, changes.options) as Prisma.InputJsonValue;
  // null clears (SQL NULL): no transform = the whole body; no target = just store the event.
  if (changes.transform !== undefined) data.transform = jsonOrNull(checkTransform(changes.transform));
  if (changes.target !== undefined) data.target = jsonOrNull(await checkTarget(hub, orgId, changes.target, scheme));
  checkLimits(changes);
  if (changes.maxBodyBytes !== undefined) data.maxBodyBytes = changes.maxBodyBytes ?? 1024 * 1024;
  if (changes.rateLimitPerMinute !== undefined) data.rateLimitPerMinute = changes.rateLimitPerMinute;
  const updated = await withPathCheck(changes.path, () => hub.db.prisma.webhookEndpoint.update({ where: { id }, data }));
  forgetEndpoint(hub, id);
  const what = Object.keys(changes).filter((k) => changes[k as keyof WebhookEndpointChanges] !== undefined);
  await recordActivity(hub.db, {
    orgId,
    type: 'webhook_endpoint.updated',
    message: `Webhook endpoint "${updated.name}" ${changes.enabled === false ? 'disabled' : changes.enabled === true ? 'enabled' : 'updated'}`,
    // Names of what changed, never values (one of them may be the secret).
    data: { endpointId: id, changed: what },
  });
  return updated;
}

export async function deleteWebhookEndpoint(hub: Hub, orgId: string, id: string): Promise<WebhookEndpoint> {
  const endpoint = await hub.db.prisma.webhookEndpoint.findFirst({ where: { id, orgId } });
  if (!endpoint) throw notFound('Webhook endpoint');
  // Its events are deleted with it (cascade); a workflow still routing one finds it gone and stops.
  await hub.db.prisma.webhookEndpoint.delete({ where: { id } });
  forgetEndpoint(hub, id);
  await recordActivity(hub.db, {
    orgId,
    type: 'webhook_endpoint.deleted',
    message: `Webhook endpoint "${endpoint.name}" deleted`,
    data: { endpointId: id },
  });
  return endpoint;
}
