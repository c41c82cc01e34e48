// The ChiefOnboarding integration manifest format, as its documentation writes it, and
// Engrami-style custom HTTP tools: zod schemas whose errors name the exact path
// (`execute.0.polling.interval: …`). Pure module: no I/O, usable from the api and the worker.
import { z } from '@patchbay/sdk';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const method = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(METHODS, { message: `must be one of ${METHODS.join(', ')}` }));
const headers = z.record(z.string(), z.string({ message: 'header values must be strings' }));
/** A dot-notation path into a JSON response (`data.options.items`); empty = the response itself. */
const dotPath = z.string().max(500);
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use a single word: letters, digits and _');
/** ChiefOnboarding writes booleans in Python spelling too ("False"). */
const looseBool = z.union([z.boolean(), z.enum(['True', 'False', 'true', 'false']).transform((v) => v.toLowerCase() === 'true')]);
const url = z.string().min(1, 'url is required').max(4000);

export const manifestRequest = z.strictObject({
  url,
  method: method.default('POST'),
  data: z.unknown().optional(),
  headers: headers.optional(),
  store_data: z.record(identifier, dotPath).optional(),
  continue_if: z.strictObject({ response_notation: dotPath, value: z.union([z.string(), z.number(), z.boolean()]) }).optional(),
  polling: z
    .strictObject({
      interval: z.number({ message: 'interval is a number of seconds' }).positive('interval must be positive').max(86_400),
      amount: z.number().int('amount must be a whole number').positive('amount must be positive').max(10_000),
    })
    .optional(),
  save_as_file: z.string().min(1).max(255).optional(),
  files: z.record(z.string().min(1), z.string().min(1)).optional(),
});
export type ManifestRequest = z.output<typeof manifestRequest>;

/** revoke, oauth.access_token and oauth.refresh: limited to url, data, method and headers. */
const plainRequest = z.strictObject({ url, method: method.default('POST'), data: z.unknown().optional(), headers: headers.optional() });

const choiceItem = z.object({ id: z.union([z.string(), z.number()]).transform(String), name: z.string() }).passthrough();

const formItem = z
  .strictObject({
    id: identifier,
    name: z.string().min(1),
    type: z.enum(['choice', 'multiple_choice', 'input']),
    url: url.optional(),
    method: method.default('POST'),
    headers: headers.optional(),
    data_from: dotPath.optional(),
    choice_value: z.string().default('id'),
    choice_name: z.string().default('name'),
    items: z.array(choiceItem).optional(),
  })
  .superRefine((item, ctx) => {
    if (item.type !== 'input' && !item.url && !item.items) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: `a ${item.type} needs static "items" or a "url" to fetch them from` });
    }
    if (item.url && item.items) ctx.addIssue({ code: 'custom', path: ['url'], message: 'use either "url" or "items", not both' });
  });

const initialDataItem = z.strictObject({
  id: identifier,
  /** `generate`: Patchbay generates a secret value instead of asking for one. */
  name: z.string().min(1),
  description: z.string().optional(),
});

