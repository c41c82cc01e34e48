// The catalog: every plugin loaded in this hub, with what a connect form must ask for and what
// each action takes and returns (JSON Schema).
import type { PluginDescription } from '@patchbay/sdk';
import type { LoadedPlugin } from '@patchbay/workflows';
import { builder, orgIdOf } from '../builder.ts';
import { integrationOfManifest } from '../services/manifests.ts';
import { AuthModeEnum } from './enums.ts';

export interface IntegrationShape extends PluginDescription {
  packageName: string | null;
  version: string | null;
}

export function integrationOf(entry: LoadedPlugin): IntegrationShape {
  return { ...entry.describe(), packageName: entry.packageName ?? null, version: entry.version ?? null };
}

/** What Connection.integration shows when the connection's plugin is no longer loaded. */
export function missingIntegration(key: string): IntegrationShape {
  return {
    key, displayName: key, category: 'unavailable', description: `The "${key}" plugin is not loaded in this hub`,
    authModes: [], auth: [], actions: [], triggers: [], syncs: [], packageName: null, version: null,
  };
}

const AuthMethod = builder.objectRef<IntegrationShape['auth'][number]>('AuthMethod').implement({
  fields: (t) => ({
    mode: t.field({ type: AuthModeEnum, resolve: (a) => a.mode as never }),
    credentialsSchema: t.field({ type: 'JSON', nullable: true, description: 'JSON Schema of the secret fields', resolve: (a) => a.credentialsSchema }),
    configSchema: t.field({ type: 'JSON', nullable: true, description: 'JSON Schema of non-secret settings (always with an optional baseUrl)', resolve: (a) => a.configSchema }),
    scopes: t.stringList({ nullable: true, description: 'OAuth2 default scopes', resolve: (a) => a.scopes }),
  }),
});

const ActionDefinition = builder.objectRef<IntegrationShape['actions'][number]>('ActionDefinition').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    displayName: t.exposeString('displayName'),
    description: t.exposeString('description', { nullable: true }),
    inputSchema: t.field({ type: 'JSON', resolve: (a) => a.inputSchema }),
    outputSchema: t.field({ type: 'JSON', nullable: true, resolve: (a) => a.outputSchema }),
  }),
});

const TriggerDefinition = builder.objectRef<IntegrationShape['triggers'][number]>('TriggerDefinition').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    displayName: t.exposeString('displayName'),
    kind: t.exposeString('kind', { description: 'WEBHOOK | POLLING | APP_WEBHOOK' }),
  }),
});

const SyncDefinition = builder.objectRef<IntegrationShape['syncs'][number]>('SyncDefinition').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    model: t.exposeString('model'),
    defaultSchedule: t.exposeString('defaultSchedule', { nullable: true }),
  }),
});

export const Integration = builder.objectRef<IntegrationShape>('Integration').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    displayName: t.exposeString('displayName'),
    category: t.exposeString('category'),
    description: t.exposeString('description', { nullable: true }),
    authModes: t.field({ type: [AuthModeEnum], resolve: (i) => i.authModes as never }),
    packageName: t.exposeString('packageName', { nullable: true }),
    version: t.exposeString('version', { nullable: true }),
    auth: t.field({ type: [AuthMethod], resolve: (i) => i.auth }),
    actions: t.field({ type: [ActionDefinition], resolve: (i) => i.actions }),
    triggers: t.field({ type: [TriggerDefinition], resolve: (i) => i.triggers }),
    syncs: t.field({ type: [SyncDefinition], resolve: (i) => i.syncs }),
  }),
});

builder.queryField('integrations', (t) =>
  t.field({
    type: [Integration],
    args: { search: t.arg.string(), category: t.arg.string() },
    resolve: async (_root, { search, category }, ctx) => {
      const needle = search?.trim().toLowerCase();
      // The organization's own manifests and custom tools (schema/manifests.ts) join the loaded plugins.
      const manifests = await ctx.hub.db.prisma.manifest.findMany({ where: { orgId: orgIdOf(ctx) } });
      return [...ctx.hub.plugins.list().map(integrationOf), ...manifests.map(integrationOfManifest)]
        .filter((i) => !category || i.category === category)
        .filter((i) => !needle || [i.key, i.displayName, i.description ?? ''].some((s) => s.toLowerCase().includes(needle)))
        .sort((a, b) => a.displayName.localeCompare(b.displayName));
    },
  }),
);

builder.queryField('integration', (t) =>
  t.field({
    type: Integration,
    nullable: true,
    args: { key: t.arg.string({ required: true }) },
    resolve: async (_root, { key }, ctx) => {
      const entry = ctx.hub.plugins.entry(key);
      if (entry) return integrationOf(entry);
      const manifest = await ctx.hub.db.prisma.manifest.findUnique({ where: { orgId_key: { orgId: orgIdOf(ctx), key } } });
      return manifest ? integrationOfManifest(manifest) : null;
    },
  }),
);
