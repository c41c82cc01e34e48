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

/**
 * Many freshly accepted webhook events in one workflow, `webhook-batch/<first id>+<count>` (the
 * api's fast path: one start per flush of accepted requests, not one per event). Events that
 * need routing get their own `webhook-event/<id>` workflow; events with nothing to do (no
 * target, no flow, not ordered) are finished together.
 */
export interface WebhookBatchInput {
  /**
   * The events, for batches started before their ids were recorded. Newer batches carry none:
   * the ids are in the batch's WebhookDispatch row (by workflow id), not in Temporal's history.
   */
  eventIds?: string[];
  searchAttributes?: boolean;
}

export function webhookBatchWorkflowId(eventIds: string[], redispatchedAt?: Date): string {
  const id = `webhook-batch/${eventIds[0]}+${eventIds.length}`;
  // The outbox's: an earlier batch of the same events may have closed without finishing them
  // (terminated by an operator), and its id stays taken for the namespace's retention.
  return redispatchedAt ? `${id}/outbox-${redispatchedAt.getTime().toString(36)}` : id;
}

/** One token-lifecycle workflow per OAuth connection: `connection-tokens/<connectionId>`. */
export function connectionTokensWorkflowId(connectionId: string): string {
  return `connection-tokens/${connectionId}`;
}

export interface ConnectionTokensInput {
  orgId: string;
  connectionId: string;
  /** Refresh cycles before continue-as-new (keeps history bounded); tests pass a tiny one. */
  maxCycles?: number;
  /** Carried across continue-as-new: cycles done by earlier runs (for the lastRefresh query). */
  totalRefreshes?: number;
  /** Carried across continue-as-new: the stamp of the token the last refresh stored. */
  tokenStamp?: string | null;
  /** Carried across continue-as-new: a refresh was asked for and not yet done. */
  refreshPending?: boolean;
  /**
   * How an unreachable token endpoint is retried before the connection becomes EXPIRED
   * (default 6 attempts from 5 s, ~15 min in all). Carried across continue-as-new.
   */
  refreshRetry?: { initialIntervalMs: number; maximumAttempts: number };
}

/**
 * `refreshNow` signal payload. `seen` is the connection's `updatedAt` (ISO) as read before the
 * failing call: a request about a token that a later refresh already replaced is dropped, which
 * is what coalesces a burst of 401s into one refresh. No `seen` (refreshConnection) = always refresh.
 */
export interface RefreshRequest {
  seen?: string | null;
}

export interface ConnectionTokensState {
  refreshes: number;
  lastRefreshAt: string | null;
  lastOutcome: 'refreshed' | 'expired' | null;
}

/** One outgoing Delivery = one workflow execution, `delivery/<deliveryId>`: starting twice is harmless. */
export function deliveryWorkflowId(deliveryId: string): string {
  return `delivery/${deliveryId}`;
}

/** The retry schedule of outgoing webhooks (ms before each attempt), before ±20 % jitter. */
export const DELIVERY_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** Deliveries failing this long without a success disable their subscription (5 days). */
export const DELIVERY_DISABLE_AFTER_MS = 5 * 24 * 3_600_000;

export interface DeliveryWorkflowInput {
  deliveryId: string;
  /** Overrides DELIVERY_SCHEDULE_MS (tests use short delays). */
  scheduleMs?: number[];
  /** Overrides DELIVERY_DISABLE_AFTER_MS. */
  disableAfterMs?: number;
  /** Started by replayDelivery: proceeds although an earlier execution claimed the delivery. */
  replay?: boolean;
  /**
   * Started by a delivery batch that claimed the delivery and made its first attempt(s): go on
   * from this attempt (the batch's Retry-After, if any, in retryAfterMs).
   */
  continueFrom?: { attempt: number; retryAfterMs?: number };
}

/**
 * First attempts of many deliveries in one workflow, `delivery-batch/<first id>+<count>`: each
 * delivery is claimed (once, whoever started it), posted, and only those that need another
 * attempt get a `delivery/<id>` workflow of their own.
 */
export interface DeliveryBatchInput {
  deliveryIds: string[];
  scheduleMs?: number[];
  disableAfterMs?: number;
}

export function deliveryBatchWorkflowId(deliveryIds: string[]): string {
  return `delivery-batch/${deliveryIds[0]}+${deliveryIds.length}`;
}

export interface DeliveryWorkflowResult {
  deliveryId: string;
  status: 'DELIVERED' | 'FAILED' | 'SKIPPED';
  attempts: number;
}

// ---- manifests and syncs (workflows/manifest.ts, workflows/sync.ts) -------------------------

export interface ManifestWorkflowInput {
  runId: string;
  /** A failed run is retried once after this delay (default one hour); 0 disables the retry. */
  retryAfterMs?: number;
}

export interface SyncWorkflowInput {
  stateId: string;
  runId: string;
  /** Carried across continue-as-new: the next page to fetch. */
  pageNo?: number;
  /** Pages per workflow execution before continue-as-new (keeps history bounded). */
  pagesPerExecution?: number;
}

export interface SyncWorkflowResult {
  runId: string;
  status: 'SUCCEEDED';
  pages: number;
  added: number;
  updated: number;
  deleted: number;
}

export interface ScheduledSyncInput {
  stateId: string;
}

/** One Temporal Schedule per connection sync: `sync/<syncStateId>`. */
export function syncScheduleId(stateId: string): string {
  return `sync/${stateId}`;
}

// ---- flows (workflows/flow.ts) ---------------------------------------------------------------

export interface FlowWorkflowInput {
  runId: string;
}

export interface ScheduledFlowInput {
  flowId: string;
  /** Whether the namespace has Patchbay's search attributes (the run's workflow then carries them). */
  searchAttributes?: boolean;
}

export interface TriggerPollInput {
  pollId: string;
  /** Whether the namespace has Patchbay's search attributes (the runs' workflows then carry them). */
  searchAttributes?: boolean;
}

/** A schedule-triggered flow's Temporal Schedule: `flow/<flowId>`. */
export function flowScheduleId(flowId: string): string {
  return `flow/${flowId}`;
}

/** The Temporal Schedule polling a flow's polling trigger: `trigger-poll/<pollId>`. */
export function triggerPollScheduleId(pollId: string): string {
  return `trigger-poll/${pollId}`;
}
