// Activities of the run lifecycle: the Run row is the source of truth; every transition is
// written here, announced to subscribers, and recorded in the activity feed.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { announceRunChange, recordRunEvent, type Prisma } from '@patchbay/db';
import { isPluginError, type ActionLogger } from '@patchbay/sdk';
import type { ActivityDeps, Log } from '../shared/deps.ts';
import type { RunTerminalStatus } from '../shared/names.ts';

// Cancellation reaches an activity only through a heartbeat's answer, so beat often (the
// worker throttles what it actually sends; see maxHeartbeatThrottleInterval).
const HEARTBEAT_EVERY_MS = 1_000;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

export function createRunActivities({ db, plugins, logger }: ActivityDeps) {
  const { prisma } = db;

  return {
    async markRunStarted(runId: string): Promise<void> {
      // Only a QUEUED run starts; a retried activity or a replay finds it RUNNING already.
      const { count } = await prisma.run.updateMany({
        where: { id: runId, status: 'QUEUED' },
        data: { status: 'RUNNING', startedAt: new Date() },
      });
      if (count === 0) return;
      const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
      await announceRunChange(db, { id: run.id, orgId: run.orgId });
      await recordRunEvent(db, run, 'started');
    },

    async executeRun(runId: string): Promise<void> {
      const ctx = Context.current();
      const run = await prisma.run.update({
        where: { id: runId },
        data: { attempts: ctx.info.attempt },
        include: { connection: { select: { integrationKey: true } } },
      });
      await announceRunChange(db, { id: run.id, orgId: run.orgId });
      const pluginKey = run.connection?.integrationKey;
      const action = pluginKey && run.action ? plugins.findAction(pluginKey, run.action) : undefined;
      if (!action) {
        throw ApplicationFailure.nonRetryable(
          `Unknown action "${run.action}" for integration "${pluginKey ?? 'none'}"`,
          'UnknownActionError',
        );
      }
      const input = action.input.safeParse(run.input ?? {});
      if (!input.success) {
        throw ApplicationFailure.nonRetryable(`Invalid input: ${input.error.message}`, 'InputValidationError');
      }

      const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const output = await action.run({
          input: input.data,
          signal: ctx.cancellationSignal,
          logger: actionLogger(logger, { runId, action: run.action }),
        });
        const checked = action.output ? action.output.safeParse(output) : { success: true as const, data: output };
        if (!checked.success) {
          throw ApplicationFailure.nonRetryable(`Action returned invalid output: ${checked.error.message}`, 'PermanentError');
        }
        await prisma.run.update({
          where: { id: runId },
          data: { output: (checked.data ?? null) as Prisma.InputJsonValue },
        });
      } catch (err) {
        // However the action reacted to the abort, report a cancellation, not a failure.
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        throw toTemporalFailure(err);
      } finally {
        clearInterval(heartbeat);
      }
    },

    async finishRun(runId: string, result: { status: RunTerminalStatus; error?: string }): Promise<void> {
      const { count } = await prisma.run.updateMany({
        where: { id: runId, status: { notIn: [...TERMINAL] } },
        data: { status: result.status, error: result.error ?? null, finishedAt: new Date() },
      });
      if (count === 0) return;
      const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
      await announceRunChange(db, { id: run.id, orgId: run.orgId });
      const verb = ({ SUCCEEDED: 'succeeded', FAILED: 'failed', CANCELLED: 'cancelled' } as const)[result.status];
      await recordRunEvent(db, run, verb, result.error);
    },
  };
}

export type RunActivities = ReturnType<typeof createRunActivities>;

/** Plugin errors become Temporal failures whose type drives the workflow's retry policy. */
function toTemporalFailure(err: unknown): unknown {
  if (!isPluginError(err)) return err;
  switch (err.kind) {
    case 'PERMANENT':
      return ApplicationFailure.nonRetryable(err.message, 'PermanentError');
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

function actionLogger(log: Log, bindings: Record<string, unknown>): ActionLogger {
  const at = (level: keyof Log) => (msg: string, data?: Record<string, unknown>) => log[level]({ ...bindings, ...data }, msg);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
