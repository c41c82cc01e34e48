// Flows: a trigger and ordered steps, versioned; their runs (Runs of kind FLOW) with per-step
// records. ADMIN/OWNER define and switch flows; MEMBER can run one by hand; any role reads.
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import type { Hub } from '../context.ts';
import { createFlow, deleteFlow, pollFlowTrigger, publicDefinition, runFlow, setFlowEnabled, updateFlow } from '../services/flows.ts';
import { webhookEndpointUrl } from '../services/webhooks.ts';
import { localId } from './ids.ts';
import { RunStatusEnum } from './runs.ts';

const DEFINITION_HELP = 'See the README (Flows): trigger { type: manual | webhook | plugin | email | schedule | event, … }';
const STEPS_HELP = '[{ key, type: action | condition | delay | send_webhook | assign_team_member, … }]; strings may use {{ trigger.x }}, {{ steps.<key>.output.y }}, {{ secrets.X }}, {name}';

const FlowVersionRef = builder.prismaObject('FlowVersion', {
  description: 'One version of a flow: editing the trigger or steps adds one; a run keeps the version it started with.',
  fields: (t) => ({
    version: t.exposeInt('version'),
    trigger: t.field({ type: 'JSON', select: { trigger: true, steps: true }, resolve: (v) => publicDefinition(v).trigger }),
    steps: t.field({ type: 'JSON', select: { trigger: true, steps: true }, resolve: (v) => publicDefinition(v).steps }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('TriggerPoll', {
  name: 'FlowTriggerPoll',
  description: "The poll of a flow's polling trigger (e.g. an email inbox)",
  fields: (t) => ({
    integrationKey: t.exposeString('integrationKey'),
    trigger: t.exposeString('trigger'),
    intervalSeconds: t.exposeInt('intervalSeconds'),
    lastPolledAt: t.expose('lastPolledAt', { type: 'DateTime', nullable: true, description: 'When the last poll finished (it is the starting point when no event fired yet)' }),
    lastError: t.exposeString('lastError', { nullable: true, description: "The last poll's error; null once a poll succeeds" }),
    lastEventAt: t.expose('lastEventAt', { type: 'DateTime', nullable: true }),
    eventsFired: t.exposeInt('eventsFired'),
  }),
});

const currentVersion = (hub: Hub, flow: { id: string; version: number }) =>
  hub.db.prisma.flowVersion.findUniqueOrThrow({ where: { flowId_version: { flowId: flow.id, version: flow.version } }, select: { trigger: true, steps: true } });

builder.prismaNode('Flow', {
  id: { field: 'id' },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx), deletedAt: null }),
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    enabled: t.exposeBoolean('enabled', { description: 'Only enabled flows are triggered (runFlow runs a disabled one too)' }),
    version: t.exposeInt('version', { description: 'The current version' }),
    trigger: t.field({
      type: 'JSON',
      description: DEFINITION_HELP,
      select: { id: true, version: true },
      resolve: async (flow, _args, ctx) => publicDefinition(await currentVersion(ctx.hub, flow)).trigger,
    }),
    steps: t.field({
      type: 'JSON',
      description: STEPS_HELP,
      select: { id: true, version: true },
      resolve: async (flow, _args, ctx) => publicDefinition(await currentVersion(ctx.hub, flow)).steps,
    }),
    versions: t.relation('versions', { query: { orderBy: { version: 'desc' } }, description: 'Newest first' }),
    poll: t.relation('poll', { nullable: true, description: 'Polling triggers: when it last polled, and how that went' }),
    webhookUrl: t.string({
      nullable: true,
      description: 'Webhook triggers: where to post (the endpoint\'s URL)',
      select: { triggerType: true, triggerRef: true, orgId: true },
      resolve: async (flow, _args, ctx) => {
        if (flow.triggerType !== 'WEBHOOK' || !flow.triggerRef) return null;
        const endpoint = await ctx.hub.db.prisma.webhookEndpoint.findFirst({ where: { id: flow.triggerRef, orgId: flow.orgId }, select: { id: true, path: true } });
        return endpoint ? webhookEndpointUrl(ctx.hub, endpoint) : null;
      },
    }),
    runs: t.relatedConnection('runs', { cursor: 'id', query: { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }, description: 'Newest first' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.prismaObject('RunStep', {
  description: "One step of a flow run: its input after templating (secret references are left as {{ secrets.X }}), output or error, attempts, duration",
  fields: (t) => ({
    key: t.exposeString('key'),
    type: t.exposeString('type'),
    position: t.exposeInt('position'),
    status: t.exposeString('status', { description: 'RUNNING, WAITING (a delay), SUCCEEDED, FAILED, SKIPPED or CANCELLED' }),
    input: t.expose('input', { type: 'JSON', nullable: true }),
    output: t.expose('output', { type: 'JSON', nullable: true }),
    error: t.exposeString('error', { nullable: true, description: 'The failure, or why the step was skipped' }),
    attempts: t.exposeInt('attempts'),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    durationMs: t.exposeInt('durationMs', { nullable: true }),
  }),
});

builder.prismaObjectFields('Run', (t) => ({
  flow: t.relation('flow', { nullable: true, description: 'FLOW runs: the flow' }),
  flowVersion: t.exposeInt('flowVersion', { nullable: true, description: 'FLOW runs: the version it runs' }),
  steps: t.relation('steps', { query: { orderBy: { position: 'asc' } }, description: 'FLOW runs: every step so far, in flow order' }),
}));

const name = z.string().trim().min(1, 'name is required').max(200, 'at most 200 characters');

const CreateFlowInput = builder.inputType('CreateFlowInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    trigger: t.field({ type: 'JSON', required: true, description: DEFINITION_HELP }),
    steps: t.field({ type: 'JSON', required: true, description: STEPS_HELP }),
    enabled: t.boolean({ description: 'Enable at once (default false)' }),
  }),
  validate: z.looseObject({ name, description: z.string().max(2000).nullish() }),
});

const UpdateFlowInput = builder.inputType('UpdateFlowInput', {
  fields: (t) => ({
    name: t.string(),
    description: t.string(),
    trigger: t.field({ type: 'JSON', description: 'A new trigger adds a version' }),
    steps: t.field({ type: 'JSON', description: 'New steps add a version' }),
  }),
  validate: z.looseObject({ name: name.nullish(), description: z.string().max(2000).nullish() }),
});

builder.queryField('flows', (t) =>
  t.prismaConnection({
    type: 'Flow',
    cursor: 'id',
    args: { enabled: t.arg.boolean() },
    resolve: (query, _root, { enabled }, ctx) =>
      ctx.hub.db.prisma.flow.findMany({ ...query, where: { orgId: orgIdOf(ctx), deletedAt: null, ...(typeof enabled === 'boolean' ? { enabled } : {}) }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] }),
  }),
);

builder.queryField('flow', (t) =>
  t.prismaField({
    type: 'Flow',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) => ctx.hub.db.prisma.flow.findFirst({ ...query, where: { id: localId(id, 'Flow'), orgId: orgIdOf(ctx), deletedAt: null } }),
  }),
);

builder.queryField('flowRuns', (t) =>
  t.prismaConnection({
    type: 'Run',
    cursor: 'id',
    description: "A flow's runs, newest first",
    args: { flowId: t.arg.id({ required: true }), status: t.arg({ type: RunStatusEnum }) },
    resolve: (query, _root, { flowId, status }, ctx) =>
      ctx.hub.db.prisma.run.findMany({
        ...query,
        where: { orgId: orgIdOf(ctx), kind: 'FLOW', flowId: localId(flowId, 'Flow', 'flowId'), ...(status ? { status } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

const flowArg = (id: string) => localId(id, 'Flow');

builder.mutationField('createFlow', (t) =>
  t.prismaField({
    type: 'Flow',
    authScopes: { role: 'ADMIN' },
    args: { input: t.arg({ type: CreateFlowInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) => createFlow(ctx.hub, orgIdOf(ctx), { ...input, name: input.name.trim() }),
  }),
);

builder.mutationField('updateFlow', (t) =>
  t.prismaField({
    type: 'Flow',
    authScopes: { role: 'ADMIN' },
    description: 'Rename, describe, or change the trigger or steps (a new version; running runs keep theirs)',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateFlowInput, required: true }) },
    resolve: (_query, _root, { id, input }, ctx) =>
      updateFlow(ctx.hub, orgIdOf(ctx), flowArg(id), { name: input.name?.trim(), description: input.description, trigger: input.trigger ?? undefined, steps: input.steps ?? undefined }),
  }),
);

builder.mutationField('enableFlow', (t) =>
  t.prismaField({ type: 'Flow', authScopes: { role: 'ADMIN' }, args: { id: t.arg.id({ required: true }) }, resolve: (_q, _r, { id }, ctx) => setFlowEnabled(ctx.hub, orgIdOf(ctx), flowArg(id), true) }),
);

builder.mutationField('disableFlow', (t) =>
  t.prismaField({ type: 'Flow', authScopes: { role: 'ADMIN' }, args: { id: t.arg.id({ required: true }) }, resolve: (_q, _r, { id }, ctx) => setFlowEnabled(ctx.hub, orgIdOf(ctx), flowArg(id), false) }),
);

builder.mutationField('deleteFlow', (t) =>
  t.prismaField({
    type: 'Flow',
    authScopes: { role: 'ADMIN' },
    description: 'Disarms and hides the flow; its runs keep their history',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_q, _r, { id }, ctx) => deleteFlow(ctx.hub, orgIdOf(ctx), flowArg(id)),
  }),
);

builder.mutationField('runFlow', (t) =>
  t.prismaField({
    type: 'Run',
    authScopes: { role: 'MEMBER' },
    description: 'Runs the flow now with test data as the trigger payload (disabled flows too); watch it with runUpdated',
    args: {
      id: t.arg.id({ required: true }),
      payload: t.arg({ type: 'JSON', description: 'The trigger payload ({{ trigger.x }}), a JSON object' }),
      idempotencyKey: t.arg.string({ description: 'The same key returns the same run', validate: z.string().min(1).max(200).nullish() }),
    },
    resolve: (_q, _r, { id, payload, idempotencyKey }, ctx) => runFlow(ctx.hub, orgIdOf(ctx), flowArg(id), { payload: payload ?? {}, idempotencyKey }),
  }),
);

builder.mutationField('pollFlowTrigger', (t) =>
  t.prismaField({
    type: 'Flow',
    authScopes: { role: 'MEMBER' },
    description: "Polls an enabled flow's polling trigger now, besides its interval",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_q, _r, { id }, ctx) => pollFlowTrigger(ctx.hub, orgIdOf(ctx), flowArg(id)),
  }),
);
