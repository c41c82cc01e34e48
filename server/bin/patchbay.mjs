#!/usr/bin/env node
// The `patchbay` command behind `npm start` and `npm test`. Plain Node with no dependencies,
// because on a fresh clone nothing is installed yet: it brings pnpm, installs the workspace,
// generates the Prisma client, then hands over to the TypeScript entry points.
//
//   start [all|api|worker]   run the hub (all = api + worker + local Temporal + PGlite)
//   test [vitest args]       run the whole suite
//   migrate                  apply database migrations (DATABASE_URL or PGlite)
//   new-migration <name>     write a migration from prisma/schema.prisma changes
//   generate                 regenerate the Prisma client
//   <other>                  passed to server/src/cli.ts (e.g. `keys rotate`)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tools = path.join(root, '.data', 'tools');
const PNPM_VERSION = '12.21.0';
const [command = 'start', ...rest] = process.argv.slice(2);

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) fail(`Patchbay needs Node.js 20.19 or newer; this is ${process.versions.node}.`);

function fail(message) {
  console.error(message);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options, env: { ...process.env, ...options.env } });
  if (result.error) fail(`could not run ${cmd}: ${result.error.message}`);
  if (result.status !== 0) fail(`${[path.basename(cmd), ...args].join(' ')} failed (exit ${result.status ?? result.signal})`);
}

function fingerprint(files) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(existsSync(file) ? readFileSync(file) : `missing:${file}`);
  return hash.digest('hex');
}

/** Runs `step` only when the fingerprint of `inputs` changed since it last succeeded. */
function once(name, inputs, outputs, step) {
  const stamp = path.join(tools, `${name}.stamp`);
  const print = fingerprint(inputs.map((f) => path.join(root, f)));
  const fresh = existsSync(stamp) && readFileSync(stamp, 'utf8') === print && outputs.every((f) => existsSync(path.join(root, f)));
  if (fresh) return;
  step();
  writeFileSync(stamp, print);
}

function pnpmBinary() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return 'pnpm';
  const local = path.join(tools, 'node_modules', '.bin', 'pnpm');
  if (!existsSync(local)) {
    console.log(`patchbay: installing pnpm ${PNPM_VERSION} into .data/tools (first run only)…`);
    run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', tools, `pnpm@${PNPM_VERSION}`]);
  }
  return local;
}

function setup() {
  mkdirSync(tools, { recursive: true });
  const workspacePackages = ['package.json', 'server/package.json', 'workflows/package.json', 'prisma/package.json', 'plugins/sdk/package.json'];
  once('install', ['pnpm-lock.yaml', 'pnpm-workspace.yaml', ...workspacePackages], ['node_modules/.modules.yaml'], () => {
    console.log('patchbay: installing dependencies…');
    run(pnpmBinary(), ['install', '--frozen-lockfile', '--reporter=append-only'], { env: { CI: 'true' } });
  });
  once('prisma-generate', ['prisma/schema.prisma', 'pnpm-lock.yaml'], ['prisma/generated/client/client.ts', 'prisma/generated/pothos-types.ts'], generate);
}

