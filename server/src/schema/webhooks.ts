// Incoming webhook endpoints and the events they received. ADMIN/OWNER manage endpoints; any
// role reads them. The endpoint's secret is shown once, by createWebhookEndpoint, and no field
// ever reads it back; events carry no signature or key headers.
import { VerificationScheme, WebhookEventStatus, type WebhookEndpoint } from '@patchbay/db';
import { parseWebhookBody } from '@patchbay/workflows';
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { badInput } from '../errors.ts';
import { createWebhookEndpoint, deleteWebhookEndpoint, updateWebhookEndpoint, webhookEndpointUrl } from '../services/webhooks.ts';
import { globalId, localId } from './ids.ts';

export const VerificationSchemeEnum = builder.enumType(VerificationScheme, { name: 'VerificationScheme' });
export const WebhookEventStatusEnum = builder.enumType(WebhookEventStatus, {
  name: 'WebhookEventStatus',
  description:
    'RECEIVED: stored and acknowledged, on its way through Temporal (or waiting in the outbox while Temporal is down); DISPATCHED: being routed to its target; PROCESSED or FAILED: done',
});

/** The stored target, with the connection's global id (what the API takes and gives). */
function publicTarget(target: unknown): unknown {
  const stored = target as { action?: { connectionId?: string }; trigger?: { connectionId?: string }; flow?: { flowId?: string } } | null;
  if (stored?.flow?.flowId) return { flow: { flowId: globalId('Flow', stored.flow.flowId) } };
  if (stored?.action?.connectionId) return { action: { ...stored.action, connectionId: globalId('Connection', stored.action.connectionId) } };
  if (stored?.trigger?.connectionId) return { trigger: { ...stored.trigger, connectionId: globalId('Connection', stored.trigger.connectionId) } };
  return target ?? null;
}

