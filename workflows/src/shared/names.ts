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

/** One incoming webhook event = one workflow execution, `webhook-event/<eventId>`: dispatching twice is harmless. */
export function webhookEventWorkflowId(eventId: string): string {
  return `webhook-event/${eventId}`;
}

export interface WebhookEventWorkflowInput {
  eventId: string;
  /** Whether the namespace has Patchbay's search attributes (a child run then carries them). */
  searchAttributes?: boolean;
}

export interface WebhookEventWorkflowResult {
  eventId: string;
  /** SKIPPED: the event was already finished or deleted (a late duplicate dispatch). */
  status: 'PROCESSED' | 'FAILED' | 'SKIPPED';
  runId?: string;
}
