// The declarative shape of a connector: a plugin is a plain object of actions (and, later,
// triggers and syncs) with zod schemas for their input and output.
import { z } from 'zod';

export interface ActionLogger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

export interface ActionContext<Input> {
  input: Input;
  /** Aborted when the run is cancelled or the activity times out. */
  signal: AbortSignal;
  logger: ActionLogger;
}

export interface ActionDefinition<In extends z.ZodType = z.ZodType, Out extends z.ZodType = z.ZodType> {
  key: string;
  displayName: string;
  description?: string;
  input: In;
  output?: Out;
  run(ctx: ActionContext<z.output<In>>): Promise<z.input<Out>>;
}

export interface PluginDefinition {
  key: string;
  displayName: string;
  category: string;
  description?: string;
  actions: ActionDefinition[];
}

const snakeCase = /^[a-z][a-z0-9_]*$/;
const pluginKey = /^[a-z][a-z0-9-]*$/;

export function defineAction<In extends z.ZodType, Out extends z.ZodType>(
  action: ActionDefinition<In, Out>,
): ActionDefinition<In, Out> {
  if (!snakeCase.test(action.key)) throw new Error(`action key "${action.key}" must be snake_case`);
  return action;
}

export function definePlugin(plugin: PluginDefinition): PluginDefinition {
  if (!pluginKey.test(plugin.key)) throw new Error(`plugin key "${plugin.key}" must be kebab-case`);
  const seen = new Set<string>();
  for (const action of plugin.actions) {
    if (seen.has(action.key)) throw new Error(`plugin "${plugin.key}" defines action "${action.key}" twice`);
    seen.add(action.key);
  }
  return plugin;
}
