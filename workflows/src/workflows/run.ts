// One Run = one workflow execution (id `run/<runId>`). The workflow only orchestrates the
// run's lifecycle; every read and write happens in activities.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import type { RunActivities } from '../activities/runs.ts';
import { NON_RETRYABLE_TYPES, type RunWorkflowInput, type RunWorkflowResult } from '../shared/names.ts';
import { failureMessage } from './common.ts';

// Bookkeeping writes to our own database: quick, idempotent, retried through DB blips.
const bookkeeping = proxyActivities<RunActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

// The provider call: heartbeats so cancellation reaches it; permanent failures are not retried.
const provider = proxyActivities<RunActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

export async function runWorkflow({ runId }: RunWorkflowInput): Promise<RunWorkflowResult> {
  try {
    await bookkeeping.markRunStarted(runId);
    await provider.executeRun(runId);
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => bookkeeping.finishRun(runId, { status: 'CANCELLED' }));
      throw err;
    }
    const message = failureMessage(err, 'run failed');
    await bookkeeping.finishRun(runId, { status: 'FAILED', error: message });
    throw ApplicationFailure.nonRetryable(message, 'RunFailed');
  }
  await bookkeeping.finishRun(runId, { status: 'SUCCEEDED' });
  return { runId, status: 'SUCCEEDED' };
}
