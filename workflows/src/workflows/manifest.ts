// One manifest run (RunKind MANIFEST), workflow id `run/<runId>`: each request is an activity,
// `polling` waits on workflow timers, `continue_if` gates, and a failed run is retried once
// after `retryAfterMs` (ChiefOnboarding: one hour) — a durable timer, not a process timer.
import { ApplicationFailure, CancellationScope, isCancellation, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { ManifestActivities } from '../activities/manifests.ts';
import type { RunActivities } from '../activities/runs.ts';
import { NON_RETRYABLE_TYPES, type ManifestWorkflowInput, type RunWorkflowResult } from '../shared/names.ts';
import { failureMessage } from './common.ts';

const bookkeeping = proxyActivities<RunActivities & ManifestActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

const requests = proxyActivities<ManifestActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 4, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

// post_execute_notification: sending an email or a text can be slow or flaky; a few retries,
// then it is recorded as failed — it never turns a successful integration run into a failure.
const notifier = proxyActivities<ManifestActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

export async function manifestWorkflow({ runId, retryAfterMs = 3_600_000 }: ManifestWorkflowInput): Promise<RunWorkflowResult> {
  await bookkeeping.markRunStarted(runId);
  for (let attempt = 1; ; attempt++) {
    try {
      const plan = await bookkeeping.manifestBegin(runId);
      let exists: boolean | undefined;
      for (let index = 0; index < plan.steps.length; index++) {
        const polling = plan.steps[index]!.polling;
        const tries = polling?.amount ?? 1;
        let passed = false;
        for (let n = 0; n < tries && !passed; n++) {
          if (n > 0) await sleep(polling!.intervalMs);
          const result = await requests.manifestStep(runId, index);
          passed = result.passed;
          if (result.exists !== undefined) exists = result.exists;
        }
        if (!passed) {
          throw ApplicationFailure.nonRetryable(
            polling
              ? `request ${index}: continue_if not met after ${tries} polls (${Math.round((polling.intervalMs * (tries - 1)) / 1000)} s)`
              : `request ${index}: blocked by continue_if`,
            'ContinueIfNotMet',
          );
        }
      }
      await bookkeeping.manifestFinish(runId, exists === undefined ? {} : { exists });
      // Runs started before notifications were sent skip them on replay (their history has none).
      if (patched('manifest-post-execute-notification')) await notify(runId);
      await bookkeeping.finishRun(runId, { status: 'SUCCEEDED' });
      return { runId, status: 'SUCCEEDED' };
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => bookkeeping.finishRun(runId, { status: 'CANCELLED' }));
        throw err;
      }
      const message = failureMessage(err, 'manifest run failed');
      if (attempt === 1 && retryAfterMs > 0) {
        await bookkeeping.manifestRetryScheduled(runId, message, retryAfterMs);
        await sleep(retryAfterMs);
        continue;
      }
      await bookkeeping.finishRun(runId, { status: 'FAILED', error: message });
      throw ApplicationFailure.nonRetryable(message, 'RunFailed');
    }
  }
}

async function notify(runId: string): Promise<void> {
  try {
    await notifier.manifestNotify(runId);
  } catch (err) {
    if (isCancellation(err)) throw err;
    await bookkeeping.manifestNotificationFailed(runId, failureMessage(err, 'manifest run failed'));
  }
}
