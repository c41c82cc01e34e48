// Runs: the row is written first (QUEUED), then its workflow is started. The workflow id is
// derived from the run, so a retried start or a repeated idempotency key never executes twice.
import { announceRunChange, Prisma, recordRunEvent, type Connection, type Run, type RunKind } from '@patchbay/db';
import { vaultContext } from '@patchbay/db/vault';
import { checkActionInput, type Mapping } from '@patchbay/sdk';
import { cancelWorkflow, resolvePlugin, runConnectionAction, runWorkflowId, startRunWorkflow } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { badInput, conflict, notFound, unavailable } from '../errors.ts';

export const TERMINAL_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export const isTerminal = (run: Pick<Run, 'status'>) => (TERMINAL_STATUSES as readonly string[]).includes(run.status);

export interface RunUser {
  id?: string;
  metadata?: Record<string, unknown>;
}

export interface RunRequest {
  orgId: string;
  kind: RunKind;
  action?: string;
  connectionId?: string;
  /** The app's end user; the metadata is stored encrypted (it may carry their token). */
  user?: RunUser;
  integrationKey?: string;
  input?: Prisma.InputJsonValue;
  outputMapping?: Prisma.InputJsonValue;
  idempotencyKey?: string | null;
}

export async function startRun(hub: Hub, request: RunRequest): Promise<Run> {
  const { prisma } = hub.db;
  let run: Run;
  try {
    run = await prisma.$transaction(async (tx) => {
      const created = await tx.run.create({
        data: {
          orgId: request.orgId,
          kind: request.kind,
          action: request.action,
          connectionId: request.connectionId,
          endUserId: request.user?.id ?? null,
          input: request.input,
          outputMapping: request.outputMapping,
          idempotencyKey: request.idempotencyKey ?? null,
        },
      });
      if (!request.user?.metadata) return created;
      // Sealed to the run's id, so the ciphertext means nothing on another row.
      return tx.run.update({ where: { id: created.id }, data: { userMetadata: hub.vault.encryptJson(request.user.metadata, vaultContext.runUser(created.id)) } });
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

export interface ActionRequest {
  connectionId: string;
  action: string;
  input?: unknown;
  idempotencyKey?: string | null;
  outputMapping?: unknown;
  user?: RunUser;
}

/**
 * Everything that can be checked before a run exists: the connection, the action, the input
 * against the action's schema (templated strings are checked at run time) and the mapping.
 */
export async function validateActionRequest(hub: Hub, orgId: string, request: ActionRequest) {
  const named = await hub.db.prisma.connection.findFirst({ where: { id: request.connectionId, orgId } });
  if (!named) throw notFound('Connection');
  const connection = await connectionForUser(hub, named, request.user);
  // Loaded plugins first, then the org's custom tools / manifests.
  const plugin = await resolvePlugin(hub, orgId, connection.integrationKey);
  if (!plugin) throw badInput(`Integration "${connection.integrationKey}" is not loaded in this hub`, [{ path: 'connectionId', message: 'integration not loaded' }]);
  const issues = checkActionInput(plugin, request.action, request.input);
  if (issues) {
    const scoped = issues.map((i) => ({ ...i, path: i.path === 'action' ? 'action' : i.path ? `input.${i.path}` : 'input' }));
    throw badInput(`Invalid action input: ${scoped.map((i) => `${i.path}: ${i.message}`).join('; ')}`, scoped);
  }
  if (request.outputMapping !== undefined && request.outputMapping !== null && !isMapping(request.outputMapping)) {
    throw badInput('outputMapping must be a JSONPath string or an object of them', [{ path: 'outputMapping', message: 'expected e.g. { "id": "$.id" }' }]);
  }
  return { connection, plugin };
}

/**
 * The connection a run really uses: a PER_USER connection sends it to the end user's own
 * ACTIVE connection to the same integration; a PASSTHROUGH one needs the user's metadata.
 */
async function connectionForUser(hub: Hub, connection: Connection, user: RunUser | undefined): Promise<Connection> {
  if (connection.tokenStrategy === 'PASSTHROUGH' && !user?.metadata) {
    throw badInput(`Connection "${connection.name}" passes the end user's own token through: give it in user.metadata`, [{ path: 'user.metadata', message: 'required by a PASSTHROUGH connection' }]);
  }
  if (connection.tokenStrategy !== 'PER_USER') return connection;
  if (!user?.id) throw badInput(`Connection "${connection.name}" is PER_USER: say whose account to use with user.id`, [{ path: 'user.id', message: 'required by a PER_USER connection' }]);
  const own = await hub.db.prisma.connection.findFirst({
    where: { orgId: connection.orgId, integrationKey: connection.integrationKey, endUserId: user.id, status: 'ACTIVE' },
    orderBy: { updatedAt: 'desc' },
  });
  if (!own) {
    throw badInput(`End user "${user.id}" has no active ${connection.integrationKey} connection yet: send them a connect link (createConnectLink)`, [{ path: 'user.id', message: 'not connected' }]);
  }
  return own;
}

export async function runAction(hub: Hub, orgId: string, request: ActionRequest): Promise<Run> {
  const { connection } = await validateActionRequest(hub, orgId, request);
  return startRun(hub, {
    orgId,
    kind: 'ACTION',
    action: request.action,
    connectionId: connection.id,
    integrationKey: connection.integrationKey,
    input: (request.input ?? {}) as Prisma.InputJsonValue,
    outputMapping: (request.outputMapping ?? undefined) as Prisma.InputJsonValue | undefined,
    idempotencyKey: request.idempotencyKey,
    user: request.user,
  });
}

const TEST_ACTION_TIMEOUT_MS = 30_000;

/** Runs the action right here, for playgrounds: no Run, no retries, a bounded wait. */
export async function testAction(hub: Hub, orgId: string, request: ActionRequest) {
  const { connection } = await validateActionRequest(hub, orgId, request);
  const started = performance.now();
  try {
    const output = await runConnectionAction(hub, {
      orgId,
      connectionId: connection.id,
      user: request.user,
      action: request.action,
      input: request.input ?? {},
      outputMapping: (request.outputMapping ?? null) as Mapping | null,
      signal: AbortSignal.timeout(TEST_ACTION_TIMEOUT_MS),
      bindings: { testAction: true },
    });
    return { success: true, responseTimeMs: Math.round(performance.now() - started), output, error: null };
  } catch (err) {
    return { success: false, responseTimeMs: Math.round(performance.now() - started), output: null, error: (err as Error).message };
  }
}

function isMapping(value: unknown): boolean {
  if (typeof value === 'string') return true;
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every(isMapping);
}
