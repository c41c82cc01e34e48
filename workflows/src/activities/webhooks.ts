// Activities of an incoming webhook event (the api has already verified and stored it).
// The WebhookEvent row is the source of truth: each step reads it by id (Temporal payloads
// carry ids only), and every transition is guarded by the status it expects, so a retried
// activity or a duplicate dispatch never does the work twice.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { announceRunChange, fanOutActivities, forgetWebhookDispatchSql, markWebhookEventsDispatched, markWebhookEventsDispatchedSql, Prisma, queueFlowRunsWithEntries, recordActivity, recordRunEvent, writeActivities, type FlowRunRequest, type Run, type WebhookEndpoint, type WebhookEvent } from '@patchbay/db';
import { applyMapping, createHttpClient, executeTriggerRequest, isPluginError, parseTriggerBody, PermanentError, type Mapping } from '@patchbay/sdk';
import { loadConnection } from '../runtime/actions.ts';
import { neutralise, renderEventTemplates } from '../runtime/scoped-templates.ts';
import { networkGuardFor } from '../runtime/network-guard.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { parseWebhookBody } from '../shared/webhook-body.ts';

/** What the api stores in WebhookEndpoint.target (ids are database ids). */
export type WebhookTarget =
  | { action: { connectionId: string; action: string; input?: unknown } }
  | { forward: { url: string; headers?: Record<string, string> } }
  | { trigger: TriggerTarget }
  /** Start a flow with the mapped payload (flows whose trigger names this endpoint start too). */
  | { flow: { flowId: string } };

/** A plugin's webhook trigger: the provider's request becomes that trigger's events. */
export interface TriggerTarget {
  integrationKey: string;
  trigger: string;
  /** The connection whose credentials and config the trigger's handler gets, if any. */
  connectionId?: string;
  settings?: unknown;
}

export type TargetKind = 'none' | 'action' | 'forward' | 'trigger' | 'flow';

export type BeginResult =
  | { state: 'gone' | 'done' }
  /** An earlier event of this (ordered) endpoint is unfinished: wait for it. */
  | { state: 'wait'; waitFor: string }
  /** `flows`: some enabled flow may start from this event (see queueWebhookFlowRuns). */
  | { state: 'ready'; target: TargetKind; flows: boolean };

/** A flow run queued for an event; the workflow starts it. */
export interface QueuedFlowRun {
  runId: string;
  orgId: string;
}

export interface EventRun {
  runId: string;
  orgId: string;
  connectionId: string;
  integrationKey: string;
}

export interface FinishInput {
  status: 'PROCESSED' | 'FAILED';
  error?: string;
  runId?: string;
  forwardStatus?: number;
  /** The flow runs the event started. */
  flowRuns?: string[];
  /** Trigger targets: how many events the trigger produced (they are stored on the event). */
  triggerEvents?: number;
}

const UNFINISHED = ['RECEIVED', 'DISPATCHED'] as const;
const isUnfinished = (status: string) => (UNFINISHED as readonly string[]).includes(status);

/**
 * A triage batch writes hundreds of rows in one transaction; on a busy machine (a worker catching
 * up on a backlog) Prisma's default 5 s limit expired mid-way and the whole batch was redone.
 */
const TRIAGE_TRANSACTION = { timeout: 60_000, maxWait: 30_000 };
const FORWARD_TIMEOUT_MS = 15_000;

/** The workflow this activity runs for (activities here always run for one). */
function currentWorkflowId(): string {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw ApplicationFailure.nonRetryable('This activity runs only inside a workflow', 'PermanentError');
  return execution.workflowId;
}

export function targetKind(target: unknown): TargetKind {
  if (target && typeof target === 'object') {
    if ('action' in target) return 'action';
    if ('forward' in target) return 'forward';
    if ('trigger' in target) return 'trigger';
    if ('flow' in target) return 'flow';
  }
  return 'none';
}

/** Enabled flows an event of this endpoint may start: its flow target, flows triggered by it, and by its plugin trigger. */
function flowsOf(orgId: string, endpointId: string, target: WebhookTarget | null): Prisma.FlowWhereInput {
  return {
    orgId,
    enabled: true,
    deletedAt: null,
    OR: [
      { triggerType: 'WEBHOOK', triggerRef: endpointId },
      ...(target && 'flow' in target ? [{ id: target.flow.flowId }] : []),
      ...(target && 'trigger' in target ? [{ triggerType: 'PLUGIN' as const, triggerRef: `${target.trigger.integrationKey}:${target.trigger.trigger}` }] : []),
    ],
  };
}

