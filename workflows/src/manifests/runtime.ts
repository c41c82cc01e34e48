// Executing manifest requests: the template scope (initial data, form, subject, earlier
// responses), host overrides (a manifest keeps its absolute provider URLs; a setting maps those
// hosts elsewhere: fake servers in tests, proxies), and one HTTP request with the SSRF guard.
import { errorForResponse, PermanentError, renderTemplate, TransientError } from '@patchbay/sdk';
import { networkGuardFor } from '../runtime/network-guard.ts';
import { readDotPath } from './schema.ts';

/** `host=url` pairs, comma separated: PATCHBAY_HOST_OVERRIDES="app.asana.com=http://127.0.0.1:4010". */
export function parseHostOverrides(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at > 0) out[pair.slice(0, at).trim().toLowerCase()] = pair.slice(at + 1).trim();
  }
  return out;
}

/** The overrides for a connection: its config's `hostOverrides` on top of the process setting. */
export function hostOverridesFor(config: Record<string, unknown> | null | undefined): Record<string, string> {
  const fromConfig = config?.hostOverrides;
  const own: Record<string, string> = {};
  if (fromConfig && typeof fromConfig === 'object') {
    for (const [host, target] of Object.entries(fromConfig)) if (typeof target === 'string') own[host.toLowerCase()] = target;
  }
  return { ...parseHostOverrides(process.env.PATCHBAY_HOST_OVERRIDES), ...own };
}

export function applyHostOverride(rawUrl: string, overrides: Record<string, string>): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new PermanentError(`Invalid URL "${rawUrl.slice(0, 200)}"`);
  }
  const target = overrides[url.host.toLowerCase()] ?? overrides[url.hostname.toLowerCase()];
  if (!target) return url;
  const base = new URL(target);
  url.protocol = base.protocol;
  url.host = base.host;
  if (base.pathname && base.pathname !== '/') url.pathname = base.pathname.replace(/\/$/, '') + url.pathname;
  return url;
}

/** New-hire fields ChiefOnboarding offers as variables; a run's `subject` carries them. */
export const SUBJECT_FIELDS = ['email', 'first_name', 'last_name', 'manager', 'manager_email', 'buddy', 'buddy_email', 'position', 'department', 'start'] as const;

export interface ManifestScopeParts {
  initialData: Record<string, string>;
  form?: Record<string, unknown>;
  subject?: Record<string, unknown>;
  /** Values stored on the subject by earlier runs (store_data). */
  stored?: Record<string, unknown>;
  responses?: unknown[];
  extra?: Record<string, unknown>;
}

/** One flat scope, later entries winning: stored data, subject, form, initial data, responses. */
export function manifestScope(parts: ManifestScopeParts): Record<string, unknown> {
  return {
    ...(parts.stored ?? {}),
    ...(parts.subject ?? {}),
    ...(parts.form ?? {}),
    ...parts.initialData,
    responses: parts.responses ?? [],
    ...(parts.extra ?? {}),
  };
}

const WHOLE_VARIABLE = /^\{\{\s*([A-Za-z_][\w.]*)\s*\}\}$/;

/**
 * Renders `{{ }}` in every string. A string that is exactly one variable keeps the value's
 * type (`"select": "{{fields}}"` sends the array, as custom tools expect).
 */
export async function renderValue<T>(template: T, scope: Record<string, unknown>, { keepTypes = false } = {}): Promise<T> {
  if (typeof template === 'string') {
    const whole = keepTypes ? WHOLE_VARIABLE.exec(template) : null;
    if (whole) {
      // An optional parameter left out is left out of the body too (not an unknown variable).
      const value = readDotPath(scope, whole[1]);
      if (value !== undefined || !whole[1]!.startsWith('secrets.')) return value as T;
    }
    return renderTemplate(template, scope) as Promise<T>;
  }
  if (Array.isArray(template)) return (await Promise.all(template.map((v) => renderValue(v, scope, { keepTypes })))) as T;
  if (template && typeof template === 'object') {
    const entries = await Promise.all(Object.entries(template).map(async ([k, v]) => [k, await renderValue(v, scope, { keepTypes })] as const));
    return Object.fromEntries(entries) as T;
  }
  return template;
}

export interface OutgoingRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  data?: unknown;
  /** multipart fields: field name → file */
  files?: Record<string, { name: string; contentType: string | null; bytes: Uint8Array }>;
}

export interface ResponseSummary {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** Parsed JSON, or the text when the body is not JSON. */
  data: unknown;
  bytes: Uint8Array;
  url: string;
}

const MAX_RESPONSE_BYTES = 20 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 60_000;

/** Sends one request (host overrides applied, SSRF guard on every hop); never throws on a status. */
export async function sendRequest(
  deps: object,
  request: OutgoingRequest,
  options: { overrides: Record<string, string>; signal?: AbortSignal },
): Promise<ResponseSummary> {
  const url = applyHostOverride(request.url, options.overrides);
  const guard = networkGuardFor(deps);
  await guard.beforeRequest(url);
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) headers.set(name, value);
  let body: BodyInit | undefined;
  const method = request.method.toUpperCase();
  if (request.files && Object.keys(request.files).length) {
    const form = new FormData();
    if (request.data && typeof request.data === 'object') {
      for (const [k, v] of Object.entries(request.data)) form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
    for (const [field, file] of Object.entries(request.files)) {
      form.append(field, new Blob([Uint8Array.from(file.bytes)], { type: file.contentType ?? 'application/octet-stream' }), file.name);
    }
    headers.delete('content-type'); // fetch sets the multipart boundary
    body = form;
  } else if (request.data !== undefined && method !== 'GET' && method !== 'HEAD') {
    const type = headers.get('content-type') ?? 'application/json';
    if (/x-www-form-urlencoded/i.test(type) && request.data && typeof request.data === 'object') {
      body = new URLSearchParams(Object.entries(request.data).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    } else {
      body = typeof request.data === 'string' ? request.data : JSON.stringify(request.data);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
  }
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await guard.fetch(url, { method, headers, body, signal });
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason ?? err;
    if (err instanceof PermanentError) throw err;
    throw new TransientError(`${method} ${url.origin}${url.pathname} failed: ${(err as Error).message}`);
  }
  const buffer = new Uint8Array(await res.arrayBuffer());
  if (buffer.byteLength > MAX_RESPONSE_BYTES) throw new PermanentError(`${method} ${url.origin}${url.pathname} answered more than ${MAX_RESPONSE_BYTES} bytes`);
  const text = new TextDecoder().decode(buffer);
  let data: unknown = text;
  if (text && /\bjson\b/i.test(res.headers.get('content-type') ?? '')) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  } else if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), text, data, bytes: buffer, url: `${url.origin}${url.pathname}` };
}

/** A non-2xx answer as the SDK's typed error (4xx permanent, 429/5xx retryable). */
export function failureOf(response: ResponseSummary, what: string): Error {
  return errorForResponse({ status: response.status, headers: response.headers, text: response.text }, what);
}

/** `continue_if`: the value at `response_notation` equals `value` (compared as strings). */
export function conditionMet(data: unknown, condition: { response_notation: string; value: unknown }): boolean {
  const found = readDotPath(data, condition.response_notation);
  return found !== undefined && found !== null && String(found) === String(condition.value);
}
