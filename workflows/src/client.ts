// Typed starters the api uses to drive workflows. The api never imports workflow code,
// only these functions and the shared names.
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { DEFAULT_TASK_QUEUE, runWorkflowId, SEARCH_ATTRIBUTES, type RunWorkflowInput } from './shared/names.ts';

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

const keys = {
  OrgId: defineSearchAttributeKey('OrgId', SearchAttributeType.KEYWORD),
  RunKind: defineSearchAttributeKey('RunKind', SearchAttributeType.KEYWORD),
  ConnectionId: defineSearchAttributeKey('ConnectionId', SearchAttributeType.KEYWORD),
  IntegrationKey: defineSearchAttributeKey('IntegrationKey', SearchAttributeType.KEYWORD),
};

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