const isOrdered = (endpoint: WebhookEndpoint) => (endpoint.options as { ordered?: unknown } | null)?.ordered === true;

/** The body as transforms see it, then the endpoint's transform (none = the whole body). */
export function mappedPayload(event: Pick<WebhookEvent, 'rawBody' | 'contentType'>, transform: unknown): unknown {
  const body = parseWebhookBody(event.rawBody, event.contentType);
  return transform === null || transform === undefined ? body : applyMapping(transform as Mapping, body);
}

export function createWebhookActivities(deps: ActivityDeps) {
  const { db } = deps;
  const { prisma } = db;

  const load = (eventId: string) => prisma.webhookEvent.findUnique({ where: { id: eventId }, include: { endpoint: true } });

  async function loadOrFail(eventId: string) {
    const event = await load(eventId);
    if (!event) throw ApplicationFailure.nonRetryable('The webhook event no longer exists (its endpoint was deleted?)', 'PermanentError');
    return event;
  }

  /**
   * A batch's triage: events with nothing to route (no target, no flow, endpoint not ordered)
   * are finished here, together — PROCESSED with their payload and feed entries, in one
   * transaction; the others are answered, each to get a workflow of its own. Finished or
   * deleted events are in neither list. The batch's WebhookDispatch row is deleted with these
   * state changes (`keptWhileRouting`: only when nothing is routed).
   */
  async function triageBatch(eventIds: string[], record: { workflowId: string; keptWhileRouting: boolean }): Promise<{ route: string[]; finished: number }> {
    // By id alone, the status checked here: see markWebhookEventsDispatchedSql for what a status
    // condition lets the planner do once a backlog outgrows the statistics.
    const events = (await prisma.webhookEvent.findMany({ where: { id: { in: eventIds } }, include: { endpoint: true } })).filter((e) => isUnfinished(e.status));
    const flowTargets = await prisma.flow.findMany({
      where: { orgId: { in: [...new Set(events.map((e) => e.orgId))] }, enabled: true, deletedAt: null, triggerType: 'WEBHOOK', triggerRef: { in: events.map((e) => e.endpointId) } },
      select: { triggerType: true, triggerRef: true },
    });
    const quiet = (event: (typeof events)[number]) =>
      targetKind(event.endpoint.target) === 'none' && !isOrdered(event.endpoint) && !flowTargets.some((f) => f.triggerType === 'WEBHOOK' && f.triggerRef === event.endpointId);
    const order = new Map(eventIds.map((id, index) => [id, index]));
    const route = events.filter((e) => !quiet(e)).sort((a, b) => order.get(a.id)! - order.get(b.id)!).map((e) => e.id);
    const done = events.filter(quiet);
    const now = new Date();
    // Parsed before the transaction opens: it holds row locks only for the writes.
    const outputs = done.map((event) => {
      let payload: unknown = null;
      try {
        payload = mappedPayload(event, event.endpoint.transform);
      } catch {
        // Kept as received: the endpoint has no transform to fail, so this is a body it cannot parse.
      }
      return { id: event.id, output: JSON.stringify({ payload }) };
    });
    const finished = await prisma.$transaction(async (tx) => {
      if (route.length) await tx.$executeRaw(markWebhookEventsDispatchedSql(route));
      const updated = outputs.length
        ? await tx.$queryRaw<Array<{ id: string }>>`
            UPDATE "WebhookEvent" e SET "status" = 'PROCESSED', "output" = o.output::jsonb, "processedAt" = ${now}, "dispatchedAt" = COALESCE(e."dispatchedAt", ${now})
            FROM unnest(${outputs.map((o) => o.id)}::text[], ${outputs.map((o) => o.output)}::text[]) AS o(id, output)
            WHERE e."id" = o.id AND e."status" IN ('RECEIVED', 'DISPATCHED')
            RETURNING e."id"`
        : [];
      if (!(record.keptWhileRouting && route.length)) await tx.$executeRaw(forgetWebhookDispatchSql(record.workflowId));
      const ids = new Set(updated.map((u) => u.id));
      const rows = await writeActivities(
        tx,
        done
          .filter((event) => ids.has(event.id))
          .map((event) => ({
            orgId: event.orgId,
            type: 'webhook.processed',
            message: `Webhook event on "${event.endpoint.name}" processed`,
            data: { endpointId: event.endpointId, eventId: event.id, target: 'none' },
          })),
      );
      if (rows.length) await fanOutActivities(tx, rows);
      return ids.size;
    }, TRIAGE_TRANSACTION);
    return { route, finished };
  }

  return {
    async beginWebhookEvent(eventId: string): Promise<BeginResult> {
      const event = await load(eventId);
      if (!event) return { state: 'gone' };
      if (!isUnfinished(event.status)) return { state: 'done' };
      if (event.status === 'RECEIVED') {
        // Its batch's triage marked it; a workflow started by an older version may find it RECEIVED.
        await markWebhookEventsDispatched(db, [eventId]);
      }
      if (isOrdered(event.endpoint)) {
        const earlier = await prisma.webhookEvent.findFirst({
          where: {
            endpointId: event.endpointId,
            status: { in: [...UNFINISHED] },
            OR: [{ receivedAt: { lt: event.receivedAt } }, { receivedAt: event.receivedAt, id: { lt: event.id } }],
          },
          orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
          select: { id: true },
        });
        if (earlier) return { state: 'wait', waitFor: earlier.id };
      }
      const target = event.endpoint.target as WebhookTarget | null;
      const flow = await prisma.flow.findFirst({ where: flowsOf(event.orgId, event.endpointId, target), select: { id: true } });
      return { state: 'ready', target: targetKind(target), flows: flow !== null };
    },

    /**
     * Queues the runs of the flows this event starts (once each: their idempotency keys derive
     * from the event): the endpoint's flow target and flows triggered by the endpoint get the
     * mapped payload; flows triggered by a plugin's webhook trigger get one run per event the
     * trigger produced. Answers every run of the event, so a retry starts any left unstarted.
     */
    async queueWebhookFlowRuns(eventId: string): Promise<QueuedFlowRun[]> {
      const event = await loadOrFail(eventId);
      const target = event.endpoint.target as WebhookTarget | null;
      const flows = await prisma.flow.findMany({
        where: flowsOf(event.orgId, event.endpointId, target),
        include: { versions: { orderBy: { version: 'desc' }, take: 1, select: { trigger: true } } },
      });
      if (flows.length === 0) return [];
      const fired = (event.output as { events?: unknown[] } | null)?.events ?? [];
      const requests: FlowRunRequest[] = [];
      let payload: unknown;
      for (const flow of flows) {
        const base = { orgId: event.orgId, flowId: flow.id, version: flow.version, dispatched: true };
        if (flow.triggerType === 'PLUGIN') {
          const trigger = flow.versions[0]?.trigger as { endpointId?: string; connectionId?: string } | undefined;
          const triggerTarget = target && 'trigger' in target ? target.trigger : null;
          if (trigger?.endpointId && trigger.endpointId !== event.endpointId) continue;
          if (trigger?.connectionId && trigger.connectionId !== triggerTarget?.connectionId) continue;
          fired.forEach((item, index) => requests.push({ ...base, payload: item, idempotencyKey: `webhook-event:${eventId}:${index}:flow:${flow.id}` }));
        } else {
          payload ??= mappedPayload(event, event.endpoint.transform) ?? {};
          requests.push({ ...base, payload, idempotencyKey: `webhook-event:${eventId}:flow:${flow.id}` });
        }
      }
      await prisma.$transaction((tx) => queueFlowRunsWithEntries(tx, requests));
      const runs = await prisma.run.findMany({ where: { orgId: event.orgId, idempotencyKey: { in: requests.map((r) => r.idempotencyKey) } }, select: { id: true, orgId: true } });
      return runs.map((run) => ({ runId: run.id, orgId: run.orgId }));
    },

    /** Creates the target's Run (once: its idempotency key is derived from the event). */
    async startWebhookEventRun(eventId: string): Promise<EventRun> {
      const event = await loadOrFail(eventId);
      const target = event.endpoint.target as WebhookTarget | null;
      if (!target || !('action' in target)) throw ApplicationFailure.nonRetryable('The endpoint no longer targets an action', 'PermanentError');
      const idempotencyKey = `webhook-event:${event.id}`;
      const existing = await prisma.run.findFirst({ where: { orgId: event.orgId, idempotencyKey } });
      if (existing) return eventRun(existing);
      try {
        const { connectionId, action } = target.action;
        // Scoped to the endpoint's organization: a target can only ever reach its own connections.
        const connection = await prisma.connection.findFirst({ where: { id: connectionId, orgId: event.orgId } });
        if (!connection) throw new PermanentError('The target connection no longer exists');
        const definition = deps.plugins.findAction(connection.integrationKey, action);
        if (!definition) throw new PermanentError(`Integration "${connection.integrationKey}" has no action "${action}" in this worker`);
        const payload = mappedPayload(event, event.endpoint.transform);
        const escapeForRun = definition.renderInput !== false;
        const input =
          target.action.input === undefined || target.action.input === null
            ? escapeForRun ? neutralise(payload) : payload
            : await renderEventTemplates(target.action.input, payload, { escapeForRun });
        let run: Run;
        try {
          run = await prisma.run.create({
            data: { orgId: event.orgId, kind: 'ACTION', action, connectionId, input: (input ?? {}) as Prisma.InputJsonValue, idempotencyKey },
          });
        } catch (err) {
          if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
          return eventRun(await prisma.run.findFirstOrThrow({ where: { orgId: event.orgId, idempotencyKey } }));
        }
        await recordRunEvent(db, run, 'queued');
        await announceRunChange(db, { id: run.id, orgId: run.orgId });
        return { runId: run.id, orgId: run.orgId, connectionId, integrationKey: connection.integrationKey };
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** POSTs the mapped payload to the target URL (through the SSRF guard). */
    async forwardWebhookEvent(eventId: string): Promise<{ status: number }> {
      const event = await loadOrFail(eventId);
      const target = event.endpoint.target as WebhookTarget | null;
      if (!target || !('forward' in target)) throw ApplicationFailure.nonRetryable('The endpoint no longer forwards', 'PermanentError');
      try {
        const payload = mappedPayload(event, event.endpoint.transform);
        const client = createHttpClient({ ...networkGuardFor(deps), timeoutMs: FORWARD_TIMEOUT_MS, signal: Context.current().cancellationSignal });
        const res = await client.post(target.forward.url, {
          json: payload,
          headers: { ...target.forward.headers, 'idempotency-key': event.id, 'x-patchbay-event-id': event.id },
        });
        return { status: res.status };
      } catch (err) {
        // The URL's path can be the credential (Slack-style incoming webhook URLs): name the origin only.
        const { pathname } = new URL(target.forward.url);
        if (err instanceof Error && pathname.length > 1) err.message = err.message.split(pathname).join('/…');
        throw toFailure(err);
      }
    },

    /**
     * Runs the target trigger's handler over the stored request and keeps its events on the
     * webhook event (output.events), each announced as `trigger.fired` in the feed. Flows
     * listen for those. Idempotent: a retry after the events were stored does nothing again.
     */
    async handleWebhookTrigger(eventId: string): Promise<{ events: number }> {
      const event = await loadOrFail(eventId);
      const target = event.endpoint.target as WebhookTarget | null;
      if (!target || !('trigger' in target)) throw ApplicationFailure.nonRetryable('The endpoint no longer targets a trigger', 'PermanentError');
      const stored = (event.output as { events?: unknown[] } | null)?.events;
      if (Array.isArray(stored)) return { events: stored.length };
      const { integrationKey, trigger, connectionId, settings } = target.trigger;
      try {
        const plugin = deps.plugins.get(integrationKey);
        if (!plugin) throw new PermanentError(`Integration "${integrationKey}" is not loaded in this worker`);
        const connection = connectionId ? await loadConnection(deps, event.orgId, connectionId) : null;
        const headers = event.headers as Record<string, string>;
        const events = await executeTriggerRequest({
          plugin,
          mode: connection?.row.authMode ?? plugin.auth[0]!.mode,
          credentials: connection?.credentials ?? {},
          config: connection?.config ?? {},
          trigger,
          settings,
          signal: Context.current().cancellationSignal,
          http: networkGuardFor(deps),
          request: { headers, rawBody: event.rawBody, body: parseTriggerBody(event.rawBody, event.contentType ?? undefined), url: `${deps.publicUrl ?? ''}/hooks/${event.endpointId}` },
        });
        const { count } = await prisma.webhookEvent.updateMany({
          where: { id: eventId, status: { in: [...UNFINISHED] } },
          data: { output: { events } as Prisma.InputJsonValue },
        });
        if (count === 1) {
          for (const [index, fired] of events.entries()) {
            await recordActivity(db, {
              orgId: event.orgId,
              type: 'trigger.fired',
              message: `${plugin.displayName} trigger "${trigger}" fired on "${event.endpoint.name}"`,
              connectionId: connection?.row.id ?? null,
              data: { integrationKey, trigger, endpointId: event.endpointId, eventId, index, event: fired } as Prisma.InputJsonValue,
            });
          }
        }
        return { events: events.length };
      } catch (err) {
        throw toFailure(err);
      }
    },

    /** The triage of a batch that carries its event ids (started before batches were recorded by id). */
    async triageWebhookEvents(eventIds: string[]): Promise<{ route: string[]; finished: number }> {
      return triageBatch(eventIds, { workflowId: currentWorkflowId(), keptWhileRouting: false });
    },

    /**
     * The triage of a recorded batch: its ids are in its WebhookDispatch row. With events to route
     * the row stays (a retry reads the same ids and routes the same events) until
     * forgetWebhookBatch. No row: the api took the start for failed and deleted it, and the outbox
     * dispatches these events again; nothing to do here.
     */
    async triageRecordedWebhookBatch(): Promise<{ route: string[]; finished: number }> {
      const workflowId = currentWorkflowId();
      const record = await prisma.webhookDispatch.findUnique({ where: { workflowId }, select: { eventIds: true } });
      // Nothing to route: the row goes with the events' state change (a retry finds nothing left).
      return record ? triageBatch(record.eventIds, { workflowId, keptWhileRouting: true }) : { route: [], finished: 0 };
    },

    /** The batch's events are finished or have their own workflows: the outbox needs no record of it. */
    async forgetWebhookBatch(): Promise<void> {
      await prisma.$executeRaw(forgetWebhookDispatchSql(currentWorkflowId()));
    },

    /**
     * PROCESSED or FAILED (once), with the feed entry. For an ordered endpoint, answers the next
     * unfinished event so the workflow can wake it.
     */
    async finishWebhookEvent(eventId: string, result: FinishInput): Promise<{ next?: string }> {
      const event = await load(eventId);
      if (!event) return {};
      let payload: unknown = null;
      try {
        payload = mappedPayload(event, event.endpoint.transform);
      } catch {
        // The failure itself is recorded in `error`.
      }
      const kept = (event.output as { events?: unknown[] } | null)?.events;
      const output = { payload, ...(Array.isArray(kept) ? { events: kept } : {}), ...(result.runId ? { runId: result.runId } : {}), ...(result.forwardStatus ? { forward: { status: result.forwardStatus } } : {}), ...(result.flowRuns?.length ? { flowRuns: result.flowRuns } : {}) };
      const failed = result.status === 'FAILED';
      // The state change and its feed entry commit together: one disk flush per event.
      await prisma.$transaction(async (tx) => {
        const { count } = await tx.webhookEvent.updateMany({
          where: { id: eventId, status: { in: [...UNFINISHED] } },
          data: { status: result.status, error: result.error ?? null, output: output as Prisma.InputJsonValue, processedAt: new Date() },
        });
        if (count !== 1) return;
        const rows = await writeActivities(tx, [
          {
            orgId: event.orgId,
            type: failed ? 'webhook.failed' : 'webhook.processed',
            level: failed ? 'error' : 'info',
            message: `Webhook event on "${event.endpoint.name}" ${failed ? `failed: ${result.error}` : 'processed'}`,
            runId: result.runId ?? null,
            data: {
              endpointId: event.endpointId,
              eventId: event.id,
              target: targetKind(event.endpoint.target),
              ...(result.forwardStatus ? { forwardStatus: result.forwardStatus } : {}),
            },
          },
        ]);
        await fanOutActivities(tx, rows);
      });
      if (!isOrdered(event.endpoint)) return {};
      const next = await prisma.webhookEvent.findFirst({
        where: {
          endpointId: event.endpointId,
          status: { in: [...UNFINISHED] },
          OR: [{ receivedAt: { gt: event.receivedAt } }, { receivedAt: event.receivedAt, id: { gt: event.id } }],
        },
        orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
        select: { id: true },
      });
      return next ? { next: next.id } : {};
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

/** A run created by an earlier attempt (its integration key only labels the child workflow). */
function eventRun(run: Run): EventRun {
  return { runId: run.id, orgId: run.orgId, connectionId: run.connectionId ?? '', integrationKey: '' };
}

/** SDK errors → Temporal failures: permanent ones (4xx, refused addresses, bad mappings) are not retried. */
function toFailure(err: unknown): unknown {
  if (!isPluginError(err)) return err;
  switch (err.kind) {
    case 'PERMANENT':
    case 'AUTH': // a forward has no credentials to refresh
      return ApplicationFailure.nonRetryable(err.message, 'PermanentError');
    case 'RATE_LIMIT':
      return ApplicationFailure.create({
        message: err.message,
        type: 'RateLimitError',
        nextRetryDelay: 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : undefined,
      });
    default:
      return ApplicationFailure.retryable(err.message, 'TransientError');
  }
}
