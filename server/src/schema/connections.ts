// Connected accounts. Credentials are write-only: no field ever returns them.
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { createConnection, deleteConnection, runConnectionTest } from '../services/connections.ts';
import { AuthModeEnum, ConnectionStatusEnum, TokenStrategyEnum } from './enums.ts';
import { localId } from './ids.ts';
import { Integration, integrationOf, missingIntegration } from './integrations.ts';
import { integrationOfManifest } from '../services/manifests.ts';

builder.prismaNode('Connection', {
  id: { field: 'id' },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    integrationKey: t.exposeString('integrationKey'),
    integration: t.field({
      type: Integration,
      select: { integrationKey: true, orgId: true },
      resolve: async (c, _args, ctx) => {
        const entry = ctx.hub.plugins.entry(c.integrationKey);
        if (entry) return integrationOf(entry);
        // An organization's manifest or custom tools (schema/manifests.ts).
        const manifest = await ctx.hub.db.prisma.manifest.findUnique({ where: { orgId_key: { orgId: c.orgId, key: c.integrationKey } } });
        return manifest ? integrationOfManifest(manifest) : missingIntegration(c.integrationKey);
      },
    }),
    authMode: t.expose('authMode', { type: AuthModeEnum }),
    status: t.expose('status', { type: ConnectionStatusEnum }),
    tokenStrategy: t.expose('tokenStrategy', { type: TokenStrategyEnum }),
    endUserId: t.exposeString('endUserId', { nullable: true, description: "PER_USER: the app's end user this account belongs to" }),
    config: t.expose('config', { type: 'JSON', nullable: true, description: 'Non-secret settings only' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    scopes: t.exposeStringList('scopes', { description: 'OAuth2: the scopes the provider granted' }),
    lastError: t.exposeString('lastError', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    runs: t.relatedConnection('runs', { cursor: 'id', query: { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] } }),
  }),
});

builder.queryField('connections', (t) =>
  t.prismaConnection({
    type: 'Connection',
    cursor: 'id',
    args: {
      integrationKey: t.arg.string(),
      status: t.arg({ type: ConnectionStatusEnum }),
      endUserId: t.arg.string({ description: "One end user's own connections (PER_USER)" }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.hub.db.prisma.connection.findMany({
        ...query,
        where: {
          orgId: orgIdOf(ctx),
          ...(args.integrationKey ? { integrationKey: args.integrationKey } : {}),
          ...(args.status ? { status: args.status } : {}),
          ...(args.endUserId ? { endUserId: args.endUserId } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

builder.queryField('connection', (t) =>
  t.prismaField({
    type: 'Connection',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.hub.db.prisma.connection.findFirst({ ...query, where: { id: localId(id, 'Connection'), orgId: orgIdOf(ctx) } }),
  }),
);

const CreateConnectionInput = builder.inputType('CreateConnectionInput', {
  fields: (t) => ({
    integrationKey: t.string({ required: true }),
    name: t.string({ required: true }),
    authMode: t.field({ type: AuthModeEnum, required: true }),
    credentials: t.field({ type: 'JSON', description: 'Secret fields, per the auth method credentialsSchema; never readable back' }),
    config: t.field({ type: 'JSON', description: 'Non-secret settings, per the auth method configSchema' }),
    tokenStrategy: t.field({ type: TokenStrategyEnum, description: 'Default SERVICE_ACCOUNT' }),
    endUserId: t.string({ description: "The app's end user who owns this account (their runs use it when the org's connection is PER_USER)" }),
  }),
  validate: z.looseObject({
    endUserId: z.string().trim().min(1).max(200, 'at most 200 characters').nullish(),
    name: z.string().trim().min(1, 'name is required').max(100, 'at most 100 characters'),
    credentials: z.record(z.string(), z.unknown(), 'credentials must be an object').nullish(),
    config: z.record(z.string(), z.unknown(), 'config must be an object').nullish(),
  }),
});

const ConnectionTestResult = builder
  .objectRef<{ ok: boolean; latencyMs: number; message: string | null }>('ConnectionTestResult')
  .implement({
    fields: (t) => ({
      ok: t.exposeBoolean('ok'),
      latencyMs: t.exposeInt('latencyMs'),
      message: t.exposeString('message', { nullable: true }),
    }),
  });

builder.mutationField('createConnection', (t) =>
  t.prismaField({
    type: 'Connection',
    authScopes: { role: 'ADMIN' },
    description: 'API key / basic / bot token / none connections; the plugin test runs and sets ACTIVE or ERROR',
    args: { input: t.arg({ type: CreateConnectionInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) =>
      createConnection(ctx.hub, orgIdOf(ctx), {
        ...input,
        name: input.name.trim(),
        credentials: input.credentials ?? undefined,
        config: input.config ?? undefined,
        tokenStrategy: input.tokenStrategy ?? undefined,
        endUserId: input.endUserId?.trim() || undefined,
      }),
  }),
);

builder.mutationField('testConnection', (t) =>
  t.field({
    type: ConnectionTestResult,
    authScopes: { role: 'MEMBER' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => runConnectionTest(ctx.hub, orgIdOf(ctx), localId(id, 'Connection')),
  }),
);

builder.mutationField('deleteConnection', (t) =>
  t.prismaField({
    type: 'Connection',
    authScopes: { role: 'ADMIN' },
    description: 'Deletes the connection and wipes its credentials',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, { id }, ctx) => deleteConnection(ctx.hub, orgIdOf(ctx), localId(id, 'Connection')),
  }),
);
