// Runs: the row is written first (QUEUED), then its workflow is started. The workflow id is
// derived from the run, so a retried start or a repeated idempotency key never executes twice.
import { announceRunChange, Prisma, recordRunEvent, type Run, type RunKind } from '@patchbay/db';
import { cancelWorkflow, runWorkflowId, startRunWorkflow } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { conflict, notFound, unavailable } from '../errors.ts';

export const TERMINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export const isTerminal = (run: Pick<Run, 'status'>) => (TERMINAL_STATUSES as readonly string[]).includes(run.status);

export interface RunRequest {
  orgId: string;
  kind: RunKind;
  action?: string;
  connectionId?: string;
  integrationKey?: string;
  input?: Prisma.InputJsonValue;
  idempotencyKey?: string | null;
}

export async function startRun(hub: Hub, request: RunRequest): Promise<Run> {
  const { prisma } = hub.db;
  let run: Run;
  try {
    run = await prisma.run.create({
      data: {
        orgId: request.orgId,
        kind: request.kind,
        action: request.action,
        connectionId: request.connectionId,
        input: request.input,
        idempotencyKey: request.idempotencyKey ?? null,
      },
    });
  } catch (err) {
    if (request.idempotencyKey && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      const existing = await prisma.run.findFirstOrThrow({
        where: { orgId: request.orgId, idempotencyKey: request.idempotencyKey },
      });
      // The first caller may have crashed before starting the workflow; starting again is harmless.
      if (existing.status === 'QUEUED') await dispatch(hub, existing, request.integrationKey);
      return existing;
    }
    throw err;
  }
  await recordRunEvent(hub.db, run, 'queued');
  await dispatch(hub, run, request.integrationKey);
  return run;
}

async function dispatch(hub: Hub, run: Run, integrationKey?: string): Promise<void> {
  try {
    await startRunWorkflow(hub.temporal, { ...run, integrationKey });
  } catch (err) {
    hub.logger.error({ err, runId: run.id }, 'could not start the run workflow');
    await hub.db.prisma.run.updateMany({
      where: { id: run.id, status: 'QUEUED' },
      data: { status: 'FAILED', error: 'Could not start: the workflow service is unreachable', finishedAt: new Date() },
    });
    await announceRunChange(hub.db, { id: run.id, orgId: run.orgId });
    throw unavailable('The workflow service is unreachable; the run was not started. Retry with the same idempotencyKey.');
  }
}

/** Requests cancellation and waits (briefly) for the workflow to record it. */
export async function cancelRun(hub: Hub, orgId: string, runId: string, waitMs = 10_000): Promise<Run> {
  const run = await hub.db.prisma.run.findFirst({ where: { id: runId, orgId } });
  if (!run) throw notFound('Run');
  if (isTerminal(run)) throw conflict(`Run already ${run.status}; only QUEUED or RUNNING runs can be cancelled`);
  const workflowId = runWorkflowId(run.id);
  const found = await cancelWorkflow(hub.temporal, workflowId);
  if (!found) {
    await hub.db.prisma.run.updateMany({
      where: { id: run.id, status: { notIn: [...TERMINAL_STATUSES] } },
      data: { status: 'CANCELLED', finishedAt: new Date() },
    });
    await announceRunChange(hub.db, { id: run.id, orgId });
  } else {
    const settled = hub.temporal.client.workflow.getHandle(workflowId).result().catch(() => undefined);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
  }
  return hub.db.prisma.run.findUniqueOrThrow({ where: { id: run.id } });
}
