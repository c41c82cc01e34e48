/**
 * Small CLI around ./dev-server.ts.
 *
 *   pnpm exec tsx workflows/src/dev-server-cli.ts resolve        # find or build the `temporal` binary, print its path
 *   pnpm exec tsx workflows/src/dev-server-cli.ts [start] [opts] # run a dev server until Ctrl-C
 *
 * start options:
 *   --port N                  frontend port (default 7233; 0 = a free one)
 *   --ui-port N               Web UI port (default port + 1000)
 *   --headless                no Web UI
 *   --db FILE                 persist to this SQLite file (default: in memory)
 *   --namespace NS            namespace to create (besides "default")
 *   --search-attribute K=T    register a search attribute (T: Keyword, Text, Int, Datetime, Bool, Double, KeywordList);
 *                             repeatable
 *   --log-level L             server log level (default warn)
 *   --quiet                   do not echo the server's output
 */
import { parseArgs } from 'node:util';
import {
  resolveTemporalBinary,
  startTemporalDevServer,
  type SearchAttributeKind,
  type StartTemporalDevServerOptions,
} from './dev-server.ts';

const KINDS: SearchAttributeKind[] = ['Keyword', 'Text', 'Int', 'Datetime', 'Bool', 'Double', 'KeywordList'];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'ui-port': { type: 'string' },
      headless: { type: 'boolean', default: false },
      db: { type: 'string' },
      namespace: { type: 'string' },
      'search-attribute': { type: 'string', multiple: true, default: [] },
      'log-level': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? 'start';

  if (values.help || !['start', 'resolve'].includes(command)) {
    console.log('usage: dev-server-cli.ts [start|resolve] [--port N] [--ui-port N | --headless] [--db FILE]');
    console.log('       [--namespace NS] [--search-attribute Key=Type]... [--log-level L] [--quiet]');
    return values.help ? 0 : 2;
  }

  if (command === 'resolve') {
    const binary = await resolveTemporalBinary();
    console.log(`${binary.path}\t(${binary.source}${binary.version ? `, ${binary.version}` : ''})`);
    return 0;
  }

  const searchAttributes: Record<string, SearchAttributeKind> = {};
  for (const pair of values['search-attribute'] ?? []) {
    const [name, kind] = pair.split('=');
    const match = KINDS.find((k) => k.toLowerCase() === kind?.toLowerCase());
    if (!name || !match) throw new Error(`--search-attribute ${pair}: expected Name=Type with Type one of ${KINDS.join(', ')}`);
    searchAttributes[name] = match;
  }
  const toPort = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${flag} ${value}: not a port number`);
    return n;
  };
  const options: StartTemporalDevServerOptions = {
    port: toPort('port', values.port),
    uiPort: values.headless ? null : toPort('ui-port', values['ui-port']),
    dbFile: values.db,
    namespace: values.namespace,
    searchAttributes,
    logLevel: values['log-level'],
    log: values.quiet ? () => {} : (line) => console.error(line),
  };

  const started = Date.now();
  const server = await startTemporalDevServer(options);
  console.log(`Temporal dev server ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${server.source})`);
  console.log(`  TEMPORAL_ADDRESS=${server.address}`);
  if (server.uiUrl) console.log(`  Web UI: ${server.uiUrl}`);
  console.log(`  storage: ${options.dbFile ?? 'in memory'}; namespace: ${server.namespace}. Ctrl-C stops it.`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping…');
  await server.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
