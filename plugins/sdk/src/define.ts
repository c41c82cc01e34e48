// The declarative shape of a connector: a plain object of auth methods, actions, triggers and
// syncs, each with zod schemas. The host validates this shape when it loads a package.
import { z } from 'zod';
import type { AnyAuthMethod, AuthMode } from './auth.ts';
import type { HttpClient } from './http.ts';
import { VERIFICATION_SCHEMES } from './webhooks/schemes.ts';

export interface ActionLogger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

/** Small per-connection state that survives between runs (cursors, cached ids). */
export interface KeyValueStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface ActionContext<Input = unknown, Credentials = any> {
  input: Input;
  /** The connection's decrypted credentials and how they were given. */
  auth: { mode: AuthMode; credentials: Credentials };
  /** The connection's non-secret settings (baseUrl and plugin-specific ones). */
  config: Record<string, unknown> & { baseUrl?: string };
  /** fetch with the base URL, credentials, timeout, cancellation and typed errors built in. */
  http: HttpClient;
  logger: ActionLogger;
  store: KeyValueStore;
  /** Renders `{{ }}` templates over input, secrets, connection.config and user.metadata. */
  render<T>(template: T, extra?: Record<string, unknown>): Promise<T>;
  user?: { id?: string; metadata?: Record<string, unknown> };
  /** Aborted when the run is cancelled or times out. */
  signal: AbortSignal;
}

export interface ActionDefinition<In extends z.ZodType = z.ZodType, Out extends z.ZodType = z.ZodType> {
  key: string;
  displayName: string;
  description?: string;
  input: In;
  output?: Out;
  /**
   * false: the hub passes the input as written instead of rendering its `{{ }}` templates
   * first (for inputs like SQL text, where interpolation would be injection). Call
   * ctx.render yourself on the parts that may be templated.
   */
  renderInput?: boolean;
  run(ctx: ActionContext<z.output<In>>): Promise<z.input<Out>>;
}

export type TriggerKind = 'WEBHOOK' | 'POLLING' | 'APP_WEBHOOK';

/** A provider's request to a trigger's webhook endpoint, after the hub has read it. */
export interface TriggerRequest {
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The body exactly as received (signatures are computed over it). */
  rawBody: string;
  /** The parsed body: JSON, form fields as an object, or the text. */
  body: unknown;
  /** The public URL the provider called. */
  url: string;
}

/** What the hub answers the provider with. */
export interface TriggerResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * true for a protocol handshake (Slack url_verification, Discord PING): answered at once and
   * not stored as an event. false/absent: the request is stored durably, then this is the answer.
   */
  handshake?: boolean;
}

export interface TriggerDefinition<Settings extends z.ZodType = z.ZodType> {
  key: string;
  displayName: string;
  description?: string;
  kind: TriggerKind;
  /** Per-use settings (filters, options) a flow or endpoint gives this trigger. */
  settings?: Settings;
  /** Schema of one emitted event. */
  output?: z.ZodType;
  /**
   * WEBHOOK/APP_WEBHOOK: how the hub checks the provider's signature before anything else runs
   * (the scheme's secret is the webhook endpoint's secret: Slack signing secret, GitHub webhook
   * secret, Twilio auth token, Discord application public key).
   */
  verification?: import('./webhooks/schemes.ts').VerificationScheme;
  /** WEBHOOK: an immediate answer for the provider (handshakes, Discord's deferred reply); pure, no I/O. */
  respond?(request: TriggerRequest): TriggerResponse | undefined;
  /** WEBHOOK/APP_WEBHOOK: turns a verified, stored provider request into zero or more events. */
  handle?(request: TriggerRequest, ctx: Omit<ActionContext<z.output<Settings>>, 'input'> & { settings: z.output<Settings> }): Promise<{ events: unknown[] }>;
  /** POLLING: the shortest interval allowed between polls. */
  minIntervalSeconds?: number;
  /** POLLING: fetches what is new since `cursor` (the hub stores the returned cursor). */
  poll?(ctx: ActionContext<{ cursor?: unknown; settings: z.output<Settings> }>): Promise<{ events: unknown[]; cursor?: unknown }>;
}

export interface SyncPage<Record = unknown> {
  records: Array<{ id: string; data: Record }>;
  /** Absent or null when this was the last page. */
  nextCursor?: string | null;
}

