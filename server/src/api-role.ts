// What an api process runs beside its Temporal client: the outboxes that start workflows
// (incoming events, outgoing deliveries, queued flow runs) and the HTTP app. hub.ts imports it
// only for the `api` and `all` roles, so a worker process never loads the app.
import { startApp, type App } from './app.ts';
import type { Hub } from './context.ts';
import { startFlowRunDispatcher } from './flows/run-dispatch.ts';
import type { HubOptions } from './hub.ts';
import { ensureTokenWorkflows } from './services/token-lifecycles.ts';
import { startDeliveryDispatcher } from './webhooks/delivery-dispatch.ts';
import { settleBackgroundWork } from './webhooks/dispatch.ts';
import { startOutboxDispatcher } from './webhooks/outbox.ts';

/** Starts the api role; stopping it is pushed onto `cleanups` (run in reverse order). */
export async function startApiRole(hub: Hub, options: Pick<HubOptions, 'webhookOutbox' | 'flowRuns' | 'tokenBackfill'>, cleanups: Array<() => Promise<unknown>>): Promise<App> {
  // Registered before the app so that they run after it stops (cleanups run in reverse):
  // requests still being answered may hand them work.
  cleanups.unshift(() => settleBackgroundWork(hub));
  if (options.webhookOutbox !== false) {
    const outbox = startOutboxDispatcher(hub, options.webhookOutbox);
    cleanups.unshift(() => outbox.stop());
    // Outgoing deliveries ride on the same switch: both are outboxes of this process.
    const deliveries = startDeliveryDispatcher(hub, options.webhookOutbox);
    cleanups.unshift(() => deliveries.stop());
  }
  if (options.flowRuns !== false) {
    const flowRuns = startFlowRunDispatcher(hub, options.flowRuns);
    cleanups.unshift(() => flowRuns.stop());
  }
  const app = await startApp(hub);
  cleanups.unshift(() => app.close());
  if (options.tokenBackfill !== false) {
    void ensureTokenWorkflows(hub)
      .then((checked) => checked && hub.logger.info({ checked }, 'OAuth token workflows checked'))
      .catch((err) => hub.logger.warn({ err }, 'could not check the OAuth token workflows; they start on the next refresh or 401'));
  }
  return app;
}
