// One incoming webhook event = one workflow execution, id `webhook-event/<eventId>` (so a
// second dispatch of the same event finds the first). The api has stored and acknowledged the
// event; this workflow routes it: transform (JSONPath) → target (start a Run of an action as a
// child workflow `run/<runId>`, forward the mapped payload, hand the request to a plugin's
// webhook trigger, or nothing) → PROCESSED/FAILED.
//
// Ordered endpoints (`options.ordered: true`): an event waits until every earlier event of its
// endpoint is finished. The finishing event signals the next one; a timer re-checks anyway, so
// a signal sent before the next workflow existed is never needed.
import {
  ApplicationFailure,
  condition,
  defineSignal,
  executeChild,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { searchAttributeKeys } from '../shared/search-attributes.ts';
import type { FinishInput, WebhookActivities } from '../activities/webhooks.ts';
import {
  NON_RETRYABLE_TYPES,
  runWorkflowId,
  webhookEventWorkflowId,
  type WebhookBatchInput,
  type WebhookEventWorkflowInput,
  type WebhookEventWorkflowResult,
} from '../shared/names.ts';
import { startFlowRun } from './flow.ts';
import { runWorkflow } from './run.ts';
import { failureMessage, startDetachedChild } from './common.ts';

// Reads and writes of our own database: quick, idempotent, retried through DB blips. Local
// activities: they run inside the workflow task, without a round trip through the Temporal
// server per step (the server's work per event is what bounds routing throughput).
const bookkeeping = proxyLocalActivities<WebhookActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// A batch's triage reads and writes hundreds of rows: a regular activity, so a worker catching up
// on a backlog runs many without holding their workflow tasks open (as local activities did).
// It retries until the database answers (no attempt limit): giving up would leave the batch's
// events DISPATCHED with no workflow left to finish them.
const triage = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// A plugin's trigger handler: plugin code, so a regular activity (its own timeout and retries).
const triggers = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// The forward: a receiver that is down gets retried for about an hour; 4xx / refused addresses are final.
const forwarding = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '15 minutes', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/** Sent by the previous event of an ordered endpoint when it finishes. */
export const predecessorFinishedSignal = defineSignal('webhookPredecessorFinished');

const MAX_WAIT_RECHECK_MS = 60_000;

const attributes = searchAttributeKeys;

export async function webhookEventWorkflow({ eventId, searchAttributes }: WebhookEventWorkflowInput): Promise<WebhookEventWorkflowResult> {
  let woken = false;
  setHandler(predecessorFinishedSignal, () => void (woken = true));

  let begin = await bookkeeping.beginWebhookEvent(eventId);
  for (let recheckMs = 2_000; begin.state === 'wait'; recheckMs = Math.min(recheckMs * 2, MAX_WAIT_RECHECK_MS)) {
    // `woken` is reset before the check, so a signal that arrives during it is not lost.
    await condition(() => woken, recheckMs);
    woken = false;
    begin = await bookkeeping.beginWebhookEvent(eventId);
  }
  if (begin.state !== 'ready') return { eventId, status: 'SKIPPED' };

  let result: FinishInput;
  let runId: string | undefined;
  try {
    if (begin.target === 'action') {
      const run = await bookkeeping.startWebhookEventRun(eventId);
      runId = run.runId;
      await executeChild(runWorkflow, {
        workflowId: runWorkflowId(run.runId),
        args: [{ runId: run.runId }],
        // The run is its own durable unit: ending this workflow never ends it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        ...(searchAttributes
          ? {
              typedSearchAttributes: [
                { key: attributes.OrgId, value: run.orgId },
                { key: attributes.RunKind, value: 'ACTION' },
                ...(run.connectionId ? [{ key: attributes.ConnectionId, value: run.connectionId }] : []),
                ...(run.integrationKey ? [{ key: attributes.IntegrationKey, value: run.integrationKey }] : []),
              ],
            }
          : {}),
      });
      result = { status: 'PROCESSED', runId };
    } else if (begin.target === 'trigger') {
      const { events } = await triggers.handleWebhookTrigger(eventId);
      result = { status: 'PROCESSED', triggerEvents: events };
    } else if (begin.target === 'forward') {
      const { status } = await forwarding.forwardWebhookEvent(eventId);
      result = { status: 'PROCESSED', forwardStatus: status };
    } else {
      result = { status: 'PROCESSED' };
    }
  } catch (err) {
    result = { status: 'FAILED', error: failureMessage(err, 'webhook event failed'), runId };
  }
  // Flows start whatever became of the target (a failed trigger produced no events to start them with).
  if (begin.flows) {
    try {
      const runs = await bookkeeping.queueWebhookFlowRuns(eventId);
      for (const run of runs) await startFlowRun(run.runId, run.orgId, searchAttributes);
      result.flowRuns = runs.map((r) => r.runId);
    } catch (err) {
      result = { status: 'FAILED', error: `Could not start its flows: ${failureMessage(err, 'webhook event failed')}`, runId };
    }
  }

  const { next } = await bookkeeping.finishWebhookEvent(eventId, result);
  if (next) {
    // Not started yet (still in the outbox) is fine: it checks its predecessors when it starts.
    await getExternalWorkflowHandle(webhookEventWorkflowId(next)).signal(predecessorFinishedSignal).catch(() => undefined);
  }
  if (result.status === 'FAILED') throw ApplicationFailure.nonRetryable(result.error ?? 'webhook event failed', 'WebhookEventFailed');
  return { eventId, status: 'PROCESSED', ...(runId ? { runId } : {}) };
}

/**
 * The api's fast path: one workflow for a flush of accepted events. Those with nothing to route
 * are finished together; each of the others gets its own `webhook-event/<id>` workflow, started
 * in arrival order (an id already used — the outbox got there first — is left to that one).
 */
export async function webhookBatchWorkflow({ eventIds, searchAttributes }: WebhookBatchInput): Promise<{ routed: number; finished: number }> {
  // Histories recorded before triage became a regular activity replay with the local one.
  const triaging = patched('webhook-batch-triage-activity') ? triage : bookkeeping;
  // A recorded batch's row goes with its triage, or, when it routes events, once they have their
  // workflows (a retried triage reads the same ids and routes the same events again).
  const { route, finished } = eventIds ? await triaging.triageWebhookEvents(eventIds) : await triage.triageRecordedWebhookBatch();
  for (const eventId of route) {
    await startDetachedChild(webhookEventWorkflow, {
      workflowId: webhookEventWorkflowId(eventId),
      args: [{ eventId, searchAttributes }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  }
  if (!eventIds && route.length) await bookkeeping.forgetWebhookBatch();
  return { routed: route.length, finished };
}
