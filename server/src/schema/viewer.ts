// Who is calling: the organization, role, user and token behind the bearer token.
import { Role } from '@patchbay/db';
import { builder, orgIdOf } from '../builder.ts';

export const RoleEnum = builder.enumType(Role, { name: 'Role' });

builder.prismaNode('Organization', {
  id: { field: 'id' },
  authScopes: (org) => ({ sameOrg: org.id }),
  runScopesOnType: true,
  findUnique: (id, ctx) => ({ id: id === ctx.auth?.orgId ? id : '' }),
  fields: (t) => ({
    slug: t.exposeString('slug'),
    name: t.exposeString('name'),
  }),
});

builder.prismaNode('User', {
  id: { field: 'id' },
  // A user is visible only to organizations they belong to.
  findUnique: (id, ctx) => ({ id, memberships: { some: { orgId: orgIdOf(ctx) } } }),
  fields: (t) => ({
    email: t.exposeString('email'),
    name: t.exposeString('name', { nullable: true }),
  }),
});

/** The caller; everything it shows derives from the request's token. */
const Viewer = builder.objectRef<Record<string, never>>('Viewer');

Viewer.implement({ fields: (t) => ({
  organization: t.prismaField({
    type: 'Organization',
    resolve: (query, _parent, _args, ctx) => ctx.hub.db.prisma.organization.findUniqueOrThrow({ ...query, where: { id: orgIdOf(ctx) } }),
  }),
  role: t.field({ type: RoleEnum, resolve: (_p, _a, ctx) => ctx.auth!.role }),
  user: t.prismaField({
    type: 'User',
    nullable: true,
    resolve: (query, _parent, _args, ctx) =>
      ctx.auth?.userId ? ctx.hub.db.prisma.user.findUnique({ ...query, where: { id: ctx.auth.userId } }) : null,
  }),
  apiToken: t.prismaField({
    type: 'ApiToken',
    nullable: true,
    resolve: (query, _parent, _args, ctx) =>
      ctx.hub.db.prisma.apiToken.findFirst({ ...query, where: { id: ctx.auth!.tokenId, orgId: orgIdOf(ctx) } }),
  }),
}) });

builder.queryField('viewer', (t) => t.field({ type: Viewer, resolve: () => ({}) }));