function generate() {
  // `prisma generate` does not use the schema engine, but insists that one exists; the real one
  // would be downloaded from the vendor's site, so point it at a stub instead.
  const stub = path.join(tools, 'schema-engine-stub');
  writeFileSync(stub, '#!/bin/sh\necho "patchbay: the native schema engine is not used; migrations run through prisma/src/migrate.ts" >&2\nexit 1\n');
  chmodSync(stub, 0o755);
  run(path.join(root, 'prisma', 'node_modules', '.bin', 'prisma'), ['generate'], {
    cwd: path.join(root, 'prisma'),
    env: {
      PRISMA_SCHEMA_ENGINE_BINARY: stub,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      PRISMA_GENERATE_SKIP_AUTOINSTALL: '1',
      CHECKPOINT_DISABLE: '1',
      PATH: `${path.join(root, 'prisma', 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * How a worker process runs (`start worker`; `api` and `all` run with API_NODE_FLAGS below).
 * Left alone, V8 sizes its heaps from the machine's memory and lets garbage pile up to match,
 * and glibc gives each of the worker's ~17 threads a malloc arena that keeps what compilation
 * freed: a worker syncing 100,000 records peaked at ~590 MB (`pnpm bench:sync`), ~260 MB with
 * these defaults, above the throughput target still:
 *   --max-semi-space-size=2 --max-old-space-size=256   small young generations (in every isolate:
 *       main, tsx's loader, Temporal's workflow thread) and an old space capped well above the
 *       ~90 MB a worker keeps live; raise it for plugins that hold large results in memory;
 *   --optimize-for-size   V8 grows its heaps less eagerly (20-40 MB less at peak);
 *   --no-wasm-dynamic-tiering --no-wasm-tier-up   the only WebAssembly here is Prisma's query compiler and schema engine;
 *       V8's baseline (Liftoff) code is kept, since optimising it with TurboFan cost 45-60 MB of
 *       compiler memory and code for no throughput the bench shows;
 *   MALLOC_ARENA_MAX=2   two malloc arenas instead of one per thread (~30 MB less at peak).
 * PATCHBAY_WORKER_NODE_FLAGS replaces the Node flags; MALLOC_ARENA_MAX set in the environment wins.
 */
const WORKER_NODE_FLAGS = '--max-semi-space-size=2 --max-old-space-size=256 --optimize-for-size --no-wasm-dynamic-tiering --no-wasm-tier-up';
const WORKER_ENV = { MALLOC_ARENA_MAX: '2' };

/**
 * How a process serving HTTP runs (`start api`, and `start` = all). Each incoming webhook
 * allocates ~35 kB of short-lived objects (the request and response, their streams, headers,
 * the signature check, the group commit's parameter), and with V8's default 16 MB semi-space a
 * scavenge came every ~450 requests and took a tenth of the api thread's CPU. With 64 MB:
 *   --max-semi-space-size=64   bench:ingest measured 2.2 → 0.56 scavenges and 17 → 10 ms of GC
 *       pause per 1,000 webhooks, api thread 118 → 106-113 µs per request (up to 192 MB more
 *       young generation at full load; V8 grows it only as allocation needs).
 * PATCHBAY_API_NODE_FLAGS replaces them. bench:ingest runs the hub with the same flags (package.json).
 */
const API_NODE_FLAGS = '--max-semi-space-size=64';

function isWorker(entry, args) {
  return entry === 'server/src/main.ts' && args[0] === 'worker';
}

function nodeFlagsFor(entry, args) {
  if (entry !== 'server/src/main.ts') return [];
  const flags = isWorker(entry, args) ? (process.env.PATCHBAY_WORKER_NODE_FLAGS ?? WORKER_NODE_FLAGS) : (process.env.PATCHBAY_API_NODE_FLAGS ?? API_NODE_FLAGS);
  return flags.split(/\s+/).filter(Boolean);
}

/** Runs a TypeScript entry point through tsx in this same Node, forwarding signals. */
function runTs(entry, args) {
  const child = spawn(process.execPath, [...nodeFlagsFor(entry, args), '--import', 'tsx', path.join(root, entry), ...args], {
    cwd: root,
    stdio: 'inherit',
    env: isWorker(entry, args) ? { ...WORKER_ENV, ...process.env } : process.env,
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/** vitest, then one plain closing line (`Tests: N passed, N failed, N skipped`) read from its JSON report. */
function runTests(args) {
  run(path.join(root, 'node_modules', '.bin', 'graphql-codegen'), ['--config', 'codegen.ts', '--silent']);
  const report = path.join(tools, 'vitest-report.json');
  rmSync(report, { force: true });
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args],
    { cwd: root, stdio: 'inherit' },
  );
  if (existsSync(report)) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(readFileSync(report, 'utf8'));
    console.log(`Tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`);
  }
  process.exit(result.status ?? 1);
}

setup();
switch (command) {
  case 'start':
    runTs('server/src/main.ts', rest);
    break;
  case 'test':
    runTests(rest);
    break;
  case 'migrate':
    runTs('prisma/src/migrate.ts', rest);
    break;
  case 'new-migration':
    runTs('prisma/src/new-migration.ts', rest);
    break;
  case 'generate':
    generate();
    break;
  default:
    runTs('server/src/cli.ts', [command, ...rest]);
}
