// Connect links: a short-lived, single-use URL of the hosted connect page for one end user.
import { z } from 'zod';
import { builder, orgIdOf } from '../builder.ts';
import { badInput } from '../errors.ts';
import { createConnectLink, MAX_LINK_MINUTES } from '../services/connect-links.ts';
import { Integration, integrationOf } from './integrations.ts';

const ConnectLinkPayload = builder
  .objectRef<{ url: string; expiresAt: Date; integrationKey: string; endUserId: string | null }>('ConnectLinkPayload')
  .implement({
    description: 'The link is shown once: only its hash is stored.',
    fields: (t) => ({
      url: t.exposeString('url', { description: 'Send the end user here (PUBLIC_URL/connect/<token>); it works once, until expiresAt' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
      endUserId: t.exposeString('endUserId', { nullable: true }),
      integration: t.field({
        type: Integration,
        resolve: (link, _args, ctx) => integrationOf(ctx.hub.plugins.entry(link.integrationKey)!),
      }),
    }),
  });

const CreateConnectLinkInput = builder.inputType('CreateConnectLinkInput', {
  fields: (t) => ({
    integrationKey: t.string({ required: true }),
    name: t.string({ description: 'The connection\'s name (default: "<Integration> for <endUserId>")' }),
    endUserId: t.string({ description: "Your end user's id: the connection is theirs (PER_USER)" }),
    redirectUrl: t.string({ description: 'Where the browser goes afterwards, with connection_id and status' }),
    config: t.field({ type: 'JSON', description: 'Non-secret settings for the connection, fixed by the app' }),
    expiresInMinutes: t.int({ description: `Default 30, at most ${MAX_LINK_MINUTES} (7 days)` }),
  }),
});

const LinkArgs = z.object({
  integrationKey: z.string().min(1, 'is required'),
  name: z.string().trim().min(1, 'name is empty').max(100, 'at most 100 characters').nullish(),
  endUserId: z.string().trim().min(1, 'endUserId is empty').max(200, 'at most 200 characters').nullish(),
  redirectUrl: z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' }).max(2_000).nullish(),
  config: z.record(z.string(), z.unknown(), 'config must be an object').nullish(),
  expiresInMinutes: z.number().int().min(1, 'at least 1').max(MAX_LINK_MINUTES, `at most ${MAX_LINK_MINUTES}`).nullish(),
});

builder.mutationField('createConnectLink', (t) =>
  t.field({
    type: ConnectLinkPayload,
    authScopes: { role: 'ADMIN' },
    description: 'A single-use link to the hosted connect page, for one of your end users',
    args: { input: t.arg({ type: CreateConnectLinkInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const parsed = LinkArgs.safeParse(input);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: ['input', ...i.path.map(String)].join('.'), message: i.message }));
        throw badInput(`Invalid input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
      }
      const { link, url } = await createConnectLink(ctx.hub, orgIdOf(ctx), parsed.data);
      return { url, expiresAt: link.expiresAt, integrationKey: link.integrationKey, endUserId: link.endUserId };
    },
  }),
);
