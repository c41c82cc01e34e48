// `{{ }}` templates (Liquid) over what an action may reference: its input, the org's secrets,
// the connection's non-secret config and the calling user's metadata.
import { Liquid } from 'liquidjs';
import { PermanentError } from './errors.ts';

export interface TemplateScope {
  input?: unknown;
  secrets?: Record<string, string>;
  connection?: { config?: Record<string, unknown> };
  user?: { id?: string; metadata?: Record<string, unknown> };
  [name: string]: unknown;
}

const engine = new Liquid({ strictVariables: true, strictFilters: true, ownPropertyOnly: true, cache: 500 });
const SECRET_REFERENCE = /secrets\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*["']([^"']+)["']\s*\])/g;

/** Secret names a template (string or any JSON value) refers to, so the host decrypts only those. */
export function referencedSecrets(template: unknown): string[] {
  const names = new Set<string>();
  visitStrings(template, (s) => {
    for (const m of s.matchAll(SECRET_REFERENCE)) names.add((m[1] ?? m[2])!);
  });
  return [...names];
}

/** Renders every string inside `template` (objects and arrays are walked). */
export async function renderTemplate<T>(template: T, scope: TemplateScope): Promise<T> {
  if (typeof template === 'string') return (await renderString(template, scope)) as T;
  if (Array.isArray(template)) return (await Promise.all(template.map((v) => renderTemplate(v, scope)))) as T;
  if (template && typeof template === 'object') {
    const entries = await Promise.all(Object.entries(template).map(async ([k, v]) => [k, await renderTemplate(v, scope)] as const));
    return Object.fromEntries(entries) as T;
  }
  return template;
}

async function renderString(template: string, scope: TemplateScope): Promise<string> {
  if (!template.includes('{{') && !template.includes('{%')) return template;
  try {
    return await engine.parseAndRender(template, scope);
  } catch (err) {
    const message = (err as Error).message;
    const missing = /undefined variable: (\S+?),/.exec(message)?.[1];
    if (missing?.startsWith('secrets.')) throw new PermanentError(`Unknown secret "${missing.slice('secrets.'.length)}" in template`);
    throw new PermanentError(missing ? `Unknown variable "${missing}" in template` : `Invalid template: ${message.split(', line:')[0]}`);
  }
}

function visitStrings(value: unknown, visit: (s: string) => void) {
  if (typeof value === 'string') visit(value);
  else if (Array.isArray(value)) value.forEach((v) => visitStrings(v, visit));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => visitStrings(v, visit));
}
