// What the catalog shows about a plugin: auth forms and action contracts as JSON Schema, so
// frontends can render connect forms and playgrounds without knowing zod.
import { z } from 'zod';
import type { PluginDefinition } from './define.ts';

export interface PluginDescription {
  key: string;
  displayName: string;
  category: string;
  description: string | null;
  authModes: string[];
  auth: Array<{ mode: string; credentialsSchema: unknown; configSchema: unknown; scopes: string[] | null }>;
  actions: Array<{ key: string; displayName: string; description: string | null; inputSchema: unknown; outputSchema: unknown }>;
  triggers: Array<{ key: string; displayName: string; kind: string }>;
  syncs: Array<{ key: string; model: string; defaultSchedule: string | null }>;
}

export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
}

export function describePlugin(plugin: PluginDefinition): PluginDescription {
  return {
    key: plugin.key,
    displayName: plugin.displayName,
    category: plugin.category,
    description: plugin.description ?? null,
    authModes: plugin.auth.map((a) => a.mode),
    auth: plugin.auth.map((a) => ({
      mode: a.mode,
      credentialsSchema: jsonSchemaOf(a.credentials),
      configSchema: jsonSchemaOf(a.config),
      scopes: a.mode.startsWith('OAUTH2') ? (a.scopes ?? []) : null,
    })),
    actions: plugin.actions.map((a) => ({
      key: a.key,
      displayName: a.displayName,
      description: a.description ?? null,
      inputSchema: jsonSchemaOf(a.input, 'input'),
      outputSchema: a.output ? jsonSchemaOf(a.output, 'output') : null,
    })),
    triggers: (plugin.triggers ?? []).map((t) => ({ key: t.key, displayName: t.displayName, kind: t.kind })),
    syncs: (plugin.syncs ?? []).map((s) => ({ key: s.key, model: s.model, defaultSchedule: s.defaultSchedule ?? null })),
  };
}
