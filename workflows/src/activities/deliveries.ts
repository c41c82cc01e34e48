// Activities of an outgoing webhook Delivery. The Delivery row is the source of truth (the
// workflow carries its id only); each attempt signs, posts through the SSRF guard, and records
// itself. Signing follows Standard Webhooks: HMAC-SHA256 over `<msg id>.<timestamp>.<body>`
// with the base64 key after `whsec_`, as `v1,<base64>`; one signature per valid secret.
// (The `standardwebhooks` package is a dependency of server/ only; the tests verify every
// delivery with it.)
import { Context } from '@temporalio/activity';
import { recordActivity } from '@patchbay/db';
import { parseRetryAfter, PermanentError } from '@patchbay/sdk';
import { Webhook } from 'standardwebhooks';
import { guardedFetch } from '../runtime/network-guard.ts';
import type { ActivityDeps } from '../shared/deps.ts';

const POST_TIMEOUT_MS = 15_000;
const RESPONSE_BODY_BYTES = 1_024;
/** A batch's posts in flight at once. */
const BATCH_CONCURRENCY = 32;

export const subscriptionSecretContext = (subscriptionId: string) => `webhook-subscription:${subscriptionId}`;

/** One `v1,<base64>` signature per the Standard Webhooks spec, made by its reference library. */
export function signStandardWebhook(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  return new Webhook(secret).sign(messageId, new Date(timestampSeconds * 1000), body);
}

export type AttemptOutcome =
  /** 2xx: done. */
  | { result: 'delivered'; statusCode: number }
  /** Try again later (retryAfterMs: the receiver's Retry-After). */
  | { result: 'retry'; statusCode?: number; retryAfterMs?: number }
  /** Never again: the delivery or subscription is gone or disabled (now or before). */
  | { result: 'stop'; reason: string };


