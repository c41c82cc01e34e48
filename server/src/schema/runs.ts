// Runs: list, read, cancel, and watch live.
import { CHANNELS, RunKind, RunStatus, watchChannel } from '@patchbay/db';
import { runWorkflowId } from '@patchbay/workflows';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { liveStream } from '../services/live.ts';
import { z } from 'zod';
import { cancelRun, isTerminal, runAction, testAction } from '../services/runs.ts';
import { notFound } from '../errors.ts';
import { localId } from './ids.ts';

export const RunKindEnum = builder.enumType(RunKind, { name: 'RunKind' });
export const RunStatusEnum = builder.enumType(RunStatus, { name: 'RunStatus' });

const RunRef = builder.prismaNode('Run', {
  id: { field: 'id' },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    kind: t.expose('kind', { type: RunKindEnum }),
    status: t.expose('status', { type: RunStatusEnum }),
    action: t.exposeString('action', { nullable: true }),
    connection: t.relation('connection', { nullable: true }),
    endUserId: t.exposeString('endUserId', { nullable: true, description: "The app's end user the run was for" }),
    input: t.expose('input', { type: 'JSON', nullable: true }),
    output: t.expose('output', { type: 'JSON', nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    attempts: t.exposeInt('attempts'),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    workflowId: t.string({
      description: 'The Temporal workflow id (find the run in the Temporal Web UI by it)',
      select: { id: true },
      resolve: (run) => runWorkflowId(run.id),
    }),
  }),
});

builder.queryField('runs', (t) =>
  t.prismaConnection({
    type: 'Run',
    cursor: 'id',
    args: {
      kind: t.arg({ type: RunKindEnum }),
      status: t.arg({ type: RunStatusEnum }),
      connectionId: t.arg.id(),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.hub.db.prisma.run.findMany({
        ...query,
        where: {
          orgId: orgIdOf(ctx),
          ...(args.kind ? { kind: args.kind } : {}),
          ...(args.status ? { status: args.status } : {}),
          ...(args.connectionId ? { connectionId: localId(args.connectionId, 'Connection', 'connectionId') } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

builder.queryField('run', (t) =>
  t.prismaField({
    type: 'Run',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.hub.db.prisma.run.findFirst({ ...query, where: { id: localId(id, 'Run'), orgId: orgIdOf(ctx) } }),
  }),
);

builder.mutationField('cancelRun', (t) =>
  t.prismaField({
    type: 'Run',
    authScopes: { role: 'MEMBER' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, { id }, ctx) => cancelRun(ctx.hub, orgIdOf(ctx), localId(id, 'Run')),
  }),
);

builder.subscriptionField('runUpdated', (t) =>
  t.field({
    type: RunRef,
    description: 'The run now, then on every change until it finishes.',
    args: { id: t.arg.id({ required: true }) },
    subscribe: async (_root, { id }, ctx) => {
      const orgId = orgIdOf(ctx);
      const runId = localId(id, 'Run');
      const { prisma } = ctx.hub.db;
      // Listen first, then read: a change between the two is never missed.
      const notices = await watchChannel(ctx.hub.db, CHANNELS.run, orgId);
      const current = await prisma.run.findFirst({ where: { id: runId, orgId } });
      if (!current) {
        await notices.return?.();
        throw notFound('Run');
      }
      return liveStream(notices, {
        initial: async () => current,
        load: (notice) => (notice.id === runId ? prisma.run.findFirst({ where: { id: runId, orgId } }) : Promise.resolve(null)),
        isFinal: isTerminal,
      });
    },
    resolve: (run) => run,
  }),
);

const RunUserInput = builder.inputType('RunUserInput', {
  fields: (t) => ({
    id: t.string({ description: "The end user's id in your app" }),
    metadata: t.field({ type: 'JSON', description: 'Usable as {{ user.metadata.x }}; stored encrypted, never returned (PASSTHROUGH: { apiToken })' }),
  }),
  validate: z.looseObject({
    id: z.string().trim().min(1, 'user.id is empty').max(200, 'at most 200 characters').nullish(),
    metadata: z.record(z.string(), z.unknown(), 'user.metadata must be an object').nullish(),
  }),
});

const RunActionInput = builder.inputType('RunActionInput', {
  fields: (t) => ({
    connectionId: t.id({ required: true }),
    action: t.string({ required: true }),
    input: t.field({ type: 'JSON', description: 'The action input; strings may use {{ secrets.NAME }}, {{ connection.config.x }}' }),
    idempotencyKey: t.string({ description: 'The same key returns the same Run; the action executes once' }),
    outputMapping: t.field({ type: 'JSON', description: 'JSONPath mapping applied to the output, e.g. { "ticket_id": "$.id" }' }),
    user: t.field({ type: RunUserInput, description: "The app's end user the run is for: PER_USER connections use theirs, PASSTHROUGH ones their token from metadata" }),
  }),
  validate: z.looseObject({
    action: z.string().min(1, 'action is required').max(200),
    idempotencyKey: z.string().min(1).max(200, 'at most 200 characters').nullish(),
  }),
});

const ActionTestResult = builder
  .objectRef<{ success: boolean; responseTimeMs: number; output: unknown; error: string | null }>('ActionTestResult')
  .implement({
    fields: (t) => ({
      success: t.exposeBoolean('success'),
      responseTimeMs: t.exposeInt('responseTimeMs'),
      output: t.field({ type: 'JSON', nullable: true, resolve: (r) => r.output }),
      error: t.exposeString('error', { nullable: true }),
    }),
  });

function actionRequest(input: typeof RunActionInput.$inferInput) {
  return {
    connectionId: localId(input.connectionId, 'Connection', 'input.connectionId'),
    action: input.action,
    input: input.input ?? {},
    idempotencyKey: input.idempotencyKey,
    outputMapping: input.outputMapping,
    user: input.user ? { id: input.user.id?.trim() || undefined, metadata: (input.user.metadata ?? undefined) as Record<string, unknown> | undefined } : undefined,
  };
}

builder.mutationField('runAction', (t) =>
  t.prismaField({
    type: 'Run',
    authScopes: { role: 'MEMBER' },
    description: 'Starts a durable run; watch it with runUpdated',
    args: { input: t.arg({ type: RunActionInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) => runAction(ctx.hub, orgIdOf(ctx), actionRequest(input)),
  }),
);

builder.mutationField('testAction', (t) =>
  t.field({
    type: ActionTestResult,
    authScopes: { role: 'MEMBER' },
    description: 'Runs the action synchronously (playgrounds): no Run is recorded, no retries',
    args: { input: t.arg({ type: RunActionInput, required: true }) },
    resolve: (_root, { input }, ctx) => testAction(ctx.hub, orgIdOf(ctx), actionRequest(input)),
  }),
);
