// Prometheus metrics on one registry per hub (tests start several hubs in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '@patchbay/db';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  /** Incoming webhooks' group commits: events per statement, and each statement's time to commit. */
  webhookStoreEvents: Histogram;
  webhookStoreSeconds: Histogram;
}

export function createMetrics(db: Database): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'patchbay_' });
  const httpRequests = new Counter({
    name: 'patchbay_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'patchbay_http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Under load the acknowledgement waits for these statements (the hub answers once its event is
  // committed): their size and time say whether ingest is bound by the database.
  const webhookStoreEvents = new Histogram({
    name: 'patchbay_webhook_store_events',
    help: 'Incoming webhook events written per statement (group commit)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [registry],
  });
  const webhookStoreSeconds = new Histogram({
    name: 'patchbay_webhook_store_seconds',
    help: 'Time from sending a group commit of incoming webhook events to its answer',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  new Gauge({
    name: 'patchbay_runs',
    help: 'Runs by status (all organizations), read from the database at scrape time',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const groups = await db.prisma.run.groupBy({ by: ['status'], _count: { _all: true } });
      this.reset();
      for (const g of groups) this.set({ status: g.status }, g._count._all);
    },
  });
  return { registry, httpRequests, httpDuration, webhookStoreEvents, webhookStoreSeconds };
}
