// The plugins loaded in this process, by key. The worker executes their actions; the api
// lists them in the catalog.
import { describePlugin, type ActionDefinition, type PluginDefinition, type PluginDescription } from '@patchbay/sdk';

export interface PluginSource {
  /** The npm package it came from (absent for plugins passed in code). */
  packageName?: string;
  version?: string;
}

export interface LoadedPlugin extends PluginSource {
  plugin: PluginDefinition;
  /** The catalog view (JSON Schemas), computed once. */
  describe(): PluginDescription;
}

export class PluginRegistry {
  private readonly entries = new Map<string, LoadedPlugin>();

  constructor(plugins: Array<PluginDefinition | (PluginSource & { plugin: PluginDefinition })> = []) {
    for (const entry of plugins) {
      if ('plugin' in entry) this.register(entry.plugin, entry);
      else this.register(entry);
    }
  }

  register(plugin: PluginDefinition, source: PluginSource = {}): void {
    if (this.entries.has(plugin.key)) throw new Error(`plugin "${plugin.key}" is loaded twice`);
    let description: PluginDescription | undefined;
    this.entries.set(plugin.key, { plugin, ...source, describe: () => (description ??= describePlugin(plugin)) });
  }

  get(key: string): PluginDefinition | undefined {
    return this.entries.get(key)?.plugin;
  }

  entry(key: string): LoadedPlugin | undefined {
    return this.entries.get(key);
  }

  list(): LoadedPlugin[] {
    return [...this.entries.values()];
  }

  findAction(pluginKey: string, actionKey: string): ActionDefinition | undefined {
    return this.get(pluginKey)?.actions.find((a) => a.key === actionKey);
  }
}
