// Templates rendered in two stages. The first stage substitutes only the variables of one scope
// — `{{ event.* }}` in a webhook target's action input, `{{ trigger.* }}` / `{{ steps.* }}` in a
// flow step — when the Run or step is created, so its stored input shows what the action got.
// Every other template (`{{ secrets.X }}`, `{{ connection.config.x }}`) is left for the second
// stage, the action itself, which renders it as for any other run. So no secret value is ever
// stored in a run's or a step's input.
//
// Substituted values come from outside (whoever posted the webhook), and the action renders its
// input once more: a payload containing "{{ secrets.API_KEY }}" must not turn into the secret.
// So when the action renders again, every substituted string is neutralised: "{{" and "{%" are
// written as Liquid literals (rendered back to the same characters), and a "secrets.x" spelling
// is broken up the same way so the host does not even decrypt that secret.
import { PermanentError, renderTemplate } from '@patchbay/sdk';

const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\]/g;
const PATH = String.raw`(?:\.[A-Za-z_$][\w$-]*|\[\d+\]|\["[^"]*"\]|\['[^']*'\])*`;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface ScopedTemplateOptions {
  /** True when the action renders its input again (SDK `renderInput` not false). */
  escapeForRun: boolean;
}

/** Renders the tags of `scope`'s roots in every string of `template`; other tags stay as they are. */
export async function renderScopedTemplates(template: unknown, scope: Record<string, unknown>, options: ScopedTemplateOptions): Promise<unknown> {
  const roots = Object.keys(scope).map(escapeRegExp).join('|');
  const patterns = {
    tag: new RegExp(String.raw`\{\{-?\s*(?:${roots})(?:\s*[.[][^}]*?|\s*\|[^}]*?)?\s*-?\}\}`, 'g'),
    whole: new RegExp(String.raw`^\{\{-?\s*((?:${roots})${PATH})\s*-?\}\}$`),
  };
  const walk = async (value: unknown): Promise<unknown> => {
    if (typeof value === 'string') return renderString(value, scope, patterns, options);
    if (Array.isArray(value)) return Promise.all(value.map(walk));
    if (value && typeof value === 'object') {
      const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await walk(v)] as const));
      return Object.fromEntries(entries);
    }
    return value;
  };
  return walk(template);
}

/** A webhook target's `{{ event.* }}` templates over the mapped payload. */
export function renderEventTemplates(template: unknown, event: unknown, options: ScopedTemplateOptions): Promise<unknown> {
  return renderScopedTemplates(template, { event }, options);
}

async function renderString(template: string, scope: Record<string, unknown>, patterns: { tag: RegExp; whole: RegExp }, options: ScopedTemplateOptions): Promise<unknown> {
  // A string that is exactly one `{{ root.path }}` takes the value itself: numbers, objects
  // and lists keep their type (`"input": "{{ event }}"` passes the whole mapped payload).
  const whole = patterns.whole.exec(template);
  if (whole) {
    const value = lookup(scope, whole[1]!);
    return options.escapeForRun ? neutralise(value) : value;
  }
  const tags = template.match(patterns.tag);
  if (!tags) return template;
  let out = '';
  let rest = template;
  for (const tag of tags) {
    const at = rest.indexOf(tag);
    const rendered = await renderTemplate(tag, scope);
    out += rest.slice(0, at) + (options.escapeForRun ? neutraliseString(rendered) : rendered);
    rest = rest.slice(at + tag.length);
  }
  return out + rest;
}

function lookup(scope: Record<string, unknown>, path: string): unknown {
  const root = Object.keys(scope)
    .filter((name) => path === name || path.startsWith(`${name}.`) || path.startsWith(`${name}[`))
    .sort((a, b) => b.length - a.length)[0]!;
  let value: unknown = scope[root];
  for (const m of path.slice(root.length).matchAll(SEGMENT)) {
    const key = m[1] ?? m[2] ?? m[3] ?? m[4]!;
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) {
      throw new PermanentError(`Unknown variable "${path}" in template: ${root === 'event' ? 'the mapped event has no such field' : 'no such field'}`);
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined ? null : value;
}

/** Every string inside `value`, neutralised for one more Liquid rendering. */
export function neutralise(value: unknown): unknown {
  if (typeof value === 'string') return neutraliseString(value);
  if (Array.isArray(value)) return value.map(neutralise);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, neutralise(v)]));
  return value;
}

export function neutraliseString(text: string): string {
  return text.replace(/\{(?=[{%])/g, '{{ "{" }}').replace(/secrets(?=\s*[.[])/g, '{{ "secrets" }}');
}
