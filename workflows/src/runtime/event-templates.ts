// `{{ event.* }}` in a webhook target's action input. The mapped payload is substituted when
// the Run is created (so the Run's stored input shows what the action got); every other
// template (`{{ secrets.X }}`, `{{ connection.config.x }}`) is left for the run itself, which
// renders it as for any other run.
//
// Substituted values come from whoever posted the webhook, and the run renders its input once
// more: a payload containing "{{ secrets.API_KEY }}" must not turn into the secret. So when
// the action renders its input, every substituted string is neutralised: "{{" and "{%" are
// written as Liquid literals (rendered back to the same characters), and a "secrets.x"
// spelling is broken up the same way so the host does not even decrypt that secret.
import { PermanentError, renderTemplate } from '@patchbay/sdk';

const EVENT_TAG = /\{\{-?\s*event(?:\s*[.[][^}]*?)?\s*-?\}\}/g;
const WHOLE_VALUE = /^\{\{-?\s*(event(?:\.[A-Za-z_$][\w$-]*|\[\d+\]|\["[^"]*"\]|\['[^']*'\])*)\s*-?\}\}$/;
const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\]/g;

export interface EventTemplateOptions {
  /** True when the action renders its input again (SDK `renderInput` not false). */
  escapeForRun: boolean;
}

export async function renderEventTemplates(template: unknown, event: unknown, options: EventTemplateOptions): Promise<unknown> {
  if (typeof template === 'string') return renderString(template, event, options);
  if (Array.isArray(template)) return Promise.all(template.map((v) => renderEventTemplates(v, event, options)));
  if (template && typeof template === 'object') {
    const entries = await Promise.all(Object.entries(template).map(async ([k, v]) => [k, await renderEventTemplates(v, event, options)] as const));
    return Object.fromEntries(entries);
  }
  return template;
}

async function renderString(template: string, event: unknown, options: EventTemplateOptions): Promise<unknown> {
  // A string that is exactly one `{{ event.path }}` takes the value itself: numbers, objects
  // and lists keep their type (`"input": "{{ event }}"` passes the whole mapped payload).
  const whole = WHOLE_VALUE.exec(template);
  if (whole) {
    const value = lookup(event, whole[1]!);
    return options.escapeForRun ? neutralise(value) : value;
  }
  const tags = template.match(EVENT_TAG);
  if (!tags) return template;
  let out = '';
  let rest = template;
  for (const tag of tags) {
    const at = rest.indexOf(tag);
    const rendered = await renderTemplate(tag, { event });
    out += rest.slice(0, at) + (options.escapeForRun ? neutraliseString(rendered) : rendered);
    rest = rest.slice(at + tag.length);
  }
  return out + rest;
}

function lookup(event: unknown, path: string): unknown {
  let value: unknown = event;
  for (const m of path.slice('event'.length).matchAll(SEGMENT)) {
    const key = m[1] ?? m[2] ?? m[3] ?? m[4]!;
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) {
      throw new PermanentError(`Unknown variable "${path}" in template: the mapped event has no such field`);
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
