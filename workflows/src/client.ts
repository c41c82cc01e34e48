// Typed starters the api uses to drive workflows. The api never imports workflow code,
// only these functions and the shared names.
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { searchAttributeKeys } from './shared/search-attributes.ts';
import {
  connectionTokensWorkflowId,
  DEFAULT_TASK_QUEUE,
  deliveryWorkflowId,
  runWorkflowId,
  SEARCH_ATTRIBUTES,
  type ConnectionTokensInput,
  type DeliveryWorkflowInput,
  type RefreshRequest,
  type RunWorkflowInput,
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

export async function connectTemporal(settings: TemporalSettings): Promise<Temporal> {
  const connection = await Connection.connect({ address: settings.address });
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
export async function startRunWorkflow(temporal: Temporal, run: RunToStart): Promise<string> {
  const workflowId = runWorkflowId(run.id);
  const typedSearchAttributes = [
    { key: keys.OrgId, value: run.orgId },
    { key: keys.RunKind, value: run.kind },
    ...(run.connectionId ? [{ key: keys.ConnectionId, value: run.connectionId }] : []),
    ...(run.integrationKey ? [{ key: keys.IntegrationKey, value: run.integrationKey }] : []),
  ];
  try {
    await temporal.client.workflow.start('runWorkflow', {
      workflowId,
      taskQueue: temporal.taskQueue,
      args: [{ runId: run.id } satisfies RunWorkflowInput],
      ...(temporal.searchAttributes ? { typedSearchAttributes } : {}),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

export interface DeliveryStart {
  /** A replay runs beside the first execution: `delivery/<id>/replay-<replay>`. */
  replay?: string;
  scheduleMs?: number[];
  disableAfterMs?: number;
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
  };
  try {
    await temporal.client.workflow.start('deliveryWorkflow', { workflowId, taskQueue: temporal.taskQueue, args: [input] });
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

/** A readiness probe: answers within `timeoutMs` whether the frontend responds. */
export async function isTemporalReachable(temporal: Temporal, timeoutMs = 2_000): Promise<boolean> {
  try {
    await temporal.connection.withDeadline(Date.now() + timeoutMs, () => temporal.connection.workflowService.getSystemInfo({}));
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
export async function startConnectionTokens(temporal: Temporal, connection: TokenConnection, options: Pick<ConnectionTokensInput, 'maxCycles'> = {}): Promise<string> {
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
