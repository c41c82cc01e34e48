// Activities of an outgoing webhook Delivery. The Delivery row is the source of truth (the
// workflow carries its id only); each attempt signs, posts through the SSRF guard, and records
// itself. Signing follows Standard Webhooks: HMAC-SHA256 over `<msg id>.<timestamp>.<body>`
// with the base64 key after `whsec_`, as `v1,<base64>`; one signature per valid secret, made by
// the SDK's StandardWebhook (the `standardwebhooks` reference library; the tests verify every
// delivery with the library itself).
import { Context } from '@temporalio/activity';
import { recordActivity, type Delivery, type WebhookSubscription } from '@patchbay/db';
import { parseRetryAfter, PermanentError } from '@patchbay/sdk';
import { StandardWebhook } from '@patchbay/sdk/webhooks';
import { guardedFetch } from '../runtime/network-guard.ts';
import type { ActivityDeps } from '../shared/deps.ts';

const POST_TIMEOUT_MS = 15_000;
const RESPONSE_BODY_BYTES = 1_024;
/** A batch's posts in flight at once. */
const BATCH_CONCURRENCY = 32;

export const subscriptionSecretContext = (subscriptionId: string) => `webhook-subscription:${subscriptionId}`;

/** One `v1,<base64>` signature per the Standard Webhooks spec, made by its reference library (with Node's HMAC). */
export function signStandardWebhook(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  return new StandardWebhook(secret).sign(messageId, new Date(timestampSeconds * 1000), body);
}

interface SentAttempt {
  deliveryId: string;
  at: Date;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  durationMs: number;
  retryAfterMs?: number;
  /** Refused before sending (SSRF guard): it will be refused again. */
  permanent: boolean;
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

  type LoadedDelivery = Delivery & { subscription: WebhookSubscription };

  /** Why a delivery is not to be attempted (gone, finished, subscription disabled), or null. */
  function stopReason(delivery: LoadedDelivery | null | undefined): string | null {
    if (!delivery || delivery.status !== 'PENDING') return 'the delivery is gone or finished';
    const { subscription } = delivery;
    if (!subscription.enabled) return `the subscription is disabled${subscription.disabledReason ? `: ${subscription.disabledReason}` : ''}`;
    return null;
  }

