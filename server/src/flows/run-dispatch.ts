// Starts the workflows of queued flow runs. Runs are queued as rows wherever their trigger is
// decided — domain-event fan-out inside a database transaction, webhook and poll activities —
// and those places cannot (or must not) reach Temporal; the rows are the outbox. Every api
// process runs this dispatcher: it starts `run/<id>` for QUEUED FLOW runs without
// `dispatchedAt`, then stamps them. Runs a workflow queued and starts itself carry
// `dispatchedAt` from the start; one still QUEUED long after (its starter crashed between the
// two) is started here too — starting twice is harmless.
import { CHANNELS } from '@patchbay/db';
import { startFlowWorkflow } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import type { OutboxDispatcher, OutboxOptions } from '../webhooks/outbox.ts';
import { startWorkflowOutbox } from '../workflow-outbox.ts';

/** A run started this long ago and still QUEUED was probably never started. */
const STALLED_AFTER_MS = 2 * 60_000;

export function startFlowRunDispatcher(hub: Hub, options: OutboxOptions = {}): OutboxDispatcher {
  const { prisma } = hub.db;
  return startWorkflowOutbox(
    hub,
    {
      name: 'flow run',
      channel: CHANNELS.flowRuns,
      pending: async (limit, startedRecently) => {
        const rows = await prisma.run.findMany({
          where: {
            kind: 'FLOW',
            status: 'QUEUED',
            OR: [{ dispatchedAt: null }, { dispatchedAt: { lt: new Date(Date.now() - STALLED_AFTER_MS) } }],
            ...(startedRecently.length ? { id: { notIn: startedRecently } } : {}),
          },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          take: limit,
          select: { id: true },
        });
        return rows.map((r) => r.id);
      },
      start: async (id) => {
        const run = await prisma.run.findUniqueOrThrow({ where: { id }, select: { id: true, orgId: true, kind: true } });
        return startFlowWorkflow(hub.temporal, run);
      },
      started: (ids) => prisma.run.updateMany({ where: { id: { in: ids } }, data: { dispatchedAt: new Date() } }),
    },
    options,
  );
}
