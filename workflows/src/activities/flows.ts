// Activities of flow runs. The Run and its RunStep rows are the source of truth: the workflow
// carries ids and step keys only, each step reads the run's version of the flow and the earlier
// steps' outputs from the database, and records itself (input after templating with secret
// references left unrendered, output or error, attempts, duration).
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { announceRunChange, fanOutActivities, Prisma, queueFlowRunsWithEntries, recordActivity, writeActivities, type Run, type RunStep } from '@patchbay/db';
import { executePoll, isPluginError } from '@patchbay/sdk';
import { checkConnectionTargets, loadConnection } from '../runtime/actions.ts';
import { networkGuardFor } from '../runtime/network-guard.ts';
import { scrubString, secretValues } from '../runtime/scrub.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { FlowDefinitionSchema, type FlowDefinition, type FlowStepType, type RetryPolicy } from '../flows/definition.ts';
import { executeStep, type Next } from '../flows/steps.ts';
import { flowScope } from '../flows/variables.ts';
import { toTemporalFailure } from './runs.ts';

export interface FlowPlanStep {
  key: string;
  type: FlowStepType;
  retry: RetryPolicy | null;
}

export interface FlowPlan {
  flowId: string;
  steps: FlowPlanStep[];
}

export interface StepOutcome {
  next: Next;
  waitMs?: number;
}

/** A poll's outcome; the workflow starts the runs (a run left unstarted by a crash is the dispatcher's). */
export interface PollOutcome {
  events: number;
  runs: Array<{ runId: string; orgId: string }>;
  error?: string;
  skipped?: boolean;
}

export type StepEnd = { status: 'SUCCEEDED'; output?: unknown } | { status: 'CANCELLED' | 'FAILED'; error: string };

const HEARTBEAT_EVERY_MS = 1_000;

const json = (value: unknown) => (value === undefined ? Prisma.DbNull : (value as Prisma.InputJsonValue));