  /** Signs and POSTs (through the SSRF guard); never throws: the outcome is in what it answers. */
  async function send(delivery: LoadedDelivery): Promise<SentAttempt> {
    const { subscription } = delivery;
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
    const sent: SentAttempt = { deliveryId: delivery.id, at: new Date(), statusCode: null, error: null, responseBody: null, durationMs: 0, permanent: false };
    const started = performance.now();
    try {
      const res = await post(subscription.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
      sent.statusCode = res.status;
      sent.retryAfterMs = parseRetryAfter(res.headers.get('retry-after') ?? undefined);
      sent.responseBody = (await res.text().catch(() => '')).slice(0, RESPONSE_BODY_BYTES);
      if (res.status < 200 || res.status >= 300) sent.error = `HTTP ${res.status}`;
    } catch (err) {
      // A refused address (SSRF guard) will be refused again: no retries.
      sent.permanent = err instanceof PermanentError;
      // Name the origin only: a URL's path can be its credential.
      const { pathname } = new URL(subscription.url);
      const message = err instanceof Error ? (err.name === 'TimeoutError' ? `timed out after ${POST_TIMEOUT_MS / 1_000} s` : err.message) : String(err);
      sent.error = pathname.length > 1 ? message.split(pathname).join('/…') : message;
    }
    sent.durationMs = Math.round(performance.now() - started);
    return sent;
  }

  const delivered = (sent: SentAttempt) => sent.statusCode !== null && sent.statusCode >= 200 && sent.statusCode < 300;
  const attemptRow = ({ deliveryId, at, statusCode, durationMs, error, responseBody }: SentAttempt) => ({ deliveryId, at, statusCode, durationMs, error, responseBody });

  /**
   * Records successful attempts, many at once: the attempts, the DELIVERED statuses and the
   * cleared failure streaks commit together (one disk flush for the lot).
   */
  async function settleDelivered(done: Array<{ delivery: LoadedDelivery; sent: SentAttempt }>): Promise<void> {
    if (done.length === 0) return;
    const failing = [...new Set(done.filter((d) => d.delivery.subscription.failingSince).map((d) => d.delivery.subscription.id))];
    await prisma.$transaction([
      prisma.deliveryAttempt.createMany({ data: done.map((d) => attemptRow(d.sent)) }),
      prisma.delivery.updateMany({ where: { id: { in: done.map((d) => d.delivery.id) } }, data: { status: 'DELIVERED', nextAttemptAt: null } }),
      ...(failing.length ? [prisma.webhookSubscription.updateMany({ where: { id: { in: failing } }, data: { failingSince: null } })] : []),
    ]);
  }

  /** Records a failed attempt: 410 or persistent failure disables the subscription; otherwise try again later. */
  async function settleFailed(delivery: LoadedDelivery, sent: SentAttempt, disableAfterMs: number): Promise<AttemptOutcome> {
    const { subscription } = delivery;
    await prisma.deliveryAttempt.create({ data: attemptRow(sent) });
    if (sent.statusCode === 410) {
      await disable(subscription, 'the receiver answered 410 Gone');
      return { result: 'stop', reason: 'the receiver answered 410 Gone' };
    }
    if (sent.permanent) return { result: 'stop', reason: sent.error ?? 'refused' };
    const failingSince = subscription.failingSince ?? sent.at;
    if (!subscription.failingSince) await prisma.webhookSubscription.updateMany({ where: { id: subscription.id, failingSince: null }, data: { failingSince: sent.at } });
    if (sent.at.getTime() - failingSince.getTime() >= disableAfterMs) {
      const reason = `deliveries failed for ${Math.round((sent.at.getTime() - failingSince.getTime()) / 3_600_000)} h without a success`;
      await disable(subscription, reason);
      return { result: 'stop', reason };
    }
    return { result: 'retry', ...(sent.statusCode !== null ? { statusCode: sent.statusCode } : {}), ...(sent.retryAfterMs !== undefined ? { retryAfterMs: sent.retryAfterMs } : {}) };
  }

  async function attemptDelivery(deliveryId: string, disableAfterMs: number): Promise<AttemptOutcome> {
    const delivery = await prisma.delivery.findUnique({ where: { id: deliveryId }, include: { subscription: true } });
    const stop = stopReason(delivery);
    if (stop || !delivery) return { result: 'stop', reason: stop ?? 'the delivery is gone' };
    const sent = await send(delivery);
    if (!delivered(sent)) return settleFailed(delivery, sent, disableAfterMs);
    await settleDelivered([{ delivery, sent }]);
    return { result: 'delivered', statusCode: sent.statusCode! };
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
      const rows = await prisma.delivery.findMany({ where: { id: { in: deliveryIds } }, include: { subscription: true } });
      const byId = new Map(rows.map((row) => [row.id, row]));
      const results: Array<{ deliveryId: string; outcome: AttemptOutcome }> = [];
      const succeeded: Array<{ delivery: LoadedDelivery; sent: SentAttempt }> = [];
      let next = 0;
      const worker = async () => {
        while (next < deliveryIds.length) {
          const deliveryId = deliveryIds[next++]!;
          const delivery = byId.get(deliveryId);
          const stop = stopReason(delivery);
          if (stop || !delivery) {
            results.push({ deliveryId, outcome: { result: 'stop', reason: stop ?? 'the delivery is gone' } });
            continue;
          }
          const sent = await send(delivery);
          if (delivered(sent)) succeeded.push({ delivery, sent });
          else {
            const outcome = await settleFailed(delivery, sent, disableAfterMs).catch((err: unknown): AttemptOutcome => {
              deps.logger.warn({ err, deliveryId }, 'a batched delivery attempt could not be recorded; its own workflow retries it');
              return { result: 'retry' };
            });
            results.push({ deliveryId, outcome });
          }
          ctx.heartbeat(results.length + succeeded.length);
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, deliveryIds.length) }, worker));
      // A failure here fails the activity: its retry finds these still PENDING and posts them again
      // (same webhook-id, so a receiver that deduplicates sees one message).
      await settleDelivered(succeeded);
      for (const { sent } of succeeded) results.push({ deliveryId: sent.deliveryId, outcome: { result: 'delivered', statusCode: sent.statusCode! } });
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