export const manifestSchema = z
  .strictObject({
    form: z.array(formItem).default([]),
    exists: z
      .strictObject({
        url,
        method: method.default('GET'),
        expected: z.string(),
        headers: headers.optional(),
        fail_when_4xx_response_code: looseBool.default(true),
      })
      .optional(),
    revoke: z.array(plainRequest).optional(),
    execute: z.array(manifestRequest).min(1, 'needs at least one request'),
    headers: headers.default({}),
    oauth: z
      .strictObject({
        authenticate_url: z.string().min(1),
        access_token: plainRequest,
        refresh: plainRequest.optional(),
        without_code: looseBool.default(false),
      })
      .optional(),
    initial_data_form: z.array(initialDataItem).default([]),
    post_execute_notification: z
      .strictObject({ type: z.enum(['email', 'text']), to: z.string().min(1), subject: z.string().optional(), message: z.string() })
      .optional(),
    // Sync users integrations.
    action: z.enum(['create', 'update']).optional(),
    data_from: dotPath.optional(),
    data_structure: z.record(z.string(), dotPath).optional(),
    schedule: z.string().optional(),
    amount_pages_to_fetch: z.number().int().positive().max(100_000).default(5),
    next_page_token_from: dotPath.optional(),
    next_page: z.string().optional(),
    next_page_from: dotPath.optional(),
    /** Patchbay extensions for APIs that page by number/offset or with a Link header. */
    pagination: z
      .discriminatedUnion('type', [
        z.strictObject({ type: z.literal('page'), param: z.string().default('page'), start: z.number().int().default(1) }),
        z.strictObject({ type: z.literal('offset'), param: z.string().default('offset'), limit: z.number().int().positive() }),
        z.strictObject({ type: z.literal('link_header') }),
      ])
      .optional(),
  })
  .superRefine((m, ctx) => {
    const ids = new Set<string>();
    for (const [list, name] of [[m.form, 'form'], [m.initial_data_form, 'initial_data_form']] as const) {
      list.forEach((item, i) => {
        if (ids.has(item.id)) ctx.addIssue({ code: 'custom', path: [name, i, 'id'], message: `"${item.id}" is defined twice` });
        ids.add(item.id);
      });
    }
    if (m.action) {
      // Users are matched on data_structure.email; the published update example omits it, so
      // the item's own `email` field is the fallback (see syncs/manifest-sync.ts).
      if (!m.data_structure) ctx.addIssue({ code: 'custom', path: ['data_structure'], message: 'a sync users manifest needs data_structure' });
      if (m.action === 'update' && !m.schedule) ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'an update sync needs a schedule (it is never run by hand)' });
    }
    if (m.next_page && !m.next_page_token_from) ctx.addIssue({ code: 'custom', path: ['next_page_token_from'], message: 'next_page needs next_page_token_from' });
    if (m.next_page_token_from && !m.next_page) ctx.addIssue({ code: 'custom', path: ['next_page'], message: 'next_page_token_from needs next_page (with {{ NEXT_PAGE_TOKEN }})' });
    // files refer to a save_as_file of an earlier request.
    const saved = new Set<string>();
    m.execute.forEach((req, i) => {
      for (const [field, file] of Object.entries(req.files ?? {})) {
        if (!saved.has(file)) ctx.addIssue({ code: 'custom', path: ['execute', i, 'files', field], message: `"${file}" is not saved by an earlier request (save_as_file)` });
      }
      if (req.save_as_file) saved.add(req.save_as_file);
    });
  });
export type Manifest = z.output<typeof manifestSchema>;

export const isSyncManifest = (m: Manifest) => m.action !== undefined;

// ---- custom HTTP tools (Engrami) --------------------------------------------------------------

const jsonSchemaObject = z
  .looseObject({ type: z.literal('object', { message: 'parameters must be a JSON Schema of type "object"' }), properties: z.record(z.string(), z.unknown()).optional(), required: z.array(z.string()).optional() });

export const customToolSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case'),
  description: z.string().max(2000).optional(),
  parameters: jsonSchemaObject.optional(),
  input_schema: jsonSchemaObject.optional(),
  endpoint: z.strictObject({
    url,
    method: method.default('POST'),
    headers: headers.optional(),
    body_template: z.unknown().optional(),
  }),
  output_mapping: z.record(z.string(), z.unknown()).optional(),
});
export type CustomTool = z.output<typeof customToolSchema>;

export const customToolsSchema = z
  .strictObject({ tools: z.array(customToolSchema).min(1, 'needs at least one tool') })
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.tools.forEach((t, i) => {
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tools', i, 'name'], message: `"${t.name}" is defined twice` });
      seen.add(t.name);
    });
  });

export interface DefinitionIssue {
  path: string;
  message: string;
}

export type ParsedDefinition = { kind: 'MANIFEST'; manifest: Manifest } | { kind: 'CUSTOM_TOOL'; tools: CustomTool[] };

/**
 * A manifest as registered: custom tools (an object with `tools`, or one tool with `endpoint`)
 * or a ChiefOnboarding manifest. Returns the issues with their dotted paths instead of throwing.
 */
export function parseDefinition(value: unknown): { ok: true; value: ParsedDefinition } | { ok: false; issues: DefinitionIssue[] } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, issues: [{ path: '', message: 'a manifest is a JSON object' }] };
  const isTools = 'tools' in value || 'endpoint' in value;
  if (isTools) {
    const parsed = customToolsSchema.safeParse('endpoint' in value ? { tools: [value] } : value);
    if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error, 'endpoint' in value ? 1 : 0) };
    return { ok: true, value: { kind: 'CUSTOM_TOOL', tools: parsed.data.tools } };
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error) };
  return { ok: true, value: { kind: 'MANIFEST', manifest: parsed.data } };
}

function issuesOf(error: z.ZodError, dropPrefix = 0): DefinitionIssue[] {
  return error.issues.map((issue) => {
    // A single tool was wrapped as { tools: [tool] }: report paths as written.
    const path = issue.path.slice(dropPrefix * 2).map(String).join('.');
    return { path, message: issue.message };
  });
}

/** Reads a dot-notation path (`data.options.items`, `responses.0.id`) from a JSON value. */
export function readDotPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  let current: unknown = value;
  for (const part of path.split('.')) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)];
    else if (typeof current === 'object' && Object.prototype.hasOwnProperty.call(current, part)) current = (current as Record<string, unknown>)[part];
    else return undefined;
  }
  return current;
}
