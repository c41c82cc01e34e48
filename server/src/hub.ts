// Assembles a running hub from configuration: database (migrated), Temporal client,
// optionally an in-process worker, and the HTTP app. `npm start` runs all of it in one
// process; production runs `api` and `worker` roles as separate processes.
import { migrationTargetOf, openDatabase, targetFromEnv, type Database } from '@patchbay/db';
import { applyMigrations } from '@patchbay/db/migrate';
import type { PluginDefinition } from '@patchbay/sdk';
import { connectTemporal, ensureSearchAttributes, PluginRegistry, type Temporal } from '@patchbay/workflows';
import { createWorker } from '@patchbay/workflows/worker';
import type { Worker, WorkflowBundleOption } from '@patchbay/workflows/worker';
import path from 'node:path';
import { createVault, loadKeyRing } from '@patchbay/db/vault';
import type { App } from './app.ts';
import { repoRoot, type Config } from './config.ts';
import type { Hub } from './context.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { firstPartyPlugins, loadPluginPackages, pluginNames } from './plugins.ts';
import { ensureBootstrap } from './services/tokens.ts';
import type { OutboxOptions } from './webhooks/outbox.ts';

export type Role = 'all' | 'api' | 'worker';

export interface HubOptions {
  config: Config & { TEMPORAL_ADDRESS: string };
  role?: Role;
  /** Plugins passed in code, on top of the first-party ones and PATCHBAY_PLUGINS. */
  plugins?: PluginDefinition[];
  logger?: Logger;
  /** An already open database (tests share one PGlite instance between hubs). */
  db?: Database;
  workflowBundle?: WorkflowBundleOption;
  migrate?: boolean;
  /** The webhook outbox and delivery dispatchers of api processes (webhooks/outbox.ts, delivery-dispatch.ts); false: none. */
  webhookOutbox?: OutboxOptions | false;
  /** The flow-run dispatcher of api processes (flows/run-dispatch.ts); false: none (default on). */
  flowRuns?: OutboxOptions | false;
  /** Start missing OAuth token workflows at start-up (default true; test hubs sharing a database turn it off). */
  tokenBackfill?: boolean;
}

export interface RunningHub {
  hub: Hub;
  app?: App;
  worker?: Worker;
  stop(): Promise<void>;
}

export async function startHub(options: HubOptions): Promise<RunningHub> {
  const { config } = options;
  const role = options.role ?? 'all';
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const ownsDb = !options.db;
  const db = options.db ?? (await openDatabase(targetFromEnv({ DATABASE_URL: config.DATABASE_URL, PGLITE_DATA_DIR: config.PGLITE_DATA_DIR })));
  const cleanups: Array<() => Promise<void>> = ownsDb ? [() => db.close()] : [];
  try {
    if (options.migrate !== false) {
      const { applied } = await applyMigrations(migrationTargetOf(db));
      for (const name of applied) logger.info({ migration: name }, 'applied database migration');
    }
    if (config.PATCHBAY_BOOTSTRAP_TOKEN) {
      const { created } = await ensureBootstrap(db, config.PATCHBAY_BOOTSTRAP_TOKEN);
      if (created) logger.info('created organization "default" and its bootstrap OWNER token');
    }

    const temporal = await connectTemporal({
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
    });
    cleanups.unshift(() => temporal.close());
    await registerSearchAttributes(temporal, config.TEMPORAL_NAMESPACE, logger);

    const thirdParty = await loadPluginPackages(
      pluginNames(config.PATCHBAY_PLUGINS),
      [repoRoot, ...(config.PATCHBAY_PLUGINS_DIR ? [config.PATCHBAY_PLUGINS_DIR] : [])],
      logger,
    );
    const plugins = new PluginRegistry([...firstPartyPlugins, ...thirdParty, ...(options.plugins ?? [])]);
    const vault = createVault(
      loadKeyRing({
        spec: config.PATCHBAY_ENCRYPTION_KEYS,
        production: config.NODE_ENV === 'production',
        dataDir: path.join(repoRoot, '.data'),
        warn: (msg) => logger.warn(msg),
      }),
    );
    const hub: Hub = { config, db, logger, temporal, plugins, vault, metrics: createMetrics(db) };
    cleanups.unshift(async () => {
      await Promise.all(plugins.list().map((entry) => entry.plugin.close?.().catch((err) => logger.warn({ err, plugin: entry.plugin.key }, 'plugin close failed'))));
    });

    let worker: Worker | undefined;
    if (role !== 'api') {
      const created = await createWorker({
        address: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        db,
        plugins,
        vault,
        logger: logger.child({ component: 'worker' }),
        workflowBundle: options.workflowBundle,
        allowPrivateNetwork: config.PATCHBAY_ALLOW_PRIVATE_NETWORK,
        publicUrl: config.publicUrl,
      });
      worker = created.worker;
      const running = worker.run().catch((err) => logger.fatal({ err }, 'the Temporal worker stopped with an error'));
      cleanups.unshift(async () => {
        if (worker!.getState() === 'RUNNING') worker!.shutdown();
        await running;
        await created.connection.close();
      });
    }

    let app: App | undefined;
    if (role !== 'worker') {
      // Loaded only here: a worker process never carries the HTTP app and its GraphQL schema.
      const { startApiRole } = await import('./api-role.ts');
      app = await startApiRole(hub, options, cleanups);
    }

    return { hub, app, worker, stop: () => runAll(cleanups) };
  } catch (err) {
    await runAll(cleanups);
    throw err;
  }
}

async function registerSearchAttributes(temporal: Temporal, namespace: string, logger: Logger) {
  try {
    const added = await ensureSearchAttributes(temporal, namespace);
    if (added.length) logger.info({ added }, 'registered Temporal search attributes');
  } catch (err) {
    temporal.searchAttributes = false;
    logger.warn({ err }, 'could not register Temporal search attributes; runs start without them being searchable');
  }
}

async function runAll(steps: Array<() => Promise<void>>) {
  for (const step of steps) await step().catch(() => {});
}
