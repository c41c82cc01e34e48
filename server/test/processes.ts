// Production shape in tests: the hub's `api` and `worker` roles as separate processes
// (server/src/main.ts) sharing the suite's PostgreSQL and Temporal, their output kept for
// failure messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { applyMigrations } from '@patchbay/db/migrate';
import pg from 'pg';
import path from 'node:path';
import { inject } from 'vitest';
import { repoRoot } from '../src/config.ts';

export interface HubProcessOptions {
  databaseUrl: string;
  taskQueue: string;
  port: number;
  /** Every line either process prints, tagged with its role. */
  output: string[];
  env?: Record<string, string>;
}

export function spawnHubProcess(role: 'api' | 'worker', options: HubProcessOptions): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'server/src/main.ts'), role], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      PATCHBAY_BOOTSTRAP_TOKEN: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => options.output.push(`[${role}] ${d}`));
  child.stderr!.on('data', (d) => options.output.push(`[${role}] ${d}`));
  return child;
}

/** Polls `check` until it gives a truthy value; the error carries the processes' last output. */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, output: string[], timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await Promise.resolve().then(check).catch(() => undefined);
    if (value) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}\n${output.join('').slice(-4000)}`);
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of its own on the suite's PostgreSQL server, migrated, for a test whose api
 * processes run outboxes and dispatchers: on the shared database they would pick up other test
 * files' events and runs (and those files' processes, this file's) and start them on the wrong
 * task queue.
 */
export async function scratchDatabase(baseUrl: string): Promise<ScratchDatabase> {
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const name = `patchbay_t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin.href });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  await applyMigrations({ kind: 'postgres', url: url.href });
  return { url: url.href, drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** The hub processes a test started: `stopAll` ends them (SIGTERM) and waits until each has exited. */
export function processGroup() {
  const children = new Set<ChildProcess>();
  return {
    add(child: ChildProcess): ChildProcess {
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async stopAll(): Promise<void> {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all([...children].map((c) => new Promise((r) => c.once('exit', r))));
    },
  };
}
