// Flow runs are queued as rows — by the api (runFlow), by workflows (webhook events, trigger
// events, polls, schedules) and by the activity feed itself (flows triggered by domain events,
// see fanOutActivities) — inside the transaction that decided them, so a trigger is never
// acknowledged without its runs. The rows are the outbox: the api's flow-run dispatcher starts
// the `run/<id>` workflow of every QUEUED FLOW run not yet dispatched (a NOTIFY wakes it).
import { deliveryPayload, eventTypeMatches, type FanoutEvent } from './fanout.ts';
import type { Database } from './index.ts';
import type { Prisma, Run } from '../generated/client/client.ts';

type Transaction = Parameters<Parameters<Database['prisma']['$transaction']>[0]>[0];

/** A domain event of a flow run starts flows up to this chain depth (flows triggering flows end there). */
export const MAX_FLOW_CHAIN_DEPTH = 2;

export interface FlowRunRequest {
  orgId: string;
  flowId: string;
  version: number;
  /** The trigger payload ({{ trigger.* }}). */
  payload: unknown;
  /** Derived from what triggered the run: the same trigger queues the run once. */
  idempotencyKey: string;
  depth?: number;
  /** Set when the caller starts the workflow itself (runFlow, a schedule): the dispatcher leaves it. */
  dispatched?: boolean;
}

/** Creates the runs that do not exist yet (by idempotency key), inside the caller's transaction; answers the runs created now. */
export async function createFlowRuns(tx: Transaction, requests: FlowRunRequest[]): Promise<Run[]> {
  if (requests.length === 0) return [];
  const now = new Date();
  const created = await tx.run.createManyAndReturn({
    data: requests.map((r) => ({
      orgId: r.orgId,
      kind: 'FLOW' as const,
      flowId: r.flowId,
      flowVersion: r.version,
      input: (r.payload ?? {}) as Prisma.InputJsonValue,
      idempotencyKey: r.idempotencyKey,
      triggerDepth: r.depth ?? 0,
      dispatchedAt: r.dispatched ? now : null,
    })),
    skipDuplicates: true,
  });
  return created;
}

/** The runs of enabled flows whose `event` trigger matches these feed entries. */
export async function flowRunsForEvents(tx: Transaction, rows: FanoutEvent[]): Promise<FlowRunRequest[]> {
  const requests: FlowRunRequest[] = [];
  const flowsByOrg = new Map<string, Array<{ id: string; version: number; triggerEvents: string[] }>>();
  for (const row of rows) {
    const data = (row.data && typeof row.data === 'object' ? row.data : {}) as { flowId?: unknown; flowDepth?: unknown };
    const fromFlow = typeof data.flowId === 'string';
    const depth = fromFlow ? Number(data.flowDepth ?? 0) + 1 : 0;
    if (depth > MAX_FLOW_CHAIN_DEPTH) continue;
    let flows = flowsByOrg.get(row.orgId);
    if (!flows) {
      flows = await tx.flow.findMany({ where: { orgId: row.orgId, enabled: true, deletedAt: null, triggerType: 'EVENT' }, select: { id: true, version: true, triggerEvents: true } });
      flowsByOrg.set(row.orgId, flows);
    }
    for (const flow of flows) {
      // A flow never triggers itself (a run.failed flow failing would run forever).
      if (fromFlow && data.flowId === flow.id) continue;
      if (!flow.triggerEvents.some((pattern) => eventTypeMatches(pattern, row.type))) continue;
      requests.push({ orgId: row.orgId, flowId: flow.id, version: flow.version, payload: deliveryPayload(row), idempotencyKey: `event:${row.id}:${flow.id}`, depth });
    }
  }
  return requests;
}
