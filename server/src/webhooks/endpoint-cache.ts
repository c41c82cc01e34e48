// Incoming webhooks read their endpoint (and its decrypted secret) on every request. Under load
// that is one query and one decryption per request for a row that rarely changes, so each api
// process keeps what it read for a second. A change made through this process (update, delete,
// disable) takes effect at once; one made through another api process within TTL_MS.
import type { WebhookEndpoint } from '@patchbay/db';
import type { Hub } from '../context.ts';
import { webhookEndpointContext } from './endpoint-config.ts';

const TTL_MS = 1_000;

export interface LoadedEndpoint {
  endpoint: WebhookEndpoint;
  /** The decrypted signing secret / key (null for NONE). */
  secret: string | null;
}

interface Entry {
  at: number;
  loading: Promise<LoadedEndpoint | null>;
}

const caches = new WeakMap<Hub, Map<string, Entry>>();

function cacheOf(hub: Hub): Map<string, Entry> {
  let cache = caches.get(hub);
  if (!cache) caches.set(hub, (cache = new Map()));
  return cache;
}

/** Generated endpoint ids; anything else in the URL is a chosen path. */
const GENERATED_ID = /^wh_[A-Za-z0-9_-]{20}$/;

/**
 * The endpoint (by id, or by its chosen path) with its secret, from a read at most TTL_MS old;
 * concurrent misses share one read.
 */
export function loadEndpoint(hub: Hub, key: string): Promise<LoadedEndpoint | null> {
  const cache = cacheOf(hub);
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < TTL_MS) return hit.loading;
  const where = GENERATED_ID.test(key) ? { id: key } : { path: key };
  const loading = hub.db.prisma.webhookEndpoint.findUnique({ where }).then((endpoint) =>
    endpoint ? { endpoint, secret: endpoint.secret ? hub.vault.decrypt(endpoint.secret, webhookEndpointContext(endpoint.id)) : null } : null,
  );
  cache.set(key, { at: now, loading });
  // A failed read is not remembered.
  loading.catch(() => cache.get(key)?.loading === loading && cache.delete(key));
  if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
  return loading;
}

/** Called by every change to an endpoint in this process: forgets it under its id and any path. */
export function forgetEndpoint(hub: Hub, id: string): void {
  const cache = cacheOf(hub);
  cache.delete(id);
  // Path entries are few (chosen by people); a changed path must stop answering at once.
  for (const key of cache.keys()) if (!GENERATED_ID.test(key)) cache.delete(key);
}
