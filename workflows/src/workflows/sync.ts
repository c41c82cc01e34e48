// One sync run (RunKind SYNC), workflow id `run/<runId>`: page after page, fetched and stored by
// syncPages activities that each commit page after page (one transaction per page: records,
// checkpoint and counts) for up to a minute, heartbeating; only counts and page numbers cross the
// workflow. Long syncs continue-as-new. A Schedule per connection sync starts
// scheduledSyncWorkflow, which creates the Run and runs this as a child with the same id scheme.
import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunActivities } from '../activities/runs.ts';
import type { SyncActivities } from '../activities/syncs.ts';
import { NON_RETRYABLE_TYPES, runWorkflowId, type ScheduledSyncInput, type SyncWorkflowInput, type SyncWorkflowResult } from '../shared/names.ts';
import { failureMessage } from './common.ts';

const bookkeeping = proxyActivities<RunActivities & SyncActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// Pages in batches: one regular activity commits page after page (each page its own transaction
// with the checkpoint, so nothing is redone or lost) for up to a minute, heartbeating. One page
// per activity cost a Temporal round trip per page (~8 ms of a ~20 ms page even as a local
// activity) and a history event per page. A worker that dies mid-batch stops heartbeating; after
// the heartbeat timeout the activity is retried elsewhere and goes on from the checkpoint in
// PostgreSQL (a committed page is not fetched or written again).
const batches = proxyActivities<SyncActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// Histories written before syncPages replay with one local activity per page.
const pages = proxyLocalActivities<SyncActivities>({
  startToCloseTimeout: '5 minutes',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/** Pages per execution before continue-as-new: a batch adds a handful of events, not one per page. */
const DEFAULT_PAGES_PER_EXECUTION = 10_000;
const LEGACY_PAGES_PER_EXECUTION = 250;
/** Pages per syncPages call at most (it also returns after about a minute). */
const PAGES_PER_BATCH = 1_000;

export async function syncWorkflow(input: SyncWorkflowInput): Promise<SyncWorkflowResult> {
  const { stateId, runId } = input;
  const continued = input.pageNo !== undefined;
  let pageNo = input.pageNo ?? 0;
  const budget = input.pagesPerExecution ?? DEFAULT_PAGES_PER_EXECUTION;
  let more = false;
  try {
    if (!continued) {
      await bookkeeping.markRunStarted(runId);
      await bookkeeping.syncBegin(stateId, runId);
    }
    if (patched('sync-page-batches')) {
      for (let executed = 0; ; ) {
        if (executed >= budget || workflowInfo().continueAsNewSuggested) {
          more = true;
          break;
        }
        const batch = await batches.syncPages(stateId, runId, pageNo, Math.min(PAGES_PER_BATCH, budget - executed));
        executed += Math.max(batch.nextPage - pageNo, 1);
        pageNo = batch.nextPage;
        if (batch.done) break;
      }
    } else {
      const legacyBudget = input.pagesPerExecution ?? LEGACY_PAGES_PER_EXECUTION;
      for (let executed = 0; ; executed++) {
        if (executed >= legacyBudget || workflowInfo().continueAsNewSuggested) {
          more = true;
          break;
        }
        const page = await pages.syncPage(stateId, runId, pageNo);
        pageNo++;
        if (page.done) break;
      }
    }
    if (!more) {
      const totals = await bookkeeping.syncFinish(stateId, runId);
      await bookkeeping.finishRun(runId, { status: 'SUCCEEDED' });
      return { runId, status: 'SUCCEEDED', ...totals };
    }
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await bookkeeping.syncAbandon(stateId, runId);
        await bookkeeping.finishRun(runId, { status: 'CANCELLED' });
      });
      throw err;
    }
    const message = failureMessage(err, 'sync failed');
    await bookkeeping.syncAbandon(stateId, runId);
    await bookkeeping.finishRun(runId, { status: 'FAILED', error: message });
    throw ApplicationFailure.nonRetryable(message, 'RunFailed');
  }
  return continueAsNew<typeof syncWorkflow>({ ...input, pageNo });
}

/** What a sync's Schedule starts: a Run row, then the run itself as a child (`run/<runId>`). */
export async function scheduledSyncWorkflow({ stateId }: ScheduledSyncInput): Promise<{ runId: string | null }> {
  const runId = await bookkeeping.createScheduledSyncRun(stateId);
  if (!runId) return { runId: null };
  await executeChild(syncWorkflow, {
    workflowId: runWorkflowId(runId),
    args: [{ stateId, runId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return { runId };
}
