// The plugins loaded in this process, by key. The worker executes their actions; the api
// lists them in the catalog.
import type { ActionDefinition, PluginDefinition } from '@patchbay/sdk';

export class PluginRegistry {
  private readonly plugins = new Map<string, PluginDefinition>();

  constructor(plugins: PluginDefinition[] = []) {
    for (const plugin of plugins) this.register(plugin);
  }

  register(plugin: PluginDefinition): void {
    if (this.plugins.has(plugin.key)) throw new Error(`plugin "${plugin.key}" is loaded twice`);
    this.plugins.set(plugin.key, plugin);
  }

  get(key: string): PluginDefinition | undefined {
    return this.plugins.get(key);
  }

  list(): PluginDefinition[] {
    return [...this.plugins.values()];
  }

  findAction(pluginKey: string, actionKey: string): ActionDefinition | undefined {
    return this.plugins.get(pluginKey)?.actions.find((a) => a.key === actionKey);
  }
}
