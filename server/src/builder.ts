// The one Pothos builder. Tenancy is enforced here: every root field requires a valid token
// (type-level scopes on Query/Mutation/Subscription), roles gate mutations, and every
// organization-owned object re-checks that it belongs to the caller's organization.
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import type PrismaTypes from '@patchbay/db/pothos-types';
import { getDatamodel } from '@patchbay/db/pothos-types';
import type { Role } from '@patchbay/db';
import type { AuthenticatedContext, Context } from './context.ts';
import { badInput, forbidden, unauthenticated } from './errors.ts';
import { hasRole } from './services/roles.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { authenticated: boolean; role: Role; sameOrg: string };
  AuthContexts: { authenticated: AuthenticatedContext; role: AuthenticatedContext };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    ID: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [RelayPlugin, ScopeAuthPlugin, PrismaPlugin, ErrorsPlugin, ValidationPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: ctx.auth !== null,
      role: (required: Role) => ctx.auth !== null && hasRole(ctx.auth.role, required),
      sameOrg: (orgId: string) => ctx.auth !== null && ctx.auth.orgId === orgId,
    }),
    unauthorizedError: (_parent, ctx, _info, result) =>
      ctx.auth ? forbidden(result.failure.kind === 'AuthScope' && result.failure.scope === 'role'
        ? `This needs the ${String(result.failure.parameter)} role or higher; your token is ${ctx.auth.role}`
        : 'Not allowed') : unauthenticated(ctx.authProblem ?? 'Authentication required'),
  },
  prisma: {
    client: (ctx) => ctx.hub.db.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
  },
  errors: { defaultTypes: [] },
  validation: {
    // Every invalid argument becomes one typed error that lists each bad path.
    validationError: (result, _args, ctx) => {
      // Arguments are validated before scope-auth runs: never tell an anonymous caller more.
      if (!ctx.auth) return unauthenticated(ctx.authProblem ?? 'Authentication required');
      const issues = result.issues.map((issue) => ({
        path: (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.'),
        message: issue.message,
      }));
      return badInput(`Invalid input: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, issues);
    },
  },
});

builder.queryType({ authScopes: { authenticated: true } });
builder.mutationType({ authScopes: { authenticated: true } });
builder.subscriptionType({ authScopes: { authenticated: true } });

/** Type-level guard for rows that carry orgId: a row of another organization never resolves. */
export const orgOwned = {
  authScopes: (row: { orgId: string }) => ({ sameOrg: row.orgId }),
  runScopesOnType: true,
} as const;

/** The caller's organization id; only callable behind the `authenticated` scope. */
export function orgIdOf(ctx: Context): string {
  if (!ctx.auth) throw unauthenticated(ctx.authProblem ?? 'Authentication required');
  return ctx.auth.orgId;
}
