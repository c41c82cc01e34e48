// Typed starters the api uses to drive workflows. The api never imports workflow code,
// only these functions and the shared names.
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import {
  Client,
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type ScheduleSpec,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { searchAttributeKeys } from './shared/search-attributes.ts';
import {
  connectionTokensWorkflowId,
  DEFAULT_TASK_QUEUE,
  deliveryBatchWorkflowId,
  deliveryWorkflowId,
  runWorkflowId,
  type DeliveryBatchInput,
  SEARCH_ATTRIBUTES,
  type ConnectionTokensInput,
  type DeliveryWorkflowInput,
  type RefreshRequest,
  type RunWorkflowInput,
  syncScheduleId,
  flowScheduleId,
  triggerPollScheduleId,
  type FlowWorkflowInput,
  type ScheduledFlowInput,
  type TriggerPollInput,
  type ManifestWorkflowInput,
  type ScheduledSyncInput,
  type SyncWorkflowInput,
} from './shared/names.ts';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue?: string;
}

export interface Temporal {
  client: Client;
  connection: Connection;
  taskQueue: string;
  /** False when the namespace lacks our search attributes (see ensureSearchAttributes). */
  searchAttributes: boolean;
  close(): Promise<void>;
}

/**
 * How long a call of these methods may take when its caller set no deadline (a call with no
 * deadline may wait forever on an unresponsive server); the others, long polls among them, are
 * left unbounded. A start or describe that fails here is tried again by an outbox.
 */
const WORKFLOW_SERVICE = '/temporal.api.workflowservice.v1.WorkflowService';
const CALL_DEADLINES_MS: Record<string, number> = {
  [`${WORKFLOW_SERVICE}/StartWorkflowExecution`]: 5_000,
  [`${WORKFLOW_SERVICE}/DescribeWorkflowExecution`]: 5_000,
  [`${WORKFLOW_SERVICE}/GetSystemInfo`]: 2_000,
};

const NAMESPACE_HEADER = 'temporal-namespace';

/**
 * Deadlines set per method by a gRPC interceptor, not per call with `connection.withDeadline`:
 * that runs the call in an AsyncLocalStorage, and on Node 20 one in use turns on async hooks for
 * every promise of the process, the webhook ingest path's included (an `await` took 40 ns without
 * them, 160 ns with them; bench:ingest, api thread per request: 139-140 µs with, 103-107 without).
 */
const callDeadlines: Interceptor = (options, nextCall) => {
  const limit = options.deadline === undefined ? CALL_DEADLINES_MS[options.method_definition.path] : undefined;
  return new InterceptingCall(nextCall(limit === undefined ? options : { ...options, deadline: Date.now() + limit }));
};

export async function connectTemporal(settings: TemporalSettings): Promise<Temporal> {
  const connection = await Connection.connect({
    address: settings.address,
    // The retry interceptor is what Connection uses when given none; the deadline bounds every retry too.
    interceptors: [callDeadlines, makeGrpcRetryInterceptor(defaultGrpcRetryOptions())],
    metadata: { [NAMESPACE_HEADER]: settings.namespace },
  });
  // The connection's workflowService runs each call naming a namespace inside
  // withMetadata({ 'temporal-namespace': … }), an AsyncLocalStorage run. This connection sends
  // that header with every call already (above), so calls naming its own namespace skip the run.
  const withMetadata = connection.withMetadata.bind(connection);
  connection.withMetadata = async (metadata, fn) => {
    const ownNamespaceOnly = Object.keys(metadata).length === 1 && metadata[NAMESPACE_HEADER] === settings.namespace;
    return ownNamespaceOnly ? fn() : withMetadata(metadata, fn);
  };
  // Connecting bounded its first call with withDeadline, which enabled the storage. Disabled, the
  // process's async hooks go off again; a later withDeadline or withMetadata enables it again.
  connection.callContextStorage.disable();
  const client = new Client({ connection, namespace: settings.namespace });
  return {
    client,
    connection,
    taskQueue: settings.taskQueue ?? DEFAULT_TASK_QUEUE,
    searchAttributes: true,
    close: () => connection.close(),
  };
}

// temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD (all our attributes are keywords).
const INDEXED_VALUE_TYPE_KEYWORD = 2;

const keys = searchAttributeKeys;