export interface SyncDefinition {
  key: string;
  /** The record model name, e.g. "contact". */
  model: string;
  description?: string;
  /** Cron expression or interval (e.g. "@every 1h"). */
  defaultSchedule?: string;
  record?: z.ZodType;
  fetchPage(ctx: ActionContext<{ cursor?: string | null; modifiedAfter?: string | null }>): Promise<SyncPage>;
}

export interface PluginDefinition {
  key: string;
  displayName: string;
  category: string;
  description?: string;
  /** The provider's default API address; a connection's config.baseUrl overrides it. */
  baseUrl?: string;
  auth: AnyAuthMethod[];
  actions: ActionDefinition[];
  triggers?: TriggerDefinition<any>[];
  syncs?: SyncDefinition[];
  /** Releases what the plugin holds across runs (connection pools, timers) when the hub stops. */
  close?(): Promise<void>;
}

const snakeCase = /^[a-z][a-z0-9_]*$/;
const kebabCase = /^[a-z][a-z0-9-]*$/;

export function defineAction<In extends z.ZodType, Out extends z.ZodType>(action: ActionDefinition<In, Out>): ActionDefinition<In, Out> {
  return action;
}

export function defineTrigger<Settings extends z.ZodType = z.ZodType>(trigger: TriggerDefinition<Settings>): TriggerDefinition<Settings> {
  return trigger;
}

export function defineSync(sync: SyncDefinition): SyncDefinition {
  return sync;
}

/** Checks the plugin's shape at definition time, so a mistake fails where it was made. */
export function definePlugin<P extends PluginDefinition>(plugin: P): P {
  return validatePlugin(plugin) as P;
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
const zodSchema = z.custom<z.ZodType>((v) => v instanceof z.ZodType || (typeof v === 'object' && v !== null && '_zod' in v), 'must be a zod schema');
const uniqueKeys = (items: Array<{ key: string }>) => new Set(items.map((i) => i.key)).size === items.length;

const pluginShape = z.object({
  key: z.string().regex(kebabCase, 'must be kebab-case (a-z, 0-9, -)'),
  displayName: z.string().min(1),
  category: z.string().min(1),
  description: z.string().optional(),
  baseUrl: z.url().optional(),
  auth: z
    .array(z.object({ mode: z.enum(['OAUTH2', 'OAUTH2_CLIENT_CREDENTIALS', 'API_KEY', 'BASIC', 'BOT_TOKEN', 'NONE']), credentials: zodSchema, config: zodSchema, authorize: fn, test: fn.optional() }))
    .min(1, 'needs at least one auth method (use none() for public APIs)')
    .refine((list) => new Set(list.map((a) => a.mode)).size === list.length, 'lists an auth mode twice'),
  actions: z
    .array(z.object({ key: z.string().regex(snakeCase, 'must be snake_case'), displayName: z.string().min(1), input: zodSchema, output: zodSchema.optional(), run: fn }))
    .refine(uniqueKeys, 'has two actions with the same key'),
  triggers: z
    .array(
      z
        .object({
          key: z.string().regex(snakeCase, 'must be snake_case'),
          displayName: z.string().min(1),
          kind: z.enum(['WEBHOOK', 'POLLING', 'APP_WEBHOOK']),
          settings: zodSchema.optional(),
          verification: z.enum(VERIFICATION_SCHEMES).optional(),
          respond: fn.optional(),
          handle: fn.optional(),
          poll: fn.optional(),
          minIntervalSeconds: z.number().int().positive().optional(),
        })
        .refine((t) => (t.kind === 'POLLING' ? typeof t.poll === 'function' : typeof t.handle === 'function'), 'needs poll() when POLLING, handle() otherwise'),
    )
    .refine(uniqueKeys, 'has two triggers with the same key')
    .optional(),
  syncs: z
    .array(z.object({ key: z.string().regex(snakeCase, 'must be snake_case'), model: z.string().min(1), fetchPage: fn }))
    .refine(uniqueKeys, 'has two syncs with the same key')
    .optional(),
  close: fn.optional(),
});

export class PluginShapeError extends Error {
  override name = 'PluginShapeError';
}

/** Validates anything claiming to be a plugin; the error names the first bad path. */
export function validatePlugin(value: unknown): PluginDefinition {
  const result = pluginShape.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'the plugin';
    throw new PluginShapeError(`${where} ${issue.message}`);
  }
  return value as PluginDefinition;
}
