// Activities of the run lifecycle: the Run row is the source of truth; every transition is
// written here, announced to subscribers, and recorded in the activity feed.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { announceRunChange, fanOutActivities, runEventEntry, writeActivities, type Prisma, type Run, type RunEventVerb } from '@patchbay/db';
import { vaultContext } from '@patchbay/db/vault';
import { isPluginError, type Mapping } from '@patchbay/sdk';
import { runConnectionAction, type ActionCall } from '../runtime/actions.ts';
import { requestRefreshAndWait } from './connection-tokens.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { RunTerminalStatus } from '../shared/names.ts';

// Cancellation reaches an activity only through a heartbeat's answer, so beat often (the
// worker throttles what it actually sends; see maxHeartbeatThrottleInterval).
const HEARTBEAT_EVERY_MS = 1_000;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
const OAUTH_MODES: string[] = ['OAUTH2', 'OAUTH2_CLIENT_CREDENTIALS'];

/** The run's end user, with their metadata decrypted (it never travels through Temporal). */
function runUserOf(deps: ActivityDeps, run: Pick<Run, 'id' | 'endUserId' | 'userMetadata'>): ActionCall['user'] {
  if (!run.endUserId && !run.userMetadata) return undefined;
  const metadata = run.userMetadata ? deps.vault.decryptJson<Record<string, unknown>>(run.userMetadata, vaultContext.runUser(run.id)) : undefined;
  return { ...(run.endUserId ? { id: run.endUserId } : {}), ...(metadata ? { metadata } : {}) };
}

export function createRunActivities(deps: ActivityDeps) {
  const { db } = deps;
  const { prisma } = db;

  return {
    async markRunStarted(runId: string): Promise<void> {
      // Only a QUEUED run starts; a retried activity or a replay finds it RUNNING already.
      await transition({ id: runId, status: 'QUEUED' }, { status: 'RUNNING', startedAt: new Date() }, 'started');
    },

    async executeRun(runId: string): Promise<void> {
      const ctx = Context.current();
      const run = await prisma.run.update({ where: { id: runId }, data: { attempts: ctx.info.attempt } });
      await announceRunChange(db, { id: run.id, orgId: run.orgId });
      if (!run.connectionId || !run.action) {
        throw ApplicationFailure.nonRetryable('This run has no connection or action to execute', 'UnknownActionError');
      }
      const output = await callConnectionAction(deps, ctx, {
        orgId: run.orgId,
        connectionId: run.connectionId,
        action: run.action,
        input: run.input ?? {},
        outputMapping: run.outputMapping as Mapping | null,
        user: runUserOf(deps, run),
        bindings: { runId },
      });
      await prisma.run.update({ where: { id: runId }, data: { output: (output ?? null) as Prisma.InputJsonValue } });
    },

    async finishRun(runId: string, result: { status: RunTerminalStatus; error?: string }): Promise<void> {
      const verb = ({ SUCCEEDED: 'succeeded', FAILED: 'failed', CANCELLED: 'cancelled' } as const)[result.status];
      await transition(
        { id: runId, status: { notIn: [...TERMINAL] } },
        { status: result.status, error: result.error ?? null, finishedAt: new Date() },
        verb,
        result.error,
      );
    },
  };

  /**
   * Moves a run (if it is still where `where` expects it) and writes its feed entry in the same
   * transaction: whoever reads the new status finds the entry, and an activity that dies between
   * the two cannot leave a transition without its entry (its retry would find nothing to move).
   */
  async function transition(where: Prisma.RunWhereInput & { id: string }, data: Prisma.RunUpdateManyMutationInput, verb: RunEventVerb, error?: string) {
    const moved = await prisma.$transaction(async (tx) => {
      const { count } = await tx.run.updateMany({ where, data });
      if (count === 0) return null;
      const run = await tx.run.findUniqueOrThrow({ where: { id: where.id } });
      await fanOutActivities(tx, await writeActivities(tx, [runEventEntry(run, verb, error)]));
      return run;
    });
    if (moved) await announceRunChange(db, { id: moved.id, orgId: moved.orgId });
  }
}

export type RunActivities = ReturnType<typeof createRunActivities>;

/**
 * An action call from inside an activity: heartbeats (so cancellation reaches the action), and
 * maps failures to Temporal failures. An AuthError on an OAuth connection asks the token
 * workflow for a fresh token first (only that workflow refreshes: no races on the refresh
 * token), waits (bounded) for it to land, then fails retryably so Temporal retries with it.
 */
export async function callConnectionAction(deps: ActivityDeps, ctx: Context, call: Omit<ActionCall, 'signal'>): Promise<unknown> {
  const { prisma } = deps.db;
  // The stored token's version before the call: an AuthError then asks the token workflow to
  // replace *this* token, and a burst of such requests coalesces into one refresh.
  const tokenOf = await prisma.connection.findUnique({ where: { id: call.connectionId }, select: { authMode: true, updatedAt: true } });
  const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await runConnectionAction(deps, { ...call, signal: ctx.cancellationSignal });
  } catch (err) {
    // However the action reacted to the abort, report a cancellation, not a failure.
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    if (isPluginError(err) && err.kind === 'AUTH' && tokenOf && OAUTH_MODES.includes(tokenOf.authMode)) {
      const landed = await requestRefreshAndWait(deps, ctx.client, { orgId: call.orgId, connectionId: call.connectionId, seen: tokenOf.updatedAt.toISOString() })
        .catch((waitErr) => (deps.logger.warn({ err: waitErr, ...call.bindings }, 'could not request a token refresh'), false));
      if (landed) throw ApplicationFailure.create({ message: err.message, type: 'AuthError', nextRetryDelay: '200 milliseconds' });
    }
    throw toTemporalFailure(err);
  } finally {
    clearInterval(heartbeat);
  }
}

/** Plugin errors become Temporal failures whose type drives the workflow's retry policy. */
export function toTemporalFailure(err: unknown): unknown {
  if (!isPluginError(err)) return err;
  switch (err.kind) {
    case 'PERMANENT':
      return ApplicationFailure.nonRetryable(err.message, err.name === 'ActionInputError' ? 'InputValidationError' : 'PermanentError');
    case 'RATE_LIMIT':
      return ApplicationFailure.create({
        message: err.message,
        type: 'RateLimitError',
        nextRetryDelay: 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : undefined,
      });
    case 'AUTH':
      return ApplicationFailure.retryable(err.message, 'AuthError');
    default:
      return ApplicationFailure.retryable(err.message, 'TransientError');
  }
}
