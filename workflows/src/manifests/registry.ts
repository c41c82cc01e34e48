// Organization-scoped integrations from the Manifest table: custom HTTP tools become a plugin
// the normal action path runs (runAction/testAction), ChiefOnboarding manifests are described
// for the catalog (their runs go through manifestRunWorkflow: per-request activities, timers).
import type { Database, Manifest as ManifestRow } from '@patchbay/db';
import { readSecrets, UnknownSecretError } from '@patchbay/db/secrets';
import {
  applyMapping,
  none,
  PermanentError,
  referencedSecrets,
  z,
  type ActionDefinition,
  type Mapping,
  type PluginDefinition,
  type PluginDescription,
} from '@patchbay/sdk';
import type { RuntimeDeps } from '../runtime/actions.ts';
import { scrub, scrubString, secretValues } from '../runtime/scrub.ts';
import { failureOf, hostOverridesFor, renderValue, sendRequest } from './runtime.ts';
import { isSyncManifest, parseDefinition, type CustomTool, type Manifest, type ParsedDefinition } from './schema.ts';

export const MANIFEST_CATEGORY = 'custom';
/** The sync a sync-users manifest offers. */
export const MANIFEST_SYNC = { key: 'users', model: 'user' } as const;
export const MANIFEST_ACTIONS = ['execute', 'exists', 'revoke'] as const;

