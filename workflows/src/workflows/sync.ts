// One sync run (RunKind SYNC), workflow id `run/<runId>`: page after page, each one activity
// that fetches and stores it; only counts and the page number cross the workflow. Long syncs
// continue-as-new. A Schedule per connection sync starts scheduledSyncWorkflow, which creates the
// Run and runs this as a child with the same id scheme.
import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunActivities } from '../activities/runs.ts';
import type { SyncActivities } from '../activities/syncs.ts';
import { NON_RETRYABLE_TYPES, runWorkflowId, type ScheduledSyncInput, type SyncWorkflowInput, type SyncWorkflowResult } from '../shared/names.ts';

const bookkeeping = proxyActivities<RunActivities & SyncActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// Pages are local activities: still one activity per page (each recorded in history, retried
// with backoff), but run by the worker holding the workflow task, without a round trip through
// the Temporal server per page — the difference between ~10 and ~100 pages/s. When a worker dies
// mid-page, the workflow task times out, another worker replays and re-runs the page, which the
// SyncState checkpoint makes idempotent (a committed page is not fetched or written again).
const pages = proxyLocalActivities<SyncActivities>({
  startToCloseTimeout: '5 minutes',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

const DEFAULT_PAGES_PER_EXECUTION = 250;

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
    for (let executed = 0; ; executed++) {
      if (executed >= budget || workflowInfo().continueAsNewSuggested) {
        more = true;
        break;
      }
      const page = await pages.syncPage(stateId, runId, pageNo);
      pageNo++;
      if (page.done) break;
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
    const message = failureMessage(err);
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

function failureMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message || 'sync failed';
}
