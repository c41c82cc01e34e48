// Organization secrets, usable as {{ secrets.NAME }} in action inputs. Write-only: the API
// lists names, versions and dates, never a value. Any role lists; OWNER/ADMIN set and delete.
import { MAX_SECRET_NAME_LENGTH, MAX_SECRET_VALUE_BYTES, SECRET_NAME_PATTERN } from '@patchbay/db/secrets';
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { badInput } from '../errors.ts';
import { deleteSecret, setSecret } from '../services/secrets.ts';

const secretName = z
  .string()
  .max(MAX_SECRET_NAME_LENGTH, `at most ${MAX_SECRET_NAME_LENGTH} characters`)
  .regex(SECRET_NAME_PATTERN, 'must start with a letter or underscore and contain only letters, digits and underscores');

const secretValue = z
  .string()
  .min(1, 'must not be empty')
  .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_SECRET_VALUE_BYTES, `at most ${MAX_SECRET_VALUE_BYTES} bytes (64 KiB)`);

/**
 * Validates inside the resolver, i.e. after scope-auth: the validation plugin's `validate`
 * runs as an argument mapper before the auth scopes, so a caller without a valid token (or
 * without the ADMIN role) would get BAD_USER_INPUT instead of UNAUTHENTICATED/FORBIDDEN.
 * The error has the same shape as the builder's validationError.
 */
function validated<T>(schema: z.ZodType<T>, args: unknown): T {
  const result = schema.safeParse(args);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  throw badInput(`Invalid input: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, issues);
}

const SetSecretArgs = z.object({ name: secretName, value: secretValue });
const DeleteSecretArgs = z.object({ name: secretName });

// `select` keeps the ciphertext out of every query these types make.
const SecretVersionInfo = builder.prismaObject('SecretVersion', {
  name: 'SecretVersionInfo',
  description: 'One stored version of a secret (the value is never readable).',
  select: { id: true },
  fields: (t) => ({
    version: t.exposeInt('version'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('Secret', {
  description: 'A named, write-only value of the organization, used as {{ secrets.NAME }}. Never returns the value.',
  select: { id: true, orgId: true },
  ...orgOwned,
  fields: (t) => ({
    name: t.exposeString('name'),
    version: t.exposeInt('version', { description: 'The current version; each setSecret adds one.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    versions: t.relation('versions', {
      type: SecretVersionInfo,
      description: 'Every version stored, newest first (numbers and dates only).',
      query: { orderBy: { version: 'desc' } },
    }),
  }),
});

builder.queryField('secrets', (t) =>
  t.prismaField({
    type: ['Secret'],
    description: "The organization's secrets by name (never their values). Any role.",
    resolve: (query, _root, _args, ctx) =>
      ctx.hub.db.prisma.secret.findMany({ ...query, where: { orgId: orgIdOf(ctx) }, orderBy: { name: 'asc' } }),
  }),
);

builder.mutationField('setSecret', (t) =>
  t.prismaField({
    type: 'Secret',
    description: 'Creates the secret, or stores a new value as its next version. OWNER or ADMIN.',
    authScopes: { role: 'ADMIN' },
    args: {
      name: t.arg.string({ required: true }),
      value: t.arg.string({ required: true }),
    },
    resolve: async (query, _root, args, ctx) => {
      // One schema for all arguments, so every bad one is reported at once.
      const { name, value } = validated(SetSecretArgs, args);
      const written = await setSecret(ctx.hub, ctx.auth!, name, value);
      const row = await ctx.hub.db.prisma.secret.findUniqueOrThrow({ ...query, where: { orgId_name: { orgId: orgIdOf(ctx), name } } });
      // The version this call stored, even when a concurrent writer has stored a later one since.
      return { ...row, version: written.version };
    },
  }),
);

builder.mutationField('deleteSecret', (t) =>
  t.boolean({
    description: 'Deletes the secret and all its versions. OWNER or ADMIN. An unknown name is NOT_FOUND.',
    authScopes: { role: 'ADMIN' },
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => deleteSecret(ctx.hub, ctx.auth!, validated(DeleteSecretArgs, args).name),
  }),
);
