// Small pieces every workflow of ours uses. Workflow code: imports @temporalio/workflow only.
import { ParentClosePolicy, startChild, type ChildWorkflowOptions, type Workflow } from '@temporalio/workflow';

/** The innermost message: activity and child failures wrap the ApplicationFailure that caused them. */
export function failureMessage(err: unknown, fallback: string): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message || fallback;
}

/**
 * Starts a child that is its own durable unit (ABANDON: it outlives this workflow). A child
 * already started under that id — by an earlier attempt, a dispatcher, an outbox — is fine.
 */
// (startChild's overloads do not type-check a generic spread; this signature checks the call sites.)
export async function startDetachedChild<T extends Workflow>(workflow: T, options: Omit<ChildWorkflowOptions, 'typeInfo' | 'parentClosePolicy'> & { workflowId: string; args: Parameters<T> }): Promise<void> {
  await startChild(workflow, { ...options, parentClosePolicy: ParentClosePolicy.ABANDON } as never).catch((err: unknown) => {
    if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
  });
}
