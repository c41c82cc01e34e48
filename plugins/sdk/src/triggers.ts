// The one way a trigger runs, wherever it runs: the worker turning a stored webhook event into
// trigger events, the poll schedule, and plugin authors' tests.
import type { z } from 'zod';
import type { PluginDefinition, TriggerDefinition, TriggerRequest } from './define.ts';
import { PermanentError } from './errors.ts';
import { createActionContext, issuesOf, type ContextOptions } from './execute.ts';

export function triggerOf(plugin: PluginDefinition, key: string): TriggerDefinition {
  const trigger = plugin.triggers?.find((t) => t.key === key);
  if (!trigger) throw new PermanentError(`Integration "${plugin.key}" has no trigger "${key}"`);
  return trigger;
}

/** Validates (and defaults) a trigger's settings; the error names every bad path. */
export function checkTriggerSettings(trigger: TriggerDefinition, settings: unknown): unknown {
  if (!trigger.settings) return settings ?? {};
  const parsed = (trigger.settings as z.ZodType).safeParse(settings ?? {});
  if (!parsed.success) {
    throw new PermanentError(`Invalid settings for trigger "${trigger.key}": ${issuesOf(parsed.error).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  }
  return parsed.data;
}

/** Turns a verified provider request into events, validating each against the trigger's output schema. */
export async function executeTriggerRequest(options: ContextOptions & { trigger: string; request: TriggerRequest; settings?: unknown }): Promise<unknown[]> {
  const trigger = triggerOf(options.plugin, options.trigger);
  if (!trigger.handle) throw new PermanentError(`Trigger "${trigger.key}" does not take webhook requests`);
  const settings = checkTriggerSettings(trigger, options.settings);
  const { input: _input, ...ctx } = createActionContext(options, undefined);
  const { events } = await trigger.handle(options.request, { ...ctx, settings });
  return events.map((event) => checkedEvent(trigger, event));
}

/** One poll: what is new since `cursor`, and the cursor to keep for next time. */
export async function executePoll(options: ContextOptions & { trigger: string; cursor?: unknown; settings?: unknown }): Promise<{ events: unknown[]; cursor?: unknown }> {
  const trigger = triggerOf(options.plugin, options.trigger);
  if (!trigger.poll) throw new PermanentError(`Trigger "${trigger.key}" is not a polling trigger`);
  const settings = checkTriggerSettings(trigger, options.settings);
  const result = await trigger.poll(createActionContext(options, { cursor: options.cursor, settings }));
  return { events: result.events.map((event) => checkedEvent(trigger, event)), cursor: result.cursor };
}

function checkedEvent(trigger: TriggerDefinition, event: unknown): unknown {
  if (!trigger.output) return event;
  const parsed = trigger.output.safeParse(event);
  if (!parsed.success) throw new PermanentError(`Trigger "${trigger.key}" produced an invalid event: ${issuesOf(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The parsed form of a raw body, as the hub gives it to triggers. */
export function parseTriggerBody(rawBody: string, contentType: string | undefined): unknown {
  if (/json/i.test(contentType ?? '')) {
    try {
      return JSON.parse(rawBody);
    } catch {
      return rawBody;
    }
  }
  if (/application\/x-www-form-urlencoded/i.test(contentType ?? '')) return Object.fromEntries(new URLSearchParams(rawBody));
  return rawBody;
}
