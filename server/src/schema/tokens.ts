// API tokens: list, create (secret shown once), revoke. OWNER/ADMIN only.
import type { ApiToken as ApiTokenRow } from '@patchbay/db';
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { createApiToken, revokeApiToken } from '../services/tokens.ts';
import { localId } from './ids.ts';
import { RoleEnum } from './viewer.ts';

const ApiToken = builder.prismaNode('ApiToken', {
  id: { field: 'id' },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    role: t.expose('role', { type: RoleEnum }),
    prefix: t.exposeString('prefix'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
    expiresAt: t.field({ type: 'DateTime' }),
  }),
  // One schema for the whole input, so every bad field is reported at once.
  validate: z.looseObject({
    name: z.string().trim().min(1, 'name is required').max(100, 'at most 100 characters'),
    expiresAt: z
      .date()
      .refine((d) => d.getTime() > Date.now(), 'expiresAt must be in the future')
      .nullish(),
  }),
});

const CreateApiTokenPayload = builder
  .objectRef<{ apiToken: ApiTokenRow; token: string }>('CreateApiTokenPayload')
  .implement({
    fields: (t) => ({
      apiToken: t.field({ type: ApiToken, resolve: (p) => p.apiToken }),
      token: t.exposeString('token', {
        description: 'The secret. Shown once: store it now; Patchbay keeps only its hash.',
      }),
    }),
  });

builder.queryField('apiTokens', (t) =>
  t.prismaConnection({
    type: 'ApiToken',
    cursor: 'id',
    authScopes: { role: 'ADMIN' },
    args: { includeRevoked: t.arg.boolean({ defaultValue: false }) },
    resolve: (query, _root, args, ctx) =>
      ctx.hub.db.prisma.apiToken.findMany({
        ...query,
        where: { orgId: orgIdOf(ctx), ...(args.includeRevoked ? {} : { revokedAt: null }) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

builder.mutationField('createApiToken', (t) =>
  t.field({
    type: CreateApiTokenPayload,
    authScopes: { role: 'ADMIN' },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) => createApiToken(ctx.hub.db, ctx.auth!, input),
  }),
);

builder.mutationField('revokeApiToken', (t) =>
  t.prismaField({
    type: 'ApiToken',
    authScopes: { role: 'ADMIN' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, { id }, ctx) => revokeApiToken(ctx.hub.db, ctx.auth!, localId(id, 'ApiToken')),
  }),
);
