// Third-party plugins: an example plugin that lives outside the workspace is packed with
// `npm pack`, installed (with the packed SDK as its peer) into a temporary directory, and a
// real server process loads it from PATCHBAY_PLUGINS, lists it, and runs one of its actions.
// A package with the wrong shape and a missing one are logged and skipped; the hub starts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '@patchbay/workflows/dev-server';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { repoRoot } from '../src/config.ts';

const TOKEN = 'third-party-plugin-test-bootstrap-token';
const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-plugins-'));
let server: ChildProcess | undefined;
const output: string[] = [];
let url: string;

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });
}

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

beforeAll(async () => {
  const packs = path.join(dir, 'packs');
  mkdirSync(packs);
  const tarballs = [
    path.join(repoRoot, 'plugins/sdk'),
    path.join(repoRoot, 'server/test/fixtures/example-plugin'),
    path.join(repoRoot, 'server/test/fixtures/broken-plugin'),
  ].map((pkg) => path.join(packs, npm(['pack', pkg, '--pack-destination', packs], dir).trim().split('\n').at(-1)!));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'hub-plugins', private: true }));
  npm(['install', ...tarballs], dir);

  const port = await findFreePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'server/src/main.ts'), 'all'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: `plugins-${port}`,
      PGLITE_DATA_DIR: path.join(dir, 'pglite'),
      DATABASE_URL: '',
      PATCHBAY_BOOTSTRAP_TOKEN: TOKEN,
      PATCHBAY_PLUGINS: '@acme/patchbay-plugin-weather, @acme/patchbay-plugin-broken, @acme/not-installed',
      PATCHBAY_PLUGINS_DIR: dir,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d) => output.push(String(d)));
  server.stderr!.on('data', (d) => output.push(String(d)));
  const deadline = Date.now() + 120_000;
  while (!output.join('').includes('Patchbay is running')) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server did not start:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 300_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

it('loads a packed third-party plugin, lists it, and runs its action', async () => {
  const catalog = await gql('{ integration(key: "weather") { key displayName packageName version authModes actions { key inputSchema } } }');
  expect(catalog.errors).toBeUndefined();
  expect(catalog.data.integration).toMatchObject({
    key: 'weather',
    displayName: 'Acme Weather',
    packageName: '@acme/patchbay-plugin-weather',
    version: '1.2.3',
    authModes: ['NONE'],
  });
  expect(catalog.data.integration.actions[0].inputSchema.properties).toHaveProperty('city');

  const created = await gql('mutation { createConnection(input: { integrationKey: "weather", name: "Acme", authMode: NONE }) { id status } }');
  expect(created.data.createConnection.status).toBe('ACTIVE');
  const run = await gql('mutation($c: ID!) { runAction(input: { connectionId: $c, action: "forecast", input: { city: "Lyon", days: 2 } }) { id } }', { c: created.data.createConnection.id });
  const runId = run.data.runAction.id;
  let status = 'QUEUED';
  let result: any;
  for (let i = 0; i < 120 && !['SUCCEEDED', 'FAILED'].includes(status); i++) {
    await new Promise((r) => setTimeout(r, 250));
    result = (await gql('query($id: ID!) { run(id: $id) { status output error } }', { id: runId })).data.run;
    status = result.status;
  }
  expect(result).toMatchObject({ status: 'SUCCEEDED', output: { city: 'Lyon', days: [{ day: 1 }, { day: 2 }] } });
});

it('logs one clear error per package it could not load, and starts anyway', () => {
  const logs = output.join('');
  expect(logs).toMatch(/plugin @acme\/patchbay-plugin-broken was not loaded: key must be kebab-case/);
  expect(logs).toMatch(/plugin @acme\/not-installed was not loaded: not installed/);
});
