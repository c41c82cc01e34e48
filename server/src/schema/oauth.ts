// OAuth2: the organization's OAuth apps (client secret write-only), startOAuth for the
// authorization-code flow, and refreshConnection. The callback itself is HTTP (http/oauth.ts).
import type { Connection } from '@patchbay/db';
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { badInput } from '../errors.ts';
import { listOAuthApps, setOAuthApp } from '../services/oauth-apps.ts';
import { refreshConnectionTokens, startOAuthFlow } from '../services/oauth.ts';
import { localId } from './ids.ts';

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' }).max(2_000, 'at most 2000 characters');
const scopeList = z
  .array(z.string().min(1, 'must not be empty').max(200, 'at most 200 characters').regex(/^[^\s]+$/, 'must not contain spaces'))
  .max(100, 'at most 100 scopes');

const SetOAuthAppArgs = z.object({
  integrationKey: z.string().min(1, 'is required'),
  clientId: z.string().trim().min(1, 'is required').max(500, 'at most 500 characters'),
  clientSecret: z.string().min(1, 'is required').max(8_000, 'at most 8000 characters'),
  scopes: scopeList.nullish(),
  authorizationUrl: httpUrl.nullish(),
  tokenUrl: httpUrl.nullish(),
  revocationUrl: httpUrl.nullish(),
});

const StartOAuthArgs = z.object({
  integrationKey: z.string().min(1, 'is required'),
  name: z.string().trim().min(1, 'name is required').max(100, 'at most 100 characters'),
  scopes: scopeList.nullish(),
  redirectUrl: httpUrl.nullish(),
  config: z.record(z.string(), z.unknown(), 'config must be an object').nullish(),
});

/**
 * Validated inside the resolver, after scope-auth (as secrets.ts does), so a caller without
 * the role gets FORBIDDEN rather than a validation error.
 */
function validated<T>(schema: z.ZodType<T>, args: unknown): T {
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  throw badInput(`Invalid input: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, issues);
}

// `select` keeps the client secret ciphertext out of every query this type makes.
builder.prismaNode('OAuthApp', {
  id: { field: 'id' },
  select: { id: true, orgId: true },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  description: "An organization's own OAuth client for one integration. The client secret is write-only.",
  fields: (t) => ({
    integrationKey: t.exposeString('integrationKey'),
    clientId: t.exposeString('clientId'),
    scopes: t.exposeStringList('scopes', { description: 'Default scopes for new connections (empty: the integration\'s defaults)' }),
    authorizationUrl: t.exposeString('authorizationUrl', { nullable: true, description: "Overrides the integration's authorization endpoint" }),
    tokenUrl: t.exposeString('tokenUrl', { nullable: true, description: "Overrides the integration's token endpoint" }),
    revocationUrl: t.exposeString('revocationUrl', { nullable: true, description: "The provider's RFC 7009 token revocation endpoint, if it has one" }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const SetOAuthAppInput = builder.inputType('SetOAuthAppInput', {
  fields: (t) => ({
    integrationKey: t.string({ required: true }),
    clientId: t.string({ required: true }),
    clientSecret: t.string({ required: true, description: 'Stored encrypted; never readable back' }),
    scopes: t.stringList({ description: 'Default scopes for new connections' }),
    authorizationUrl: t.string({ description: "The provider's authorization endpoint (required for the generic oauth2 integration)" }),
    tokenUrl: t.string({ description: "The provider's token endpoint (required for the generic oauth2 integration)" }),
    revocationUrl: t.string({ description: "The provider's RFC 7009 revocation endpoint, if it has one" }),
  }),
});

builder.queryField('oauthApps', (t) =>
  t.prismaField({
    type: ['OAuthApp'],
    description: "The organization's OAuth apps (never their secrets)",
    resolve: (query, _root, _args, ctx) => listOAuthApps(ctx.hub, orgIdOf(ctx), query),
  }),
);

builder.mutationField('setOAuthApp', (t) =>
  t.prismaField({
    type: 'OAuthApp',
    authScopes: { role: 'ADMIN' },
    description: "Creates or replaces the organization's own OAuth client for an integration",
    args: { input: t.arg({ type: SetOAuthAppInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) => setOAuthApp(ctx.hub, orgIdOf(ctx), validated(SetOAuthAppArgs, input)),
  }),
);

const StartOAuthInput = builder.inputType('StartOAuthInput', {
  fields: (t) => ({
    integrationKey: t.string({ required: true }),
    name: t.string({ required: true }),
    scopes: t.stringList({ description: "Scopes to ask for (default: the OAuth app's, else the integration's)" }),
    redirectUrl: t.string({ description: 'Where the browser goes after the callback, with connection_id and status; without it, a page posts the result to window.opener' }),
    config: t.field({ type: 'JSON', description: 'Non-secret settings, per the auth method configSchema' }),
  }),
});

const StartOAuthPayload = builder.objectRef<{ authorizationUrl: string; connection: Connection }>('StartOAuthPayload').implement({
  fields: (t) => ({
    authorizationUrl: t.exposeString('authorizationUrl', { description: "Send the user's browser here (valid for 10 minutes, once)" }),
    connection: t.prismaField({ type: 'Connection', description: 'The PENDING connection the flow completes', resolve: (_query, payload) => payload.connection }),
  }),
});

builder.mutationField('startOAuth', (t) =>
  t.field({
    type: StartOAuthPayload,
    authScopes: { role: 'ADMIN' },
    description: 'Starts an OAuth2 authorization-code flow (PKCE): a PENDING connection and the provider URL to send the user to',
    args: { input: t.arg({ type: StartOAuthInput, required: true }) },
    resolve: (_root, { input }, ctx) => startOAuthFlow(ctx.hub, orgIdOf(ctx), validated(StartOAuthArgs, input)),
  }),
);

builder.mutationField('refreshConnection', (t) =>
  t.prismaField({
    type: 'Connection',
    authScopes: { role: 'MEMBER' },
    description: 'Gets a new access token now (refresh token, or client credentials); EXPIRED with lastError when the provider refuses',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, { id }, ctx) => refreshConnectionTokens(ctx.hub, orgIdOf(ctx), localId(id, 'Connection')),
  }),
);
