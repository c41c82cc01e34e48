// Outgoing webhooks: subscriptions (url + event types, signed per Standard Webhooks with a
// whsec_ secret) and their deliveries. ADMIN/OWNER manage; any role reads. The secret is
// returned once, by createWebhookSubscription / rotateWebhookSubscriptionSecret, and no field
// reads it back. Deliveries are made by the `delivery/<id>` workflow (workflows/src/workflows/delivery.ts);
// fan-out from domain events is in prisma/src/fanout.ts.
import { randomBytes } from 'node:crypto';
import { DeliveryStatus, newMessageId, type Prisma, type WebhookSubscription } from '@patchbay/db';
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { badInput, notFound } from '../errors.ts';
import { startDelivery } from '../webhooks/delivery-dispatch.ts';
import { localId } from './ids.ts';

export const DeliveryStatusEnum = builder.enumType(DeliveryStatus, { name: 'DeliveryStatus' });

/** Same label as in prisma/src/rotate.ts and workflows/src/activities/deliveries.ts. */
const secretContext = (id: string) => `webhook-subscription:${id}`;
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
/** The previous secret keeps signing this long after a rotation. */
const ROTATION_OVERLAP_MS = 24 * 3_600_000;

// `select` keeps the secrets' ciphertexts out of every query these types make.
const WebhookSubscriptionRef = builder.prismaNode('WebhookSubscription', {
  id: { field: 'id' },
  select: { id: true, orgId: true },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    url: t.exposeString('url'),
    eventTypes: t.exposeStringList('eventTypes'),
    description: t.exposeString('description', { nullable: true }),
    enabled: t.exposeBoolean('enabled'),
    disabledReason: t.exposeString('disabledReason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('DeliveryAttempt', {
  select: { id: true },
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime' }),
    statusCode: t.exposeInt('statusCode', { nullable: true }),
    durationMs: t.exposeInt('durationMs'),
    error: t.exposeString('error', { nullable: true }),
  }),
});

