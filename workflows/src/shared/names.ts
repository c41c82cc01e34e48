// Names shared by the api (which starts workflows) and the worker (which runs them).
// Kept free of Node imports: workflow code imports this file too.

export const DEFAULT_TASK_QUEUE = 'patchbay';

/** Readable ids in the Temporal Web UI: `run/<id>`. */
export function runWorkflowId(runId: string): string {
  return `run/${runId}`;
}

/** Custom search attributes registered on the namespace so operators can filter runs. */
export const SEARCH_ATTRIBUTES = {
  OrgId: 'Keyword',
  RunKind: 'Keyword',
  ConnectionId: 'Keyword',
  IntegrationKey: 'Keyword',
} as const;

export type RunTerminalStatus = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface RunWorkflowInput {
  runId: string;
}

export interface RunWorkflowResult {
  runId: string;
  status: RunTerminalStatus;
}

/** Failure types the worker never retries. */
export const NON_RETRYABLE_TYPES = ['PermanentError', 'InputValidationError', 'UnknownActionError'];
