// Which plugins this process loads: the first-party ones, plus third-party packages named in
// PATCHBAY_PLUGINS. A package that is missing or has the wrong shape is skipped with one clear
// log line naming it and the problem; the hub still starts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import discordPlugin from '@patchbay/plugin-discord';
import emailPlugin from '@patchbay/plugin-email';
import githubPlugin from '@patchbay/plugin-github';
import googleCalendarPlugin from '@patchbay/plugin-google-calendar';
import httpPlugin from '@patchbay/plugin-http';
import hubspotPlugin from '@patchbay/plugin-hubspot';
import oauth2Plugin from '@patchbay/plugin-oauth2';
import outlookCalendarPlugin from '@patchbay/plugin-outlook-calendar';
import salesforcePlugin from '@patchbay/plugin-salesforce';
import slackPlugin from '@patchbay/plugin-slack';
import sqlPlugin from '@patchbay/plugin-sql';
import teamsPlugin from '@patchbay/plugin-teams';
import twilioPlugin from '@patchbay/plugin-twilio';
import { validatePlugin, type PluginDefinition } from '@patchbay/sdk';
import type { PluginSource } from '@patchbay/workflows';
import type { Logger } from './logger.ts';

export type LoadedPluginEntry = PluginSource & { plugin: PluginDefinition };

export const firstPartyPlugins: LoadedPluginEntry[] = [
  { plugin: httpPlugin, packageName: '@patchbay/plugin-http', version: '0.1.0' },
  { plugin: sqlPlugin, packageName: '@patchbay/plugin-sql', version: '0.1.0' },
  { plugin: oauth2Plugin, packageName: '@patchbay/plugin-oauth2', version: '0.1.0' },
  { plugin: slackPlugin, packageName: '@patchbay/plugin-slack', version: '0.1.0' },
  { plugin: teamsPlugin, packageName: '@patchbay/plugin-teams', version: '0.1.0' },
  { plugin: discordPlugin, packageName: '@patchbay/plugin-discord', version: '0.1.0' },
  { plugin: salesforcePlugin, packageName: '@patchbay/plugin-salesforce', version: '0.1.0' },
  { plugin: hubspotPlugin, packageName: '@patchbay/plugin-hubspot', version: '0.1.0' },
  { plugin: googleCalendarPlugin, packageName: '@patchbay/plugin-google-calendar', version: '0.1.0' },
  { plugin: outlookCalendarPlugin, packageName: '@patchbay/plugin-outlook-calendar', version: '0.1.0' },
  { plugin: emailPlugin, packageName: '@patchbay/plugin-email', version: '0.1.0' },
  { plugin: twilioPlugin, packageName: '@patchbay/plugin-twilio', version: '0.1.0' },
  { plugin: githubPlugin, packageName: '@patchbay/plugin-github', version: '0.1.0' },
];

/** `@acme/patchbay-plugin-x, other-plugin` → package names. */
export function pluginNames(spec: string | undefined): string[] {
  return (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * Loads packages by name from `searchDirs` (each a directory with node_modules): the hub's
 * own directory and PATCHBAY_PLUGINS_DIR. The export used is `default`, else `plugin`.
 */
export async function loadPluginPackages(names: string[], searchDirs: string[], logger: Logger): Promise<LoadedPluginEntry[]> {
  const loaded: LoadedPluginEntry[] = [];
  for (const name of names) {
    try {
      const dir = searchDirs.map((base) => path.join(base, 'node_modules', name)).find((d) => existsSync(path.join(d, 'package.json')));
      if (!dir) throw new Error(`not installed (looked in ${searchDirs.map((d) => path.join(d, 'node_modules')).join(', ')})`);
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
      const mod = (await import(pathToFileURL(path.join(dir, entryOf(pkg))).href)) as { default?: unknown; plugin?: unknown };
      const plugin = validatePlugin(mod.default ?? mod.plugin);
      loaded.push({ plugin, packageName: pkg.name ?? name, version: pkg.version });
      logger.info({ package: name, key: plugin.key, version: pkg.version }, 'loaded plugin');
    } catch (err) {
      logger.error({ package: name, problem: (err as Error).message }, `plugin ${name} was not loaded: ${(err as Error).message}`);
    }
  }
  return loaded;
}

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  module?: string;
  exports?: string | Record<string, unknown>;
}

function entryOf(pkg: PackageJson): string {
  const root = typeof pkg.exports === 'string' ? pkg.exports : (pkg.exports?.['.'] ?? undefined);
  const fromExports = typeof root === 'string' ? root : pickCondition(root);
  const entry = fromExports ?? pkg.module ?? pkg.main ?? 'index.js';
  return entry;
}

function pickCondition(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const conditions = value as Record<string, unknown>;
  for (const key of ['import', 'node', 'default']) {
    const v = conditions[key];
    if (typeof v === 'string') return v;
    const nested = pickCondition(v);
    if (nested) return nested;
  }
  return undefined;
}
