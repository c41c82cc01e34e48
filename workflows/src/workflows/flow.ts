// One flow run = one workflow execution, `run/<runId>`. The workflow walks the run's version of
// the flow step by step; each step is one activity that reads what it needs from the database
// and records itself. A completed step is in the workflow's history, so a worker that dies
// mid-run resumes at the step in progress and never repeats a completed one.
//
// Cancellation (cancelRun) stops the flow between steps: a step in progress finishes (its side
// effect is not left half done), a delay is cut short, and the rest is recorded as SKIPPED.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { FlowActivities, FlowPlanStep } from '../activities/flows.ts';
import type { RunActivities } from '../activities/runs.ts';
import { searchAttributeKeys } from '../shared/search-attributes.ts';
import { NON_RETRYABLE_TYPES, runWorkflowId, type FlowWorkflowInput, type RunWorkflowResult, type ScheduledFlowInput, type TriggerPollInput } from '../shared/names.ts';
import { failureMessage, startDetachedChild } from './common.ts';

// Our own bookkeeping: quick, idempotent, retried through database blips.
const bookkeeping = proxyLocalActivities<RunActivities & FlowActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

const DEFAULT_STEP_RETRY = { maximumAttempts: 3, initialIntervalSeconds: 2, backoffCoefficient: 2, maximumIntervalSeconds: 300 };

/** A step's activity with its own retry policy (the step's `retry`, or three attempts). */
function stepActivities(step: FlowPlanStep) {
  const retry = step.retry ?? DEFAULT_STEP_RETRY;
  const options: ActivityOptions = {
    startToCloseTimeout: '5 minutes',
    heartbeatTimeout: '30 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      maximumAttempts: retry.maximumAttempts,
      initialInterval: retry.initialIntervalSeconds * 1000,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalSeconds * 1000,
      nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
    },
  };
  return proxyActivities<FlowActivities>(options);
}

export async function flowWorkflow({ runId }: FlowWorkflowInput): Promise<RunWorkflowResult> {
  const root = CancellationScope.current();
  let current: string | undefined;
  let plan: FlowPlanStep[] = [];
  let index = 0;
  try {
    await bookkeeping.markRunStarted(runId);
    plan = (await bookkeeping.planFlowRun(runId)).steps;
    while (index < plan.length) {
      if (root.consideredCancelled) throw new CancelledFailure('the run was cancelled');
      const step = plan[index]!;
      current = step.key;
      // The step runs to its end even when a cancellation arrives meanwhile.
      const outcome = await CancellationScope.nonCancellable(() => stepActivities(step).executeFlowStep(runId, step.key));
      if (outcome.waitMs !== undefined) {
        await sleep(outcome.waitMs);
        await bookkeeping.finishFlowStep(runId, step.key, { status: 'SUCCEEDED' });
      }
      current = undefined;
      if (outcome.next === 'stop') {
        await bookkeeping.skipFlowSteps(runId, plan.slice(index + 1).map((s) => s.key), `a condition ("${step.key}") stopped the flow`);
        break;
      }
      if (typeof outcome.next === 'object') {
        const target = plan.findIndex((s) => s.key === (outcome.next as { goto: string }).goto);
        await bookkeeping.skipFlowSteps(runId, plan.slice(index + 1, target).map((s) => s.key), `a condition ("${step.key}") jumped to "${plan[target]?.key}"`);
        index = target;
        continue;
      }
      index++;
    }
  } catch (err) {
    if (isCancellation(err) || root.consideredCancelled) {
      await CancellationScope.nonCancellable(async () => {
        if (current) await bookkeeping.finishFlowStep(runId, current, { status: 'CANCELLED', error: 'the run was cancelled' });
        await bookkeeping.skipFlowSteps(runId, plan.slice(index + 1).map((s) => s.key), 'the run was cancelled');
        await bookkeeping.finishRun(runId, { status: 'CANCELLED' });
      });
      throw isCancellation(err) ? err : new CancelledFailure('the run was cancelled');
    }
    const cause = failureMessage(err, 'flow run failed');
    const message = current ? `Step "${current}" failed: ${cause}` : cause;
    // A step that timed out (its worker died, say) could not record its own failure.
    if (current) await bookkeeping.finishFlowStep(runId, current, { status: 'FAILED', error: cause });
    await bookkeeping.skipFlowSteps(runId, plan.slice(index + 1).map((s) => s.key), `step "${current}" failed`);
    await bookkeeping.finishRun(runId, { status: 'FAILED', error: message });
    throw ApplicationFailure.nonRetryable(message, 'RunFailed');
  }
  await bookkeeping.completeFlowRun(runId);
  await bookkeeping.finishRun(runId, { status: 'SUCCEEDED' });
  return { runId, status: 'SUCCEEDED' };
}

/** Started by a flow's Temporal Schedule: creates this firing's run and starts it (without waiting for it). */
export async function scheduledFlowWorkflow({ flowId, searchAttributes }: ScheduledFlowInput): Promise<{ runId: string | null }> {
  const created = await bookkeeping.createScheduledFlowRun(flowId, workflowInfo().workflowId);
  if (!created) return { runId: null };
  await startFlowRun(created.runId, created.orgId, searchAttributes);
  return { runId: created.runId };
}

/**
 * Starts a flow run's workflow beside the caller (ABANDON: the run is its own durable unit,
 * whatever becomes of the workflow that queued it).
 */
export async function startFlowRun(runId: string, orgId: string, searchAttributes: boolean | undefined): Promise<void> {
  await startDetachedChild(flowWorkflow, {
    workflowId: runWorkflowId(runId),
    args: [{ runId }],
    ...(searchAttributes ? { typedSearchAttributes: [{ key: searchAttributeKeys.OrgId, value: orgId }, { key: searchAttributeKeys.RunKind, value: 'FLOW' }] } : {}),
  });
}

// A poll calls the provider: a regular activity. A failed poll is recorded and retried by the
// next scheduled poll, so it is not retried here beyond a blip.
const polling = proxyActivities<FlowActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
});

/** Started by a polling trigger's Temporal Schedule: one poll, then the runs of what it found. */
export async function triggerPollWorkflow({ pollId, searchAttributes }: TriggerPollInput): Promise<{ events: number; runs: number; error?: string }> {
  const outcome = await polling.pollFlowTrigger(pollId);
  for (const run of outcome.runs) await startFlowRun(run.runId, run.orgId, searchAttributes);
  return { events: outcome.events, runs: outcome.runs.length, ...(outcome.error ? { error: outcome.error } : {}) };
}
