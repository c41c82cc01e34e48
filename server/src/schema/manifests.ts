// Declarative integrations: ChiefOnboarding manifests and custom HTTP tools registered by an
// organization (only that organization sees them), their connections, forms and runs.
import { ManifestKind, type Connection } from '@patchbay/db';
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { badInput } from '../errors.ts';
import { connectManifest, deleteManifest, integrationOfManifest, manifestForm, registerManifest, runManifest, startManifestOAuth, updateManifestConnection } from '../services/manifests.ts';
import { localId } from './ids.ts';
import { Integration } from './integrations.ts';

const ManifestKindEnum = builder.enumType(ManifestKind, { name: 'ManifestKind' });
const ManifestActionEnum = builder.enumType('ManifestAction', {
  values: { EXECUTE: { value: 'execute' }, EXISTS: { value: 'exists' }, REVOKE: { value: 'revoke' } } as const,
});

builder.prismaObject('Manifest', {
  description: "A manifest or custom tools registered by the organization (an Integration in its catalog).",
  ...orgOwned,
  fields: (t) => ({
    key: t.exposeString('key'),
    displayName: t.exposeString('displayName'),
    kind: t.expose('kind', { type: ManifestKindEnum }),
    version: t.exposeInt('version', { description: 'Incremented by every registerManifest of the same key' }),
    definition: t.expose('definition', { type: 'JSON', description: 'The validated definition (documented defaults applied); it holds no secrets' }),
    integration: t.field({ type: Integration, resolve: (row) => integrationOfManifest(row) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('ManifestSubject', {
  description: "A manifest run's subject (new hire) and what `store_data` stored on it.",
  ...orgOwned,
  fields: (t) => ({
    email: t.exposeString('email'),
    data: t.expose('data', { type: 'JSON' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryField('manifests', (t) =>
  t.prismaField({
    type: ['Manifest'],
    resolve: (query, _root, _args, ctx) => ctx.hub.db.prisma.manifest.findMany({ ...query, where: { orgId: orgIdOf(ctx) }, orderBy: { key: 'asc' } }),
  }),
);

builder.queryField('manifest', (t) =>
  t.prismaField({
    type: 'Manifest',
    nullable: true,
    args: { key: t.arg.string({ required: true }) },
    resolve: (query, _root, { key }, ctx) => ctx.hub.db.prisma.manifest.findUnique({ ...query, where: { orgId_key: { orgId: orgIdOf(ctx), key } } }),
  }),
);

builder.queryField('manifestSubject', (t) =>
  t.prismaField({
    type: 'ManifestSubject',
    nullable: true,
    args: { email: t.arg.string({ required: true }) },
    resolve: (query, _root, { email }, ctx) =>
      ctx.hub.db.prisma.manifestSubject.findUnique({ ...query, where: { orgId_email: { orgId: orgIdOf(ctx), email: email.toLowerCase() } } }),
  }),
);

const ChoiceOption = builder.objectRef<{ value: string; name: string }>('ManifestChoice').implement({
  fields: (t) => ({ value: t.exposeString('value'), name: t.exposeString('name') }),
});

const FormField = builder.objectRef<{ id: string; name: string; type: string; options: Array<{ value: string; name: string }> | null }>('ManifestFormField').implement({
  fields: (t) => ({
    id: t.exposeString('id'),
    name: t.exposeString('name'),
    type: t.exposeString('type', { description: 'choice | multiple_choice | input' }),
    options: t.field({ type: [ChoiceOption], nullable: true, resolve: (f) => f.options }),
  }),
});

builder.queryField('manifestForm', (t) =>
  t.field({
    type: [FormField],
    description: "The manifest's form for a connection, choice options fetched from the provider",
    authScopes: { role: 'MEMBER' },
    args: { connectionId: t.arg.id({ required: true }) },
    resolve: (_root, { connectionId }, ctx) => manifestForm(ctx.hub, orgIdOf(ctx), localId(connectionId, 'Connection', 'connectionId')),
  }),
);

const RegisterManifestInput = builder.inputType('RegisterManifestInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    displayName: t.string({ required: true }),
    manifest: t.field({ type: 'JSON', required: true, description: 'A ChiefOnboarding manifest, one custom tool ({ name, parameters, endpoint, output_mapping }) or { tools: [...] }' }),
  }),
});

builder.mutationField('registerManifest', (t) =>
  t.field({
    type: Integration,
    authScopes: { role: 'ADMIN' },
    description: 'Registers (or updates) a manifest or custom tools as an Integration of this organization',
    args: { input: t.arg({ type: RegisterManifestInput, required: true }) },
    resolve: (_root, { input }, ctx) => registerManifest(ctx.hub, orgIdOf(ctx), { key: input.key, displayName: input.displayName, manifest: input.manifest }),
  }),
);

builder.mutationField('deleteManifest', (t) =>
  t.boolean({
    authScopes: { role: 'ADMIN' },
    description: 'Deletes a manifest no connection uses',
    args: { key: t.arg.string({ required: true }) },
    resolve: (_root, { key }, ctx) => deleteManifest(ctx.hub, orgIdOf(ctx), key),
  }),
);

const ConnectManifestInput = builder.inputType('ConnectManifestInput', {
  fields: (t) => ({
    integrationKey: t.string({ required: true }),
    name: t.string({ required: true }),
    initialData: t.field({ type: 'JSON', description: 'initial_data_form values by id (stored encrypted; `generate` fields are created)' }),
    config: t.field({
      type: 'JSON',
      description:
        'Non-secret settings: { hostOverrides: { "app.asana.com": "https://proxy…" }, notificationConnectionId: <an email (type email) or twilio (type text) connection that sends post_execute_notification>, notificationFrom: <its sender address, Twilio number or Messaging Service SID> }',
    }),
  }),
});

builder.mutationField('connectManifest', (t) =>
  t.prismaField({
    type: 'Connection',
    authScopes: { role: 'ADMIN' },
    args: { input: t.arg({ type: ConnectManifestInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) =>
      connectManifest(ctx.hub, orgIdOf(ctx), { integrationKey: input.integrationKey, name: input.name, initialData: input.initialData, config: input.config }),
  }),
);

const UpdateManifestConnectionInput = builder.inputType('UpdateManifestConnectionInput', {
  fields: (t) => ({
    connectionId: t.id({ required: true }),
    name: t.string(),
    initialData: t.field({ type: 'JSON', description: 'initial_data_form values to change, by id (stored encrypted, never readable back); fields left out keep their value' }),
    config: t.field({ type: 'JSON', description: 'Settings merged into the stored config (as in connectManifest); a key set to null is removed' }),
    notificationConnectionId: t.id({ description: 'Shorthand for config.notificationConnectionId: the email or twilio connection that sends post_execute_notification (null removes it)' }),
    notificationFrom: t.string({ description: 'Shorthand for config.notificationFrom: its sender address, Twilio number or Messaging Service SID (null removes it)' }),
  }),
  validate: z.looseObject({ name: z.string().max(200, 'at most 200 characters').nullish() }),
});

builder.mutationField('updateManifestConnection', (t) =>
  t.prismaField({
    type: 'Connection',
    authScopes: { role: 'ADMIN' },
    description: "Edits a manifest connection: name, initial_data_form values, config and the post_execute_notification sender",
    args: { input: t.arg({ type: UpdateManifestConnectionInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) =>
      updateManifestConnection(ctx.hub, orgIdOf(ctx), {
        connectionId: localId(input.connectionId, 'Connection', 'input.connectionId'),
        name: input.name,
        initialData: input.initialData,
        config: input.config,
        notificationConnectionId: input.notificationConnectionId == null ? input.notificationConnectionId : String(input.notificationConnectionId),
        notificationFrom: input.notificationFrom,
      }),
  }),
);

const StartManifestOAuthInput = builder.inputType('StartManifestOAuthInput', {
  fields: (t) => ({
    integrationKey: t.string({ required: true }),
    name: t.string({ required: true }),
    initialData: t.field({ type: 'JSON', description: 'initial_data_form values by id (stored encrypted); usable in oauth.authenticate_url, e.g. {{ client_id }}' }),
    config: t.field({ type: 'JSON', description: 'As in connectManifest' }),
    redirectUrl: t.string({ description: 'Where the browser goes after the callback, with connection_id and status; without it, a page posts the result to window.opener' }),
  }),
  validate: z.looseObject({ redirectUrl: z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' }).max(2_000).nullish() }),
});

const StartManifestOAuthPayload = builder.objectRef<{ authorizationUrl: string; connection: Connection }>('StartManifestOAuthPayload').implement({
  fields: (t) => ({
    authorizationUrl: t.exposeString('authorizationUrl', { description: "The manifest's oauth.authenticate_url, rendered: send the user's browser here (valid for 10 minutes, once)" }),
    connection: t.prismaField({ type: 'Connection', description: 'The PENDING connection /oauth/callback completes', resolve: (_query, payload) => payload.connection }),
  }),
});

builder.mutationField('startManifestOAuth', (t) =>
  t.field({
    type: StartManifestOAuthPayload,
    authScopes: { role: 'ADMIN' },
    description: "Connects a manifest that has an oauth block: a PENDING connection and the provider URL to send the user to; the callback runs the manifest's access_token request",
    args: { input: t.arg({ type: StartManifestOAuthInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      startManifestOAuth(ctx.hub, orgIdOf(ctx), { integrationKey: input.integrationKey, name: input.name, initialData: input.initialData, config: input.config, redirectUrl: input.redirectUrl }),
  }),
);

const RunManifestInput = builder.inputType('RunManifestInput', {
  fields: (t) => ({
    connectionId: t.id({ required: true }),
    action: t.field({ type: ManifestActionEnum, required: true }),
    subject: t.field({ type: 'JSON', required: true, description: '{ email, first_name, last_name, manager, … }: template variables' }),
    form: t.field({ type: 'JSON', description: 'Form values by form id (execute)' }),
    idempotencyKey: t.string(),
    retryAfterSeconds: t.int({ description: 'A failed run is retried once after this delay (default 3600; 0: no retry)' }),
  }),
  validate: z.looseObject({ idempotencyKey: z.string().min(1).max(200, 'at most 200 characters').nullish() }),
});

builder.mutationField('runManifest', (t) =>
  t.prismaField({
    type: 'Run',
    authScopes: { role: 'MEMBER' },
    description: 'Starts a durable manifest run (RunKind MANIFEST); watch it with runUpdated',
    args: { input: t.arg({ type: RunManifestInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) => {
      if (input.subject === null || typeof input.subject !== 'object') throw badInput('subject must be an object', [{ path: 'input.subject', message: 'an object with email' }]);
      return runManifest(ctx.hub, orgIdOf(ctx), {
        connectionId: localId(input.connectionId, 'Connection', 'input.connectionId'),
        action: input.action,
        subject: input.subject,
        form: input.form ?? {},
        idempotencyKey: input.idempotencyKey,
        retryAfterSeconds: input.retryAfterSeconds,
      });
    },
  }),
);