// `select` keeps the secret's ciphertext out of every query these types make.
const WebhookEndpointRef = builder.prismaNode('WebhookEndpoint', {
  id: { field: 'id' },
  select: { id: true, orgId: true },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    url: t.string({
      description: 'Where the provider posts: PUBLIC_URL/hooks/<path or endpoint id>',
      select: { id: true, path: true },
      resolve: (endpoint, _args, ctx) => webhookEndpointUrl(ctx.hub, endpoint),
    }),
    path: t.exposeString('path', { nullable: true, description: 'The chosen URL path (/hooks/<path>), if any' }),
    verification: t.expose('verification', { type: VerificationSchemeEnum }),
    enabled: t.exposeBoolean('enabled', { description: 'A disabled endpoint answers 410 Gone' }),
    headerName: t.exposeString('headerName', { nullable: true, description: 'The key / signature header (HEADER_KEY, HMAC_SHA256)' }),
    options: t.expose('options', { type: 'JSON', nullable: true, description: '{ ordered, encoding, prefix }' }),
    transform: t.expose('transform', { type: 'JSON', nullable: true, description: 'JSONPath mapping applied to the body' }),
    target: t.field({
      type: 'JSON',
      nullable: true,
      description: '{ action: { connectionId, action, input } } | { forward: { url, headers } } | null (store only)',
      select: { target: true },
      resolve: (endpoint) => publicTarget(endpoint.target),
    }),
    maxBodyBytes: t.exposeInt('maxBodyBytes'),
    rateLimitPerMinute: t.exposeInt('rateLimitPerMinute', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaNode('WebhookEvent', {
  id: { field: 'id' },
  select: { id: true, orgId: true },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    endpoint: t.relation('endpoint'),
    status: t.expose('status', { type: WebhookEventStatusEnum }),
    verification: t.exposeString('verification', { description: 'The verification outcome, e.g. "verified (GITHUB)"' }),
    messageId: t.exposeString('dedupeKey', { nullable: true, description: "The provider's message id (duplicates of it were refused)" }),
    contentType: t.exposeString('contentType', { nullable: true }),
    headers: t.expose('headers', { type: 'JSON', description: 'Request headers, without credentials or signatures' }),
    payload: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The body as transforms read it (JSON, form fields, or text)',
      select: { rawBody: true, contentType: true },
      resolve: (event) => {
        try {
          return parseWebhookBody(event.rawBody, event.contentType) ?? null;
        } catch {
          return event.rawBody;
        }
      },
    }),
    output: t.expose('output', { type: 'JSON', nullable: true, description: '{ payload (mapped), runId?, forward? }' }),
    error: t.exposeString('error', { nullable: true }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
    dispatchedAt: t.expose('dispatchedAt', { type: 'DateTime', nullable: true }),
    processedAt: t.expose('processedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryField('webhookEndpoints', (t) =>
  t.prismaConnection({
    type: 'WebhookEndpoint',
    cursor: 'id',
    resolve: (query, _root, _args, ctx) =>
      ctx.hub.db.prisma.webhookEndpoint.findMany({ ...query, where: { orgId: orgIdOf(ctx) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  }),
);

builder.queryField('webhookEndpoint', (t) =>
  t.prismaField({
    type: 'WebhookEndpoint',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.hub.db.prisma.webhookEndpoint.findFirst({ ...query, where: { id: localId(id, 'WebhookEndpoint'), orgId: orgIdOf(ctx) } }),
  }),
);

builder.queryField('webhookEvents', (t) =>
  t.prismaConnection({
    type: 'WebhookEvent',
    cursor: 'id',
    description: 'Received events, newest first',
    args: { endpointId: t.arg.id(), status: t.arg({ type: WebhookEventStatusEnum }) },
    resolve: (query, _root, args, ctx) =>
      ctx.hub.db.prisma.webhookEvent.findMany({
        ...query,
        where: {
          orgId: orgIdOf(ctx),
          ...(args.endpointId ? { endpointId: localId(args.endpointId, 'WebhookEndpoint', 'endpointId') } : {}),
          ...(args.status ? { status: args.status } : {}),
        },
        orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

const PATH_DESCRIPTION = 'A chosen URL path, PUBLIC_URL/hooks/<path> (e.g. "new-leads"); unique across the hub';

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    path: t.string({ description: PATH_DESCRIPTION }),
    verification: t.field({ type: VerificationSchemeEnum, required: true }),
    secret: t.string({ description: "The provider's secret (required for SLACK and TWILIO); omitted: one is generated and returned once" }),
    headerName: t.string({ description: 'HEADER_KEY: the key header (X-Webhook-Key); HMAC_SHA256: the signature header (X-Webhook-Signature)' }),
    transform: t.field({ type: 'JSON', description: '{ "message": "$.data.description", "metadata": { "lead_id": "$.data.id" } }' }),
    target: t.field({ type: 'JSON', description: '{ "action": { "connectionId", "action", "input" } } | { "forward": { "url" } } | { "trigger": { "integrationKey", "trigger", "connectionId"?, "settings"? } } | { "flow": { "flowId" } }; input may use {{ event.* }}' }),
    options: t.field({ type: 'JSON', description: '{ "ordered": true } processes events one at a time in order; HMAC_SHA256: { "encoding": "hex"|"base64", "prefix": "sha256=" }' }),
    maxBodyBytes: t.int({ description: 'Bodies above this answer 413 (default 1 MiB, at most 10 MiB)' }),
    rateLimitPerMinute: t.int({ description: 'Requests per minute per API process before 429 (default: no limit)' }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  fields: (t) => ({
    name: t.string(),
    path: t.string({ description: `${PATH_DESCRIPTION}; null removes it` }),
    enabled: t.boolean({ description: 'false: the endpoint answers 410 Gone' }),
    secret: t.string({ description: "A new secret (e.g. the provider's rotated one); never returned" }),
    headerName: t.string(),
    transform: t.field({ type: 'JSON', description: 'null removes it' }),
    target: t.field({ type: 'JSON', description: 'null removes it (events are only stored)' }),
    options: t.field({ type: 'JSON' }),
    maxBodyBytes: t.int(),
    rateLimitPerMinute: t.int({ description: 'null removes the limit' }),
  }),
});

const CreateWebhookEndpointPayload = builder
  .objectRef<{ endpoint: WebhookEndpoint; secret: string | null }>('CreateWebhookEndpointPayload')
  .implement({
    fields: (t) => ({
      endpoint: t.field({ type: WebhookEndpointRef, resolve: (p) => p.endpoint }),
      secret: t.exposeString('secret', { nullable: true, description: 'The generated secret, shown this once (null when you supplied it)' }),
    }),
  });

const name = z.string().trim().min(1, 'name is required').max(100, 'at most 100 characters');

/** Validated in the resolver, i.e. after scope-auth (see schema/secrets.ts for why). */
function validated<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].join('.'), message: i.message }));
  throw badInput(`Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

builder.mutationField('createWebhookEndpoint', (t) =>
  t.field({
    type: CreateWebhookEndpointPayload,
    authScopes: { role: 'ADMIN' },
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const checked = validated(z.looseObject({ name }), input, 'input');
      return createWebhookEndpoint(ctx.hub, orgIdOf(ctx), {
        ...input,
        name: checked.name,
        secret: input.secret ?? null,
        headerName: input.headerName ?? null,
        transform: input.transform ?? null,
        target: input.target ?? null,
        options: input.options ?? null,
      });
    },
  }),
);

builder.mutationField('updateWebhookEndpoint', (t) =>
  t.prismaField({
    type: 'WebhookEndpoint',
    authScopes: { role: 'ADMIN' },
    description: 'Enable/disable, rename, change the transform, target, limits or secret. Omitted fields stay.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
    resolve: (_query, _root, { id, input }, ctx) => {
      const checked = validated(z.looseObject({ name: name.nullish(), secret: z.string().nullish() }), input, 'input');
      if (input.secret === null) throw badInput('secret cannot be removed; NONE endpoints are created as such', [{ path: 'input.secret', message: 'cannot be null' }]);
      return updateWebhookEndpoint(ctx.hub, orgIdOf(ctx), localId(id, 'WebhookEndpoint'), {
        name: checked.name ?? undefined,
        path: input.path,
        enabled: input.enabled ?? undefined,
        secret: input.secret ?? undefined,
        headerName: input.headerName,
        transform: input.transform,
        target: input.target,
        options: input.options,
        maxBodyBytes: input.maxBodyBytes,
        rateLimitPerMinute: input.rateLimitPerMinute,
      });
    },
  }),
);

builder.mutationField('deleteWebhookEndpoint', (t) =>
  t.prismaField({
    type: 'WebhookEndpoint',
    authScopes: { role: 'ADMIN' },
    description: 'Deletes the endpoint and its events; its URL answers 404 from then on',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, { id }, ctx) => deleteWebhookEndpoint(ctx.hub, orgIdOf(ctx), localId(id, 'WebhookEndpoint')),
  }),
);