export async function findManifest(db: Database, orgId: string, key: string): Promise<{ row: ManifestRow; definition: ParsedDefinition } | null> {
  const row = await db.prisma.manifest.findUnique({ where: { orgId_key: { orgId, key } } });
  if (!row) return null;
  const parsed = parseDefinition(row.definition);
  if (!parsed.ok) throw new PermanentError(`The stored manifest "${key}" is no longer valid: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return { row, definition: parsed.value };
}

export function requireManifest(def: ParsedDefinition, key: string): Manifest {
  if (def.kind !== 'MANIFEST') throw new PermanentError(`"${key}" holds custom tools, not a manifest`);
  return def.manifest;
}

/**
 * The plugin for a connection's integration key: a loaded plugin, else the org's manifest or
 * custom tools of that key. First-party keys win (a manifest cannot shadow them).
 */
export async function resolvePlugin(deps: RuntimeDeps, orgId: string, key: string): Promise<PluginDefinition | undefined> {
  const loaded = deps.plugins.get(key);
  if (loaded) return loaded;
  const found = await findManifest(deps.db, orgId, key);
  if (!found) return undefined;
  return pluginOf(deps, orgId, found.row, found.definition);
}

const manifestAuth = { ...none(), credentials: z.looseObject({}) as unknown as z.ZodType<Record<string, never>> };

function pluginOf(deps: RuntimeDeps, orgId: string, row: ManifestRow, def: ParsedDefinition): PluginDefinition {
  const actions: ActionDefinition[] =
    def.kind === 'CUSTOM_TOOL'
      ? def.tools.map((tool) => toolAction(deps, orgId, tool))
      : MANIFEST_ACTIONS.map((key) => ({
          key,
          displayName: key,
          input: manifestActionInput,
          run: async () => {
            throw new PermanentError(`Manifest actions run durably through runManifest(connectionId, action: "${key}")`);
          },
        }));
  return { key: row.key, displayName: row.displayName, category: MANIFEST_CATEGORY, auth: [manifestAuth], actions };
}

const manifestActionInput = z.object({
  subject: z.record(z.string(), z.unknown()).optional(),
  form: z.record(z.string(), z.unknown()).optional(),
});

function parametersSchema(tool: CustomTool): z.ZodType {
  const schema = tool.parameters ?? tool.input_schema;
  if (!schema) return z.record(z.string(), z.unknown());
  try {
    return z.fromJSONSchema(schema as never) as unknown as z.ZodType;
  } catch {
    return z.record(z.string(), z.unknown());
  }
}

/** One Engrami custom tool as an action: render the endpoint, call it, map the output. */
function toolAction(deps: RuntimeDeps, orgId: string, tool: CustomTool): ActionDefinition {
  return {
    key: tool.name,
    displayName: tool.name,
    description: tool.description,
    input: parametersSchema(tool),
    async run(ctx) {
      const names = referencedSecrets(tool.endpoint);
      let secrets: Record<string, string> = {};
      try {
        secrets = names.length ? await readSecrets(deps.db, deps.vault, orgId, names) : {};
      } catch (err) {
        if (err instanceof UnknownSecretError) throw new PermanentError(err.message);
        throw err;
      }
      const hidden = secretValues(Object.values(secrets));
      try {
        const params = (ctx.input ?? {}) as Record<string, unknown>;
        const scope = { ...params, input: params, secrets };
        const url = await renderValue(tool.endpoint.url, scope);
        const headers = await renderValue(tool.endpoint.headers ?? {}, scope);
        const body = tool.endpoint.body_template === undefined ? (tool.endpoint.method === 'GET' ? undefined : params) : await renderValue(tool.endpoint.body_template, scope, { keepTypes: true });
        const response = await sendRequest(deps, { url, method: tool.endpoint.method, headers, data: body }, { overrides: hostOverridesFor(ctx.config), signal: ctx.signal });
        if (response.status >= 400) throw failureOf(response, `${tool.endpoint.method} ${response.url}`);
        const output = tool.output_mapping ? applyMapping(tool.output_mapping as Mapping, response.data) : response.data;
        return scrub(output, hidden);
      } catch (err) {
        if (err instanceof Error && hidden.length) err.message = scrubString(err.message, hidden);
        throw err;
      }
    },
  };
}

/** The catalog entry of an org's manifest or custom tools (JSON Schemas as the catalog shows them). */
export function describeManifest(row: Pick<ManifestRow, 'key' | 'displayName' | 'kind' | 'version'>, def: ParsedDefinition): PluginDescription & { version: string } {
  const base = { key: row.key, displayName: row.displayName, category: MANIFEST_CATEGORY, authModes: ['NONE'], triggers: [], version: String(row.version) };
  const configSchema = {
    type: 'object',
    properties: {
      hostOverrides: { type: 'object', additionalProperties: { type: 'string' }, description: 'Provider host → address (proxies, fake servers)' },
    },
  };
  if (def.kind === 'CUSTOM_TOOL') {
    return {
      ...base,
      description: `Custom HTTP tools: ${def.tools.map((t) => t.name).join(', ')}`,
      auth: [{ mode: 'NONE', credentialsSchema: { type: 'object', properties: {} }, configSchema, scopes: null }],
      actions: def.tools.map((t) => ({
        key: t.name,
        displayName: t.name,
        description: t.description ?? null,
        inputSchema: t.parameters ?? t.input_schema ?? { type: 'object' },
        outputSchema: t.output_mapping ? { type: 'object', properties: Object.fromEntries(Object.keys(t.output_mapping).map((k) => [k, {}])) } : null,
      })),
      syncs: [],
    };
  }
  const m = def.manifest;
  const mode = m.oauth ? 'OAUTH2' : 'NONE';
  const initial = m.initial_data_form.filter((f) => f.name !== 'generate');
  const formSchema = {
    type: 'object',
    properties: Object.fromEntries(m.form.map((f) => [f.id, { title: f.name, ...(f.type === 'multiple_choice' ? { type: 'array', items: { type: 'string' } } : { type: 'string' }) }])),
    required: m.form.map((f) => f.id),
  };
  const subjectSchema = { type: 'object', properties: Object.fromEntries(['email', 'first_name', 'last_name', 'manager', 'manager_email', 'buddy', 'buddy_email', 'position', 'department', 'start'].map((k) => [k, { type: 'string' }])), required: ['email'] };
  const available = [...(isSyncManifest(m) ? [] : ['execute']), ...(m.exists ? ['exists'] : []), ...(m.revoke ? ['revoke'] : [])];
  return {
    ...base,
    description: isSyncManifest(m) ? `Sync users (${m.action === 'create' ? 'import' : 'update'})` : 'ChiefOnboarding-style manifest',
    authModes: [mode],
    auth: [
      {
        mode,
        credentialsSchema: {
          type: 'object',
          description: 'initial_data_form: stored encrypted',
          properties: Object.fromEntries(initial.map((f) => [f.id, { type: 'string', title: f.name, description: f.description }])),
          required: initial.map((f) => f.id),
        },
        configSchema,
        scopes: null,
      },
    ],
    actions: available.map((key) => ({
      key,
      displayName: key,
      description: null,
      inputSchema: { type: 'object', properties: { subject: subjectSchema, ...(key === 'execute' ? { form: formSchema } : {}) } },
      outputSchema: null,
    })),
    syncs: isSyncManifest(m) ? [{ key: MANIFEST_SYNC.key, model: MANIFEST_SYNC.model, defaultSchedule: m.schedule ?? null }] : [],
  };
}
