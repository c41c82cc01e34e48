// Starts real hubs for tests: real database (PostgreSQL from DATABASE_URL, else an in-memory
// PGlite), the suite's Temporal dev server, an in-process worker on a task queue of its own,
// and the HTTP app on a free port. Clients are real: fetch for GraphQL, graphql-ws for subscriptions.
import { randomUUID } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { openDatabase, type Database, type Role } from '@patchbay/db';
import type { PluginDefinition } from '@patchbay/sdk';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient } from 'graphql-ws';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.ts';
import { startHub, type RunningHub } from '../src/hub.ts';
import { createLogger } from '../src/logger.ts';
import { generateToken, hashToken, tokenPrefix } from '../src/services/tokens.ts';
import type { OutboxOptions } from '../src/webhooks/outbox.ts';

export interface TestHubOptions {
  plugins?: PluginDefinition[];
  /** 'pglite' forces PGlite even when DATABASE_URL is set (in memory unless pgliteDir is given). */
  database?: 'default' | 'pglite';
  pgliteDir?: string;
  env?: Record<string, string>;
  role?: 'all' | 'api' | 'worker';
  /** Share another hub's task queue (e.g. an api-only hub whose runs another hub's worker executes). */
  taskQueue?: string;
  /**
   * The webhook outbox dispatcher, off unless asked for: hubs of different test files share one
   * PostgreSQL database but not a task queue, so one hub's outbox would dispatch another's events.
   */
  webhookOutbox?: OutboxOptions | false;
  /**
   * The flow-run dispatcher (runs queued by domain events), off unless asked for, for the same
   * reason: flow runs of other test files' hubs would start on this hub's task queue.
   */
  flowRuns?: OutboxOptions | false;
}

export interface TestOrg {
  id: string;
  slug: string;
  userId: string;
  tokens: Record<Role, string>;
  tokenIds: Record<Role, string>;
}

export type GqlResult<T> = { data?: T | null; errors?: GraphQLFormattedError[] };

export class TestHub {
  readonly logs: string[] = [];
  running!: RunningHub;
  db!: Database;
  taskQueue!: string;

  get url(): string {
    return this.running.app!.url;
  }

  get hub() {
    return this.running.hub;
  }

  static async start(options: TestHubOptions = {}): Promise<TestHub> {
    const testHub = new TestHub();
    await testHub.init(options);
    return testHub;
  }

  private async init(options: TestHubOptions) {
    const usePostgres = options.database !== 'pglite' && !!process.env.DATABASE_URL;
    this.taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      // Tests call local fake servers on 127.0.0.1; the SSRF guard is proven on its own (override via env).
      PATCHBAY_ALLOW_PRIVATE_NETWORK: 'true',
      ...(usePostgres ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      ...options.env,
    });
    this.db = await openDatabase(usePostgres ? { kind: 'postgres', url: config.DATABASE_URL! } : { kind: 'pglite', dataDir: options.pgliteDir });
    const logger = createLogger('debug', { write: (line: string) => void this.logs.push(line) });
    this.running = await startHub({
      config: { ...config, TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS! },
      role: options.role ?? 'all',
      plugins: options.plugins,
      db: this.db,
      logger,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      webhookOutbox: options.webhookOutbox ?? false,
      flowRuns: options.flowRuns ?? false,
      tokenBackfill: false,
    });
  }

  async stop() {
    await this.running.stop();
    await this.db.close();
  }

  /** A fresh organization with a user and one token per role. */
  async createOrg(label = 'org'): Promise<TestOrg> {
    const slug = `${label}-${randomUUID().slice(0, 8)}`;
    const { prisma } = this.db;
    const org = await prisma.organization.create({ data: { slug, name: `Organization ${slug}` } });
    const user = await prisma.user.create({ data: { email: `owner@${slug}.test`, name: `Owner of ${slug}` } });
    await prisma.membership.create({ data: { orgId: org.id, userId: user.id, role: 'OWNER' } });
    const tokens = {} as Record<Role, string>;
    const tokenIds = {} as Record<Role, string>;
    for (const role of ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const) {
      const token = generateToken();
      const row = await prisma.apiToken.create({
        data: { orgId: org.id, userId: user.id, name: `${role.toLowerCase()} token`, role, prefix: tokenPrefix(token), tokenHash: hashToken(token) },
      });
      tokens[role] = token;
      tokenIds[role] = row.id;
    }
    return { id: org.id, slug, userId: user.id, tokens, tokenIds };
  }

  async gql<T, V>(doc: TypedDocumentNode<T, V> | string, variables?: V, token?: string | null): Promise<GqlResult<T>> {
    const res = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: typeof doc === 'string' ? doc : print(doc), variables }),
    });
    return (await res.json()) as GqlResult<T>;
  }

  /** Like gql, but fails the test on any error and returns the data. */
  async data<T, V>(doc: TypedDocumentNode<T, V> | string, variables: V, token: string): Promise<T> {
    const result = await this.gql(doc, variables, token);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  subscribe<T, V>(doc: TypedDocumentNode<T, V> | string, variables: V, token?: string | null): Subscription<T> {
    return new Subscription<T>(this.url.replace(/^http/, 'ws') + '/graphql', typeof doc === 'string' ? doc : print(doc), variables, token);
  }
}

/** A graphql-ws subscription whose results queue up until the test takes them. */
export class Subscription<T> {
  private readonly results: GqlResult<T>[] = [];
  private waiter?: () => void;
  private readonly client;
  private readonly dispose: () => void;
  completed = false;
  readonly ready: Promise<void>;

  constructor(url: string, query: string, variables: unknown, token?: string | null) {
    let connected!: () => void;
    this.ready = new Promise((resolve) => (connected = resolve));
    this.client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      on: { connected: () => connected() },
    });
    this.dispose = this.client.subscribe<T>(
      { query, variables: variables as Record<string, unknown> },
      {
        next: (value) => this.push(value as GqlResult<T>),
        error: (err) => this.push({ errors: Array.isArray(err) ? err : [{ message: String((err as Error)?.message ?? err) }] }),
        complete: () => {
          this.completed = true;
          this.waiter?.();
        },
      },
    );
  }

  private push(result: GqlResult<T>) {
    this.results.push(result);
    this.waiter?.();
  }

  /** The next result, or an error after `timeoutMs`. */
  async next(timeoutMs = 20_000): Promise<GqlResult<T>> {
    const deadline = Date.now() + timeoutMs;
    while (this.results.length === 0) {
      if (this.completed) throw new Error('subscription completed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no subscription result within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.results.shift()!;
  }

  /** Results that arrive within `ms` (for proving that nothing arrives). */
  async drain(ms: number): Promise<GqlResult<T>[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.results.splice(0);
  }

  async close() {
    this.dispose();
    await this.client.dispose();
  }
}