export interface RunToStart {
  id: string;
  orgId: string;
  kind: string;
  connectionId?: string | null;
  integrationKey?: string | null;
}

/**
 * Starts the run's workflow. The id is derived from the run, so starting twice is harmless:
 * the second call finds the first execution and returns its id.
 */
export function startRunWorkflow(temporal: Temporal, run: RunToStart): Promise<string> {
  return startKindWorkflow(temporal, run, 'runWorkflow', { runId: run.id } satisfies RunWorkflowInput);
}

export interface DeliveryStart {
  /** A replay runs beside the first execution: `delivery/<id>/replay-<replay>`. */
  replay?: string;
  scheduleMs?: number[];
  disableAfterMs?: number;
  /** The caller claimed the delivery: go on from this attempt (see DeliveryWorkflowInput). */
  continueFrom?: DeliveryWorkflowInput['continueFrom'];
}

/**
 * Starts the delivery's workflow, `delivery/<id>`: starting it twice (api and dispatcher
 * racing) is harmless. Returns the workflow id.
 */
export async function startDeliveryWorkflow(temporal: Temporal, deliveryId: string, options: DeliveryStart = {}): Promise<string> {
  const workflowId = options.replay ? `${deliveryWorkflowId(deliveryId)}/replay-${options.replay}` : deliveryWorkflowId(deliveryId);
  const input: DeliveryWorkflowInput = {
    deliveryId,
    ...(options.replay ? { replay: true } : {}),
    ...(options.scheduleMs ? { scheduleMs: options.scheduleMs } : {}),
    ...(options.disableAfterMs !== undefined ? { disableAfterMs: options.disableAfterMs } : {}),
    ...(options.continueFrom ? { continueFrom: options.continueFrom } : {}),
  };
  try {
    await temporal.client.workflow.start('deliveryWorkflow', { workflowId, taskQueue: temporal.taskQueue, args: [input] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

/**
 * Starts the first attempts of many deliveries in one workflow (see deliveryBatchWorkflow).
 * Starting the same batch twice, or overlapping batches, is harmless: each delivery is claimed once.
 */
export async function startDeliveryBatchWorkflow(temporal: Temporal, deliveryIds: string[], options: Omit<DeliveryStart, 'replay'> = {}): Promise<string> {
  const workflowId = deliveryBatchWorkflowId(deliveryIds);
  const input: DeliveryBatchInput = {
    deliveryIds,
    ...(options.scheduleMs ? { scheduleMs: options.scheduleMs } : {}),
    ...(options.disableAfterMs !== undefined ? { disableAfterMs: options.disableAfterMs } : {}),
  };
  try {
    await temporal.client.workflow.start('deliveryBatchWorkflow', { workflowId, taskQueue: temporal.taskQueue, args: [input] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

/** Requests cancellation; returns false when the workflow does not exist (or no longer runs). */
export async function cancelWorkflow(temporal: Temporal, workflowId: string): Promise<boolean> {
  try {
    await temporal.client.workflow.getHandle(workflowId).cancel();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Registers Patchbay's search attributes on the namespace when missing. The dev server gets
 * them at start; a production cluster may refuse (no operator rights), which is only a warning.
 */
export async function ensureSearchAttributes(temporal: Temporal, namespace: string): Promise<string[]> {
  const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.keys(SEARCH_ATTRIBUTES).filter((name) => !customAttributes?.[name]);
  if (missing.length === 0) return [];
  await temporal.connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  return missing;
}

/** A readiness probe: answers within GetSystemInfo's deadline (CALL_DEADLINES_MS) whether the frontend responds. */
export async function isTemporalReachable(temporal: Temporal): Promise<boolean> {
  try {
    await temporal.connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  }
}

// ---- token lifecycle (workflows/connection-tokens.ts) ---------------------------------------

export interface TokenConnection {
  id: string;
  orgId: string;
}

/**
 * Starts the connection's token workflow unless one runs: a connection that was EXPIRED and
 * reconnected gets a new run (ALLOW_DUPLICATE once the old one ended), a running one is kept
 * (USE_EXISTING), so calling this on every successful connect is harmless.
 */
export async function startConnectionTokens(temporal: Temporal, connection: TokenConnection, options: Pick<ConnectionTokensInput, 'maxCycles' | 'refreshRetry'> = {}): Promise<string> {
  const workflowId = connectionTokensWorkflowId(connection.id);
  try {
    await temporal.client.workflow.start('connectionTokensWorkflow', {
      workflowId,
      taskQueue: temporal.taskQueue,
      args: [{ orgId: connection.orgId, connectionId: connection.id, ...options } satisfies ConnectionTokensInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

/** refreshNow, starting the workflow first when none runs (signal-with-start). `seen`: see RefreshRequest. */
export async function signalRefresh(temporal: Temporal, connection: TokenConnection, seen: string | null = null): Promise<string> {
  return signalRefreshWith(temporal.client, temporal.taskQueue, { orgId: connection.orgId, connectionId: connection.id }, seen);
}

/** signalRefresh for callers holding a bare Client (activities use Context.current().client). */
export async function signalRefreshWith(client: Client, taskQueue: string, target: { orgId: string; connectionId: string }, seen: string | null): Promise<string> {
  const workflowId = connectionTokensWorkflowId(target.connectionId);
  await client.workflow.signalWithStart('connectionTokensWorkflow', {
    workflowId,
    taskQueue,
    args: [{ orgId: target.orgId, connectionId: target.connectionId } satisfies ConnectionTokensInput],
    signal: 'refreshNow',
    signalArgs: [{ seen } satisfies RefreshRequest],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
  return workflowId;
}

/** Ends the connection's token workflow (on delete); false when none was running. */
export async function stopConnectionTokens(temporal: Temporal, connectionId: string): Promise<boolean> {
  try {
    await temporal.client.workflow.getHandle(connectionTokensWorkflowId(connectionId)).signal('stop');
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

// ---- manifests and syncs (workflows/manifest.ts, workflows/sync.ts) -------------------------

/** Starts a manifest run's workflow (`run/<id>`); starting twice is harmless. */
export async function startManifestWorkflow(temporal: Temporal, run: RunToStart, options: { retryAfterMs?: number } = {}): Promise<string> {
  return startKindWorkflow(temporal, run, 'manifestWorkflow', { runId: run.id, ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}) } satisfies ManifestWorkflowInput);
}

/** Starts a sync run's workflow (`run/<id>`) for a SyncState; starting twice is harmless. */
export async function startSyncWorkflow(temporal: Temporal, run: RunToStart, stateId: string, options: Pick<SyncWorkflowInput, 'pagesPerExecution'> = {}): Promise<string> {
  return startKindWorkflow(temporal, run, 'syncWorkflow', { stateId, runId: run.id, ...options } satisfies SyncWorkflowInput);
}

async function startKindWorkflow(temporal: Temporal, run: RunToStart, workflowType: string, input: unknown): Promise<string> {
  const workflowId = runWorkflowId(run.id);
  const typedSearchAttributes = [
    { key: keys.OrgId, value: run.orgId },
    { key: keys.RunKind, value: run.kind },
    ...(run.connectionId ? [{ key: keys.ConnectionId, value: run.connectionId }] : []),
    ...(run.integrationKey ? [{ key: keys.IntegrationKey, value: run.integrationKey }] : []),
  ];
  try {
    await temporal.client.workflow.start(workflowType, {
      workflowId,
      taskQueue: temporal.taskQueue,
      args: [input],
      ...(temporal.searchAttributes ? { typedSearchAttributes } : {}),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

/** "@every 1h" / "@every 30m" → an interval; anything else is a cron expression. */
export function scheduleSpecOf(schedule: string): { intervals: Array<{ every: string }> } | { cronExpressions: string[] } {
  const every = /^@every\s+(\S+)$/.exec(schedule.trim());
  return every ? { intervals: [{ every: every[1]! }] } : { cronExpressions: [schedule.trim()] };
}

/** Creates or updates the Temporal Schedule of a connection sync (`sync/<stateId>`). */
export async function upsertSyncSchedule(temporal: Temporal, stateId: string, schedule: string, paused = false): Promise<string> {
  return upsertSchedule(temporal, syncScheduleId(stateId), scheduleSpecOf(schedule), {
    workflowType: 'scheduledSyncWorkflow',
    args: [{ stateId } satisfies ScheduledSyncInput],
    workflowId: `sync-schedule/${stateId}`,
  }, paused);
}

interface ScheduledStart {
  workflowType: string;
  args: unknown[];
  workflowId: string;
}

/** Creates a Schedule, or updates the one with that id (spec, action and paused state); overlapping firings are skipped. */
async function upsertSchedule(temporal: Temporal, scheduleId: string, specOf: ReturnType<typeof scheduleSpecOf>, start: ScheduledStart, paused: boolean): Promise<string> {
  const spec = specOf as ScheduleSpec;
  const action = { type: 'startWorkflow' as const, ...start, taskQueue: temporal.taskQueue };
  try {
    await temporal.client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP }, state: { paused } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    const handle = temporal.client.schedule.getHandle(scheduleId);
    await handle.update((previous) => ({ ...previous, spec, action, state: { ...previous.state, paused } }));
  }
  return scheduleId;
}

/** Deletes a Schedule; false when there was none. */
async function deleteSchedule(temporal: Temporal, scheduleId: string): Promise<boolean> {
  try {
    await temporal.client.schedule.getHandle(scheduleId).delete();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** Pauses or resumes a sync's Schedule; false when it has none. */
export async function setSyncSchedulePaused(temporal: Temporal, stateId: string, paused: boolean, note?: string): Promise<boolean> {
  try {
    const handle = temporal.client.schedule.getHandle(syncScheduleId(stateId));
    if (paused) await handle.pause(note);
    else await handle.unpause(note);
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/** Deletes a sync's Schedule; false when it had none. */
export function deleteSyncSchedule(temporal: Temporal, stateId: string): Promise<boolean> {
  return deleteSchedule(temporal, syncScheduleId(stateId));
}

/** The Schedule's next start times (empty when none or paused). */
export async function describeSyncSchedule(temporal: Temporal, stateId: string): Promise<{ paused: boolean; nextRunAt: Date | null } | null> {
  try {
    const d = await temporal.client.schedule.getHandle(syncScheduleId(stateId)).describe();
    return { paused: d.state.paused, nextRunAt: d.info.nextActionTimes[0] ?? null };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

// ---- flows (workflows/flow.ts) ---------------------------------------------------------------

/** Starts a flow run's workflow (`run/<id>`); starting twice is harmless. */
export function startFlowWorkflow(temporal: Temporal, run: RunToStart): Promise<string> {
  return startKindWorkflow(temporal, run, 'flowWorkflow', { runId: run.id } satisfies FlowWorkflowInput);
}

/** The Schedule of a schedule-triggered flow (`flow/<flowId>`): a cron expression, or an interval as "@every 15m". */
export function upsertFlowSchedule(temporal: Temporal, flowId: string, schedule: string): Promise<string> {
  return upsertSchedule(temporal, flowScheduleId(flowId), scheduleSpecOf(schedule), {
    workflowType: 'scheduledFlowWorkflow',
    args: [{ flowId, searchAttributes: temporal.searchAttributes } satisfies ScheduledFlowInput],
    workflowId: `flow-schedule/${flowId}`,
  }, false);
}

export function deleteFlowSchedule(temporal: Temporal, flowId: string): Promise<boolean> {
  return deleteSchedule(temporal, flowScheduleId(flowId));
}

/** The Schedule polling a flow's polling trigger every `intervalSeconds` (`trigger-poll/<pollId>`). */
export function upsertTriggerPollSchedule(temporal: Temporal, pollId: string, intervalSeconds: number): Promise<string> {
  return upsertSchedule(temporal, triggerPollScheduleId(pollId), { intervals: [{ every: `${intervalSeconds}s` }] }, {
    workflowType: 'triggerPollWorkflow',
    args: [{ pollId, searchAttributes: temporal.searchAttributes } satisfies TriggerPollInput],
    workflowId: `trigger-poll/${pollId}`,
  }, false);
}

export function deleteTriggerPollSchedule(temporal: Temporal, pollId: string): Promise<boolean> {
  return deleteSchedule(temporal, triggerPollScheduleId(pollId));
}

/** Polls now, besides the interval (a skipped firing if a poll is running). */
export async function triggerPollNow(temporal: Temporal, pollId: string): Promise<void> {
  await temporal.client.schedule.getHandle(triggerPollScheduleId(pollId)).trigger(ScheduleOverlapPolicy.SKIP);
}
