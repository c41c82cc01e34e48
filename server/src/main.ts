// Process entry. `tsx server/src/main.ts [all|api|worker]`:
//   all    (default) api + worker in one process — the embedded default of `npm start`;
//   api    GraphQL/HTTP only;  worker  the Temporal worker only (production, scaled apart).
// Without TEMPORAL_ADDRESS a local Temporal dev server is started (data under .data/).
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '@patchbay/workflows';
import {
  startTemporalDevServer,
  TemporalCliPathError,
  TemporalPortInUseError,
  TemporalUnavailableError,
  type TemporalDevServer,
} from '@patchbay/workflows/dev-server';
import { ConfigError, loadConfig, repoRoot } from './config.ts';
import { startHub, type Role } from './hub.ts';
import { createLogger } from './logger.ts';

const role = (process.argv[2] ?? 'all') as Role;
if (!['all', 'api', 'worker'].includes(role)) {
  console.error(`Unknown role "${role}": use all, api or worker`);
  process.exit(2);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const logger = createLogger(config.LOG_LEVEL);
let devServer: TemporalDevServer | undefined;
if (!config.TEMPORAL_ADDRESS) {
  if (role !== 'all') {
    console.error('Invalid configuration: TEMPORAL_ADDRESS must be set when running the api or worker role on its own');
    process.exit(1);
  }
  try {
    devServer = await startTemporalDevServer({
      port: 7233,
      uiPort: 8233,
      dbFile: path.join(repoRoot, '.data', 'temporal.db'),
      namespace: config.TEMPORAL_NAMESPACE,
      searchAttributes: SEARCH_ATTRIBUTES,
      log: (line) => logger.debug({ component: 'temporal-dev-server' }, line),
    });
  } catch (err) {
    if (err instanceof TemporalUnavailableError || err instanceof TemporalCliPathError) {
      console.error(err.message);
      process.exit(1);
    }
    // A dev server left behind by a killed earlier start still answers on 7233: use it.
    if (!(err instanceof TemporalPortInUseError && err.servesTemporal)) throw err;
    logger.warn('a Temporal server already answers on 127.0.0.1:7233 (left from an earlier start?); using it');
  }
}
const temporalAddress = config.TEMPORAL_ADDRESS ?? devServer?.address ?? '127.0.0.1:7233';

const running = await startHub({
  config: { ...config, TEMPORAL_ADDRESS: temporalAddress },
  role,
  logger,
});

const lines = [`Patchbay is running (${role}).`];
if (running.app) lines.push(`  GraphQL + GraphiQL   ${config.publicUrl}/graphql   (ws: same path)`);
if (running.app) lines.push(`  Health / metrics     ${config.publicUrl}/healthz  ${config.publicUrl}/readyz  ${config.publicUrl}/metrics`);
if (!config.TEMPORAL_ADDRESS) lines.push(`  Temporal Web UI      ${devServer?.uiUrl ?? 'http://127.0.0.1:8233'}`);
lines.push(`  Database             ${config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.PGLITE_DATA_DIR}`}`);
if (!config.PATCHBAY_BOOTSTRAP_TOKEN) {
  lines.push('  No PATCHBAY_BOOTSTRAP_TOKEN set: set one to create organization "default" with an OWNER token.');
}
console.log(lines.join('\n'));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await running.stop();
    await devServer?.stop();
    process.exit(0);
  });
}