builder.prismaNode('Delivery', {
  id: { field: 'id' },
  select: { id: true, orgId: true },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    subscription: t.relation('subscription'),
    messageId: t.exposeString('messageId', { description: 'The webhook-id header: the same for every attempt and replay' }),
    eventType: t.exposeString('eventType'),
    status: t.expose('status', { type: DeliveryStatusEnum }),
    payload: t.expose('payload', { type: 'JSON' }),
    attempts: t.relation('attempts', { query: { orderBy: [{ at: 'asc' }, { id: 'asc' }] } }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('webhookSubscriptions', (t) =>
  t.prismaConnection({
    type: 'WebhookSubscription',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.hub.db.prisma.webhookSubscription.findMany({ ...query, where: { orgId: orgIdOf(ctx) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  }),
);

builder.queryField('deliveries', (t) =>
  t.prismaConnection({
    type: 'Delivery',
    cursor: 'id',
    description: 'Outgoing deliveries, newest first',
    args: { subscriptionId: t.arg.id(), status: t.arg({ type: DeliveryStatusEnum }) },
    resolve: (query, _root, args, ctx) =>
      ctx.hub.db.prisma.delivery.findMany({
        ...query,
        where: {
          orgId: orgIdOf(ctx),
          ...(args.subscriptionId ? { subscriptionId: localId(args.subscriptionId, 'WebhookSubscription', 'subscriptionId') } : {}),
          ...(args.status ? { status: args.status } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

const url = z
  .string()
  .trim()
  .max(2_048, 'at most 2048 characters')
  .refine((value) => {
    try {
      const parsed = new URL(value);
      return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && !parsed.username && !parsed.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials');
// `*`, `connection.*`, `connection.expired`, `webhook_subscription.disabled`.
const eventTypes = z
  .array(z.string().trim().regex(/^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$/, 'an event type like run.succeeded, a prefix like connection.*, or *'))
  .min(1, 'at least one event type')
  .max(50, 'at most 50 event types');
const description = z.string().trim().max(500, 'at most 500 characters');

/** Validated in the resolver, i.e. after scope-auth (see schema/secrets.ts for why). */
function validated<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
  throw badInput(`Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

const CreateWebhookSubscriptionInput = builder.inputType('CreateWebhookSubscriptionInput', {
  fields: (t) => ({
    url: t.string({ required: true }),
    eventTypes: t.stringList({ required: true, description: 'e.g. ["run.*", "connection.expired"], or ["*"]' }),
    description: t.string(),
  }),
});

const UpdateWebhookSubscriptionInput = builder.inputType('UpdateWebhookSubscriptionInput', {
  fields: (t) => ({
    url: t.string(),
    eventTypes: t.stringList(),
    description: t.string(),
    enabled: t.boolean({ description: 'true re-enables a disabled subscription (and forgets its failures)' }),
  }),
});

const CreateWebhookSubscriptionPayload = builder
  .objectRef<{ subscription: WebhookSubscription; secret: string }>('CreateWebhookSubscriptionPayload')
  .implement({
    fields: (t) => ({
      subscription: t.field({ type: WebhookSubscriptionRef, resolve: (p) => p.subscription }),
      secret: t.exposeString('secret', { description: 'The whsec_ signing secret, shown this once' }),
    }),
  });

async function findSubscription(ctx: { hub: { db: { prisma: Prisma.TransactionClient } } }, orgId: string, id: string) {
  const row = await ctx.hub.db.prisma.webhookSubscription.findFirst({ where: { id, orgId } });
  if (!row) throw notFound('Webhook subscription');
  return row;
}

builder.mutationField('createWebhookSubscription', (t) =>
  t.field({
    type: CreateWebhookSubscriptionPayload,
    authScopes: { role: 'ADMIN' },
    args: { input: t.arg({ type: CreateWebhookSubscriptionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const checked = validated(z.object({ url, eventTypes, description: description.nullish() }), input, 'input');
      const secret = newSecret();
      const subscription = await ctx.hub.db.prisma.$transaction(async (tx) => {
        const created = await tx.webhookSubscription.create({
          data: { orgId: orgIdOf(ctx), url: checked.url, eventTypes: [...new Set(checked.eventTypes)], description: checked.description ?? null, secret: '' },
        });
        return tx.webhookSubscription.update({ where: { id: created.id }, data: { secret: ctx.hub.vault.encrypt(secret, secretContext(created.id)) } });
      });
      return { subscription, secret };
    },
  }),
);

builder.mutationField('rotateWebhookSubscriptionSecret', (t) =>
  t.field({
    type: CreateWebhookSubscriptionPayload,
    authScopes: { role: 'ADMIN' },
    description: 'A new secret, returned once; the previous one keeps signing (as a second signature) for 24 h',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const current = await findSubscription(ctx, orgIdOf(ctx), localId(id, 'WebhookSubscription'));
      const secret = newSecret();
      const subscription = await ctx.hub.db.prisma.webhookSubscription.update({
        where: { id: current.id },
        data: {
          secret: ctx.hub.vault.encrypt(secret, secretContext(current.id)),
          previousSecret: current.secret,
          previousSecretExpiresAt: new Date(Date.now() + ROTATION_OVERLAP_MS),
        },
      });
      return { subscription, secret };
    },
  }),
);

builder.mutationField('updateWebhookSubscription', (t) =>
  t.prismaField({
    type: 'WebhookSubscription',
    authScopes: { role: 'ADMIN' },
    description: 'Change the URL, event types or description, or enable/disable. Omitted fields stay.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateWebhookSubscriptionInput, required: true }) },
    resolve: async (query, _root, { id, input }, ctx) => {
      const checked = validated(z.object({ url: url.nullish(), eventTypes: eventTypes.nullish(), description: description.nullish() }), input, 'input');
      const current = await findSubscription(ctx, orgIdOf(ctx), localId(id, 'WebhookSubscription'));
      return ctx.hub.db.prisma.webhookSubscription.update({
        ...query,
        where: { id: current.id },
        data: {
          ...(checked.url ? { url: checked.url } : {}),
          ...(checked.eventTypes ? { eventTypes: [...new Set(checked.eventTypes)] } : {}),
          ...(input.description !== undefined ? { description: checked.description ?? null } : {}),
          ...(input.enabled === true ? { enabled: true, disabledReason: null, failingSince: null } : {}),
          ...(input.enabled === false ? { enabled: false, disabledReason: 'disabled by a user' } : {}),
        },
      });
    },
  }),
);

builder.mutationField('deleteWebhookSubscription', (t) =>
  t.prismaField({
    type: 'WebhookSubscription',
    authScopes: { role: 'ADMIN' },
    description: 'Deletes the subscription and its deliveries',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const current = await findSubscription(ctx, orgIdOf(ctx), localId(id, 'WebhookSubscription'));
      return ctx.hub.db.prisma.webhookSubscription.delete({ ...query, where: { id: current.id } });
    },
  }),
);

builder.mutationField('sendTestEvent', (t) =>
  t.prismaField({
    type: 'Delivery',
    authScopes: { role: 'ADMIN' },
    description: 'Delivers a `webhook.test` event (data: your payload) to the subscription now',
    args: { subscriptionId: t.arg.id({ required: true }), payload: t.arg({ type: 'JSON' }) },
    resolve: async (query, _root, args, ctx) => {
      const orgId = orgIdOf(ctx);
      const subscription = await findSubscription(ctx, orgId, localId(args.subscriptionId, 'WebhookSubscription', 'subscriptionId'));
      const delivery = await ctx.hub.db.prisma.delivery.create({
        data: {
          orgId,
          subscriptionId: subscription.id,
          messageId: newMessageId(),
          eventType: 'webhook.test',
          payload: { type: 'webhook.test', timestamp: new Date().toISOString(), data: (args.payload ?? { message: 'A test event from Patchbay' }) as Prisma.InputJsonValue },
          // Claimed for the workflow started here: the dispatcher's batches leave it alone.
          nextAttemptAt: new Date(),
        },
      });
      try {
        await startDelivery(ctx.hub, delivery.id, undefined, { attempt: 0 });
      } catch (err) {
        // Not lost: unclaimed, it is the dispatcher's once Temporal answers again.
        await ctx.hub.db.prisma.delivery.update({ where: { id: delivery.id }, data: { nextAttemptAt: null } });
        throw err;
      }
      return ctx.hub.db.prisma.delivery.findUniqueOrThrow({ ...query, where: { id: delivery.id } });
    },
  }),
);

builder.mutationField('replayDelivery', (t) =>
  t.prismaField({
    type: 'Delivery',
    authScopes: { role: 'ADMIN' },
    description: 'Delivers the same message again (same webhook-id), with new attempts',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, { id }, ctx) => {
      const orgId = orgIdOf(ctx);
      const delivery = await ctx.hub.db.prisma.delivery.findFirst({ where: { id: localId(id, 'Delivery'), orgId }, include: { _count: { select: { attempts: true } } } });
      if (!delivery) throw notFound('Delivery');
      // nextAttemptAt set: the dispatcher leaves it to the replay workflow started here.
      await ctx.hub.db.prisma.delivery.update({ where: { id: delivery.id }, data: { status: 'PENDING', nextAttemptAt: new Date() } });
      await startDelivery(ctx.hub, delivery.id, `${delivery._count.attempts}-${Date.now()}`);
      return ctx.hub.db.prisma.delivery.findUniqueOrThrow({ ...query, where: { id: delivery.id } });
    },
  }),
);