export function createFlowActivities(deps: ActivityDeps) {
  const { db } = deps;
  const { prisma } = db;

  async function loadRun(runId: string): Promise<{ run: Run; definition: FlowDefinition; flow: { id: string; name: string; version: number } }> {
    const run = await prisma.run.findUnique({ where: { id: runId } });
    if (!run || run.kind !== 'FLOW' || !run.flowId || !run.flowVersion) throw ApplicationFailure.nonRetryable('This run is not a flow run', 'PermanentError');
    const version = await prisma.flowVersion.findUnique({ where: { flowId_version: { flowId: run.flowId, version: run.flowVersion } }, include: { flow: { select: { name: true } } } });
    if (!version) throw ApplicationFailure.nonRetryable(`Version ${run.flowVersion} of the flow no longer exists`, 'PermanentError');
    const parsed = FlowDefinitionSchema.safeParse({ trigger: version.trigger, steps: version.steps });
    if (!parsed.success) throw ApplicationFailure.nonRetryable(`The stored flow definition is invalid: ${parsed.error.issues[0]?.message}`, 'PermanentError');
    return { run, definition: parsed.data, flow: { id: run.flowId, name: version.flow.name, version: run.flowVersion } };
  }

  async function announce(run: Pick<Run, 'id' | 'orgId'>) {
    await announceRunChange(db, { id: run.id, orgId: run.orgId });
  }

  async function stepEntry(run: Run, step: Pick<RunStep, 'key' | 'type' | 'durationMs' | 'attempts'>, outcome: 'succeeded' | 'failed', error?: string) {
    await recordActivity(db, {
      orgId: run.orgId,
      type: `run.step.${outcome}`,
      level: outcome === 'failed' ? 'error' : 'info',
      message: `Step "${step.key}" (${step.type}) ${outcome}${error ? `: ${error}` : ''}`,
      runId: run.id,
      data: { kind: 'FLOW', flowId: run.flowId, flowDepth: run.triggerDepth, step: step.key, stepType: step.type, attempts: step.attempts, durationMs: step.durationMs },
    });
  }

  return {
    /** The run's version of the flow, as the workflow needs it: step keys, types and retry policies. */
    async planFlowRun(runId: string): Promise<FlowPlan> {
      const { definition, flow } = await loadRun(runId);
      return { flowId: flow.id, steps: definition.steps.map((s) => ({ key: s.key, type: s.type, retry: 'retry' in s && s.retry ? s.retry : null })) };
    },

    async executeFlowStep(runId: string, key: string): Promise<StepOutcome> {
      const ctx = Context.current();
      const { run, definition, flow } = await loadRun(runId);
      const position = definition.steps.findIndex((s) => s.key === key);
      const step = definition.steps[position];
      if (!step) throw ApplicationFailure.nonRetryable(`The flow has no step "${key}"`, 'PermanentError');
      const earlier = await prisma.runStep.findMany({ where: { runId, position: { lt: position } }, orderBy: { position: 'asc' } });
      const started = new Date();
      const record = await prisma.runStep.upsert({
        where: { runId_key: { runId, key } },
        create: { runId, key, type: step.type, position, status: 'RUNNING', attempts: ctx.info.attempt, startedAt: started },
        update: { status: 'RUNNING', attempts: ctx.info.attempt, error: null },
      });
      await announce(run);
      const scope = flowScope({ trigger: run.input, steps: earlier, flow, runId });
      const finished = () => ({ finishedAt: new Date(), durationMs: Date.now() - record.startedAt.getTime() });
      // Beats for the whole step (a slow receiver is not a dead worker), and lets a cancellation in.
      const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const result = await executeStep(step, {
          deps,
          ctx,
          orgId: run.orgId,
          runId,
          scope,
          recordInput: async (input) => void (await prisma.runStep.update({ where: { id: record.id }, data: { input: json(input) } })),
        });
        if (result.waitMs !== undefined) {
          await prisma.runStep.update({ where: { id: record.id }, data: { status: 'WAITING', input: json(result.input), output: json({ until: new Date(Date.now() + result.waitMs).toISOString() }) } });
          await announce(run);
          return { next: result.next, waitMs: result.waitMs };
        }
        const done = await prisma.runStep.update({ where: { id: record.id }, data: { status: 'SUCCEEDED', input: json(result.input), output: json(result.output ?? null), ...finished() } });
        await stepEntry(run, done, 'succeeded');
        await announce(run);
        return { next: result.next };
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        const message = errorMessage(err);
        const failed = await prisma.runStep.update({ where: { id: record.id }, data: { status: 'FAILED', error: message, ...finished() } });
        await stepEntry(run, failed, 'failed', message);
        await announce(run);
        throw toTemporalFailure(err);
      } finally {
        clearInterval(heartbeat);
      }
    },

    /** A waiting (delay) step is over, or a step ends because the run was cancelled. */
    async finishFlowStep(runId: string, key: string, end: StepEnd): Promise<void> {
      const record = await prisma.runStep.findUnique({ where: { runId_key: { runId, key } } });
      if (!record || ['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'].includes(record.status)) return;
      const data = {
        status: end.status,
        finishedAt: new Date(),
        durationMs: Date.now() - record.startedAt.getTime(),
        ...(end.status === 'SUCCEEDED' ? { output: json(end.output ?? record.output) } : { error: end.error }),
      };
      const done = await prisma.runStep.update({ where: { id: record.id }, data });
      const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
      if (end.status !== 'CANCELLED') await stepEntry(run, done, end.status === 'SUCCEEDED' ? 'succeeded' : 'failed', end.status === 'FAILED' ? end.error : undefined);
      await announce(run);
    },

    /** Steps a condition (or a stop) passed over, recorded as SKIPPED so the run's history shows every step. */
    async skipFlowSteps(runId: string, keys: string[], reason: string): Promise<void> {
      if (keys.length === 0) return;
      const { run, definition } = await loadRun(runId);
      const now = new Date();
      await prisma.runStep.createMany({
        data: keys.map((key) => {
          const position = definition.steps.findIndex((s) => s.key === key);
          return { runId, key, type: definition.steps[position]?.type ?? 'unknown', position, status: 'SKIPPED' as const, error: reason, startedAt: now, finishedAt: now, durationMs: 0 };
        }),
        skipDuplicates: true,
      });
      await announce(run);
    },

    /** The run's output: every succeeded step's output by key. */
    async completeFlowRun(runId: string): Promise<void> {
      const steps = await prisma.runStep.findMany({ where: { runId, status: 'SUCCEEDED' }, orderBy: { position: 'asc' }, select: { key: true, output: true } });
      await prisma.run.update({ where: { id: runId }, data: { output: { steps: Object.fromEntries(steps.map((s) => [s.key, s.output])) } as Prisma.InputJsonValue } });
    },

    /**
     * A schedule fired: the run of this firing (created once: its key is the firing's workflow
     * id), or null when the flow is no longer enabled.
     */
    async createScheduledFlowRun(flowId: string, firing: string): Promise<{ runId: string; orgId: string } | null> {
      const flow = await prisma.flow.findUnique({ where: { id: flowId }, include: { versions: { orderBy: { version: 'desc' }, take: 1 } } });
      if (!flow || !flow.enabled || flow.deletedAt || flow.triggerType !== 'SCHEDULE') return null;
      const trigger = flow.versions[0]?.trigger as { payload?: Record<string, unknown> } | undefined;
      const payload = { ...trigger?.payload, scheduledAt: new Date().toISOString() };
      const idempotencyKey = `schedule:${firing}`;
      await prisma.$transaction((tx) => queueFlowRunsWithEntries(tx, [{ orgId: flow.orgId, flowId, version: flow.version, payload, idempotencyKey, dispatched: true }]));
      const run = await prisma.run.findFirstOrThrow({ where: { orgId: flow.orgId, idempotencyKey }, select: { id: true } });
      return { runId: run.id, orgId: flow.orgId };
    },

    /**
     * One poll of a flow's polling trigger. The new cursor, the poll's outcome, the
     * `trigger.fired` entries and the flow runs of the new events commit together, so an event
     * is never fired twice nor lost. The first poll only sets the starting point: a flow fires
     * for what arrives after it was enabled, not for the mailbox's history.
     */
    async pollFlowTrigger(pollId: string): Promise<PollOutcome> {
      const poll = await prisma.triggerPoll.findUnique({ where: { id: pollId }, include: { flow: true } });
      if (!poll || !poll.flow.enabled || poll.flow.deletedAt) return { events: 0, runs: [], skipped: true };
      let hidden: string[] = [];
      let result: { events: unknown[]; cursor?: unknown };
      try {
        const connection = await loadConnection(deps, poll.orgId, poll.connectionId);
        hidden = secretValues(connection.credentials);
        await checkConnectionTargets(deps, connection.config);
        result = await executePoll({
          plugin: connection.plugin,
          mode: connection.row.authMode,
          credentials: connection.credentials,
          config: connection.config,
          trigger: poll.trigger,
          settings: poll.settings ?? undefined,
          cursor: poll.cursor ?? undefined,
          signal: Context.current().cancellationSignal,
          http: networkGuardFor(deps),
        });
      } catch (err) {
        const error = scrubString(errorMessage(err), hidden);
        await prisma.triggerPoll.update({ where: { id: pollId }, data: { lastPolledAt: new Date(), lastError: error } });
        if (poll.lastError !== error) {
          await recordActivity(db, { orgId: poll.orgId, type: 'trigger.poll_failed', level: 'warn', message: `Polling "${poll.trigger}" for flow "${poll.flow.name}" failed: ${error}`, connectionId: poll.connectionId, data: { flowId: poll.flowId, trigger: poll.trigger } });
        }
        return { events: 0, runs: [], error };
      }
      const baseline = poll.cursor === null;
      const events = baseline ? [] : result.events;
      const from = createHash('sha256').update(JSON.stringify(poll.cursor ?? null)).digest('base64url').slice(0, 16);
      const now = new Date();
      const runs = await prisma.$transaction(async (tx) => {
        // Only one poll moves a cursor from where it was (a concurrent one finds it moved).
        const { count } = await tx.triggerPoll.updateMany({
          where: { id: pollId, updatedAt: poll.updatedAt },
          data: { cursor: json(result.cursor ?? poll.cursor), lastPolledAt: now, lastError: null, ...(events.length ? { eventsFired: { increment: events.length }, lastEventAt: now } : {}) },
        });
        if (count === 0 || events.length === 0) return [];
        const fired = await writeActivities(
          tx,
          events.map((event, index) => ({
            orgId: poll.orgId,
            type: 'trigger.fired',
            message: `${poll.integrationKey} trigger "${poll.trigger}" fired for flow "${poll.flow.name}"`,
            connectionId: poll.connectionId,
            data: { integrationKey: poll.integrationKey, trigger: poll.trigger, flowId: poll.flowId, index, event } as Prisma.InputJsonValue,
          })),
        );
        await fanOutActivities(tx, fired);
        return queueFlowRunsWithEntries(
          tx,
          events.map((event, index) => ({ orgId: poll.orgId, flowId: poll.flowId, version: poll.flow.version, payload: event, idempotencyKey: `poll:${pollId}:${from}:${index}`, dispatched: true })),
        );
      });
      return { events: events.length, runs: runs.map((run) => ({ runId: run.id, orgId: run.orgId })) };
    },
  };
}

export type FlowActivities = ReturnType<typeof createFlowActivities>;

function errorMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause && !isPluginError(current)) current = current.cause as typeof current;
  return current?.message || String(err);
}
