// The one way an action runs, wherever it runs: the worker's activity, the api's testAction
// playground, and plugin authors' tests all come through here.
import { z } from 'zod';
import type { AnyAuthMethod, AuthMode } from './auth.ts';
import type { ActionContext, ActionLogger, KeyValueStore, PluginDefinition } from './define.ts';
import { PermanentError } from './errors.ts';
import { createHttpClient, type HttpClientOptions } from './http.ts';
import { renderTemplate, type TemplateScope } from './template.ts';

export interface InputIssue {
  path: string;
  message: string;
}

/** The input does not match the action's schema; `issues` names every bad path. */
export class ActionInputError extends PermanentError {
  constructor(readonly issues: InputIssue[]) {
    super(`Invalid input: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, { issues });
  }
}

export function issuesOf(error: z.ZodError): InputIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

export interface ContextOptions {
  plugin: PluginDefinition;
  mode: AuthMode;
  credentials: unknown;
  config?: Record<string, unknown>;
  secrets?: Record<string, string>;
  user?: { id?: string; metadata?: Record<string, unknown> };
  store?: KeyValueStore;
  logger?: ActionLogger;
  signal?: AbortSignal;
  http?: Pick<HttpClientOptions, 'fetch' | 'beforeRequest' | 'timeoutMs'>;
}

export function authMethodOf(plugin: PluginDefinition, mode: AuthMode): AnyAuthMethod {
  const method = plugin.auth.find((a) => a.mode === mode);
  if (!method) throw new PermanentError(`Integration "${plugin.key}" does not support ${mode} connections`);
  return method;
}

export function createActionContext<Input>(options: ContextOptions, input: Input): ActionContext<Input> {
  const method = authMethodOf(options.plugin, options.mode);
  const config = { ...(options.config ?? {}) } as ActionContext['config'];
  const signal = options.signal ?? new AbortController().signal;
  const scope: TemplateScope = {
    input,
    secrets: options.secrets ?? {},
    connection: { config },
    user: { id: options.user?.id, metadata: options.user?.metadata ?? {} },
  };
  return {
    input,
    auth: { mode: options.mode, credentials: options.credentials },
    config,
    http: createHttpClient({
      ...options.http,
      baseUrl: config.baseUrl ?? options.plugin.baseUrl,
      auth: method.authorize(options.credentials, config),
      signal,
    }),
    logger: options.logger ?? silentLogger,
    store: options.store ?? memoryStore(),
    render: (template, extra) => renderTemplate(template, { ...scope, ...extra }),
    user: options.user,
    signal,
  };
}

/**
 * Renders the input's `{{ }}` templates, validates it against the action's schema, runs the
 * action, and validates what it returns.
 */
export async function executeAction(options: ContextOptions & { action: string; input: unknown }): Promise<unknown> {
  const action = options.plugin.actions.find((a) => a.key === options.action);
  if (!action) throw new PermanentError(`Integration "${options.plugin.key}" has no action "${options.action}"`);
  const scope: TemplateScope = {
    secrets: options.secrets ?? {},
    connection: { config: options.config ?? {} },
    user: { id: options.user?.id, metadata: options.user?.metadata ?? {} },
  };
  const rendered = action.renderInput === false ? (options.input ?? {}) : await renderTemplate(options.input ?? {}, scope);
  const parsed = action.input.safeParse(rendered);
  if (!parsed.success) throw new ActionInputError(issuesOf(parsed.error));
  const output = await action.run(createActionContext({ ...options, ...checkedConnection(options) }, parsed.data));
  if (!action.output) return output ?? null;
  const checked = action.output.safeParse(output);
  if (!checked.success) throw new PermanentError(`Action "${action.key}" returned invalid output: ${issuesOf(checked.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return checked.data;
}

/** The stored credentials and config, validated (and defaulted) by the auth method's schemas. */
function checkedConnection(options: ContextOptions): { credentials: unknown; config: Record<string, unknown> } {
  const method = authMethodOf(options.plugin, options.mode);
  const credentials = method.credentials.safeParse(options.credentials ?? {});
  if (!credentials.success) {
    // Schema messages only: zod does not quote the offending value, so no secret ends up here.
    throw new PermanentError(`Invalid connection credentials: ${issuesOf(credentials.error).map((i) => `${i.path}: ${i.message}`).join('; ')}; reconnect it`);
  }
  const config = method.config.safeParse(options.config ?? {});
  if (!config.success) {
    throw new PermanentError(`The connection's config is invalid: ${issuesOf(config.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
  return { credentials: credentials.data, config: config.data };
}

/** Validates input without running anything (the api checks runAction input up front). */
export function checkActionInput(plugin: PluginDefinition, actionKey: string, input: unknown): InputIssue[] | null {
  const action = plugin.actions.find((a) => a.key === actionKey);
  if (!action) return [{ path: 'action', message: `Integration "${plugin.key}" has no action "${actionKey}"` }];
  // Templates are rendered at run time, so a templated string can't be checked now.
  const parsed = action.input.safeParse(input ?? {});
  if (parsed.success) return null;
  const issues = issuesOf(parsed.error).filter((issue) => !valueAt(input, issue.path)?.toString().includes('{{'));
  return issues.length ? issues : null;
}

function valueAt(value: unknown, path: string): unknown {
  return path.split('.').filter(Boolean).reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

const noop = () => {};
const silentLogger: ActionLogger = { debug: noop, info: noop, warn: noop, error: noop };

export function memoryStore(): KeyValueStore {
  const values = new Map<string, unknown>();
  return {
    get: async <T>(key: string) => values.get(key) as T | undefined,
    set: async (key, value) => void values.set(key, value),
    delete: async (key) => void values.delete(key),
  };
}

/** Runs the auth method's test hook with the credentials applied; no hook means "ok". */
export async function testAuth(options: Omit<ContextOptions, 'store' | 'logger' | 'user' | 'secrets'>): Promise<{ ok: boolean; message: string | null; latencyMs: number }> {
  const method = authMethodOf(options.plugin, options.mode);
  const parsed = method.credentials.safeParse(options.credentials);
  if (!parsed.success) return { ok: false, message: `Invalid credentials: ${issuesOf(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`, latencyMs: 0 };
  if (!method.test) return { ok: true, message: 'This integration has no connection test', latencyMs: 0 };
  const config = { ...(options.config ?? {}) } as ActionContext['config'];
  const signal = options.signal ?? AbortSignal.timeout(30_000);
  const started = performance.now();
  try {
    const result = await method.test({
      credentials: parsed.data,
      config,
      signal,
      http: createHttpClient({ ...options.http, baseUrl: config.baseUrl ?? options.plugin.baseUrl, auth: method.authorize(parsed.data, config), signal }),
    });
    return { ok: result?.ok ?? true, message: result?.message ?? null, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, message: (err as Error).message, latencyMs: Math.round(performance.now() - started) };
  }
}