export function createDeliveryActivities(deps: ActivityDeps) {
  const { db, vault } = deps;
  const { prisma } = db;
  const post = guardedFetch({ allowPrivateNetwork: deps.allowPrivateNetwork === true });

  async function disable(subscription: { id: string; orgId: string; url: string }, reason: string) {
    const { count } = await prisma.webhookSubscription.updateMany({ where: { id: subscription.id, enabled: true }, data: { enabled: false, disabledReason: reason } });
    if (count === 1) {
      await recordActivity(db, {
        orgId: subscription.orgId,
        type: 'webhook_subscription.disabled',
        level: 'warn',
        message: `Webhook subscription to ${new URL(subscription.url).origin} disabled: ${reason}`,
        data: { subscriptionId: subscription.id, reason },
      });
    }
  }

  async function attemptDelivery(deliveryId: string, disableAfterMs: number): Promise<AttemptOutcome> {
    const delivery = await prisma.delivery.findUnique({ where: { id: deliveryId }, include: { subscription: true } });
    if (!delivery || delivery.status !== 'PENDING') return { result: 'stop', reason: 'the delivery is gone or finished' };
    const subscription = delivery.subscription;
    if (!subscription.enabled) return { result: 'stop', reason: `the subscription is disabled${subscription.disabledReason ? `: ${subscription.disabledReason}` : ''}` };

    const context = subscriptionSecretContext(subscription.id);
    const secrets = [vault.decrypt(subscription.secret, context)];
    if (subscription.previousSecret && subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt > new Date()) {
      secrets.push(vault.decrypt(subscription.previousSecret, context));
    }
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1_000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Patchbay-Webhooks/1',
      'webhook-id': delivery.messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': secrets.map((s) => signStandardWebhook(s, delivery.messageId, timestamp, body)).join(' '),
    };

    const at = new Date();
    const started = performance.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    let responseBody: string | null = null;
    let retryAfterMs: number | undefined;
    let permanent = false;
    try {
      const res = await post(subscription.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
      statusCode = res.status;
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after') ?? undefined);
      responseBody = (await res.text().catch(() => '')).slice(0, RESPONSE_BODY_BYTES);
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (err) {
      // A refused address (SSRF guard) will be refused again: no retries.
      permanent = err instanceof PermanentError;
      // Name the origin only: a URL's path can be its credential.
      const { pathname } = new URL(subscription.url);
      const message = err instanceof Error ? (err.name === 'TimeoutError' ? `timed out after ${POST_TIMEOUT_MS / 1_000} s` : err.message) : String(err);
      error = pathname.length > 1 ? message.split(pathname).join('/…') : message;
    }
    const durationMs = Math.round(performance.now() - started);
    const attempt = prisma.deliveryAttempt.create({ data: { deliveryId, at, statusCode, durationMs, error, responseBody } });

    if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
      // The attempt and the outcome commit together: one disk flush per delivery.
      await prisma.$transaction([
        attempt,
        prisma.delivery.update({ where: { id: deliveryId }, data: { status: 'DELIVERED', nextAttemptAt: null } }),
        ...(subscription.failingSince ? [prisma.webhookSubscription.update({ where: { id: subscription.id }, data: { failingSince: null } })] : []),
      ]);
      return { result: 'delivered', statusCode };
    }
    await attempt;
    if (statusCode === 410) {
      await disable(subscription, 'the receiver answered 410 Gone');
      return { result: 'stop', reason: 'the receiver answered 410 Gone' };
    }
    if (permanent) return { result: 'stop', reason: error ?? 'refused' };
    const failingSince = subscription.failingSince ?? at;
    if (!subscription.failingSince) await prisma.webhookSubscription.updateMany({ where: { id: subscription.id, failingSince: null }, data: { failingSince: at } });
    if (at.getTime() - failingSince.getTime() >= disableAfterMs) {
      const reason = `deliveries failed for ${Math.round((at.getTime() - failingSince.getTime()) / 3_600_000)} h without a success`;
      await disable(subscription, reason);
      return { result: 'stop', reason };
    }
    return { result: 'retry', ...(statusCode !== null ? { statusCode } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  return {
    /**
     * Claims the delivery: only one first execution proceeds even if two dispatchers (on two
     * Temporal clusters, say) started it. A replay (started by replayDelivery, which set
     * nextAttemptAt) proceeds while the delivery is PENDING.
     */
    async beginDelivery(deliveryId: string, replay = false): Promise<boolean> {
      if (replay) return (await prisma.delivery.count({ where: { id: deliveryId, status: 'PENDING' } })) === 1;
      const { count } = await prisma.delivery.updateMany({ where: { id: deliveryId, status: 'PENDING', nextAttemptAt: null }, data: { nextAttemptAt: new Date() } });
      return count === 1;
    },

    /** Claims those of the deliveries no execution has claimed yet (see beginDelivery); answers their ids. */
    async claimDeliveries(deliveryIds: string[]): Promise<string[]> {
      if (deliveryIds.length === 0) return [];
      const rows = await prisma.$queryRaw<Array<{ id: string }>>`
        UPDATE "Delivery" SET "nextAttemptAt" = now(), "updatedAt" = now()
        WHERE "id" = ANY(${deliveryIds}::text[]) AND "status" = 'PENDING' AND "nextAttemptAt" IS NULL
        RETURNING "id"`;
      const claimed = new Set(rows.map((r) => r.id));
      return deliveryIds.filter((id) => claimed.has(id));
    },

    /**
     * First attempts of claimed deliveries, side by side (at most BATCH_CONCURRENCY in flight). A
     * delivery whose attempt could not even be recorded answers `retry`: its own workflow takes over.
     */
    async attemptDeliveries(deliveryIds: string[], disableAfterMs: number): Promise<Array<{ deliveryId: string; outcome: AttemptOutcome }>> {
      const ctx = Context.current();
      const results: Array<{ deliveryId: string; outcome: AttemptOutcome }> = [];
      let next = 0;
      const worker = async () => {
        while (next < deliveryIds.length) {
          const deliveryId = deliveryIds[next++]!;
          const outcome = await attemptDelivery(deliveryId, disableAfterMs).catch((err: unknown): AttemptOutcome => {
            deps.logger.warn({ err, deliveryId }, 'a batched delivery attempt failed; its own workflow retries it');
            return { result: 'retry' };
          });
          results.push({ deliveryId, outcome });
          ctx.heartbeat(results.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, deliveryIds.length) }, worker));
      return results;
    },

    async scheduleDeliveryAttempt(deliveryId: string, delayMs: number): Promise<void> {
      await prisma.delivery.updateMany({ where: { id: deliveryId, status: 'PENDING' }, data: { nextAttemptAt: new Date(Date.now() + delayMs) } });
    },

    attemptDelivery,

    async finishDelivery(deliveryId: string, status: 'DELIVERED' | 'FAILED'): Promise<void> {
      await prisma.delivery.updateMany({ where: { id: deliveryId, status: 'PENDING' }, data: { status, nextAttemptAt: null } });
    },
  };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
