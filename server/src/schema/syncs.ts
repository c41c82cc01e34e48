// Syncs: status, schedule, pause/resume, run now (startSync), and the synced records.
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { connectionSyncs, recordPage, setSyncPaused, setSyncSchedule, startSync } from '../services/syncs.ts';
import { badInput } from '../errors.ts';
import { globalId, localId } from './ids.ts';

const SyncRecordRef = builder.prismaObject('SyncRecord', {
  description: 'A record a sync stored; deleted ones stay, marked deleted, until the provider has them again.',
  ...orgOwned,
  fields: (t) => ({
    externalId: t.exposeString('externalId'),
    model: t.exposeString('model'),
    data: t.expose('data', { type: 'JSON' }),
    deleted: t.exposeBoolean('deleted'),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true }),
    firstSeenAt: t.expose('firstSeenAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When its content last changed' }),
  }),
});

builder.prismaObject('SyncState', {
  name: 'SyncStatus',
  description: "A connection sync: its schedule, whether it is paused or running, and the last run's counts.",
  ...orgOwned,
  fields: (t) => ({
    sync: t.exposeString('syncKey'),
    model: t.exposeString('model'),
    schedule: t.exposeString('schedule', { nullable: true, description: 'Cron expression or "@every 1h"; null: on demand only' }),
    paused: t.exposeBoolean('paused'),
    running: t.boolean({ resolve: (s) => s.currentRunId !== null }),
    currentRunId: t.id({ nullable: true, resolve: (s) => globalId('Run', s.currentRunId) }),
    lastRunId: t.id({ nullable: true, resolve: (s) => globalId('Run', s.lastRunId) }),
    lastCompletedAt: t.expose('lastCompletedAt', { type: 'DateTime', nullable: true }),
    lastResult: t.expose('lastResult', { type: 'JSON', nullable: true, description: '{ pages, added, updated, deleted }' }),
    progress: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The run in progress: { pages, added, updated }',
      resolve: (s) => (s.currentRunId ? { pages: s.pages, added: s.added, updated: s.updated } : null),
    }),
  }),
});

const connectionArg = (id: string) => localId(id, 'Connection', 'connectionId');

builder.queryField('syncs', (t) =>
  t.prismaField({
    type: ['SyncState'],
    args: { connectionId: t.arg.id({ required: true }) },
    resolve: (_query, _root, { connectionId }, ctx) => connectionSyncs(ctx.hub, orgIdOf(ctx), connectionArg(connectionId)),
  }),
);

builder.queryField('records', (t) =>
  t.connection(
    {
      type: SyncRecordRef,
      description: 'Synced records of a connection, oldest change first; modifiedAfter returns only what changed since',
      args: {
        connectionId: t.arg.id({ required: true }),
        model: t.arg.string({ required: true }),
        modifiedAfter: t.arg({ type: 'DateTime' }),
      },
      resolve: (_root, args, ctx) => {
        if (args.last != null || args.before != null) throw badInput('records pages forward only: use first and after', [{ path: args.last != null ? 'last' : 'before', message: 'not supported' }]);
        return recordPage(ctx.hub, orgIdOf(ctx), {
          connectionId: connectionArg(args.connectionId),
          model: args.model,
          first: args.first,
          after: args.after,
          modifiedAfter: args.modifiedAfter ?? null,
        });
      },
    },
    { name: 'SyncRecordConnection' },
    { name: 'SyncRecordEdge' },
  ),
);

builder.mutationField('startSync', (t) =>
  t.prismaField({
    type: 'Run',
    authScopes: { role: 'MEMBER' },
    description: 'Runs the sync now (RunKind SYNC); a run already in progress is returned instead',
    args: { connectionId: t.arg.id({ required: true }), sync: t.arg.string({ required: true }) },
    resolve: (_query, _root, { connectionId, sync }, ctx) => startSync(ctx.hub, orgIdOf(ctx), connectionArg(connectionId), sync),
  }),
);

builder.mutationField('pauseSync', (t) =>
  t.prismaField({
    type: 'SyncState',
    authScopes: { role: 'MEMBER' },
    description: "Pauses the sync's schedule (startSync still runs it on demand)",
    args: { connectionId: t.arg.id({ required: true }), sync: t.arg.string({ required: true }) },
    resolve: (_query, _root, { connectionId, sync }, ctx) => setSyncPaused(ctx.hub, orgIdOf(ctx), connectionArg(connectionId), sync, true),
  }),
);

builder.mutationField('resumeSync', (t) =>
  t.prismaField({
    type: 'SyncState',
    authScopes: { role: 'MEMBER' },
    args: { connectionId: t.arg.id({ required: true }), sync: t.arg.string({ required: true }) },
    resolve: (_query, _root, { connectionId, sync }, ctx) => setSyncPaused(ctx.hub, orgIdOf(ctx), connectionArg(connectionId), sync, false),
  }),
);

builder.mutationField('setSyncSchedule', (t) =>
  t.prismaField({
    type: 'SyncState',
    authScopes: { role: 'ADMIN' },
    description: 'Sets the schedule (cron "0 * * * *" or interval "@every 1h"); null removes it',
    args: { connectionId: t.arg.id({ required: true }), sync: t.arg.string({ required: true }), schedule: t.arg.string() },
    resolve: (_query, _root, { connectionId, sync, schedule }, ctx) => setSyncSchedule(ctx.hub, orgIdOf(ctx), connectionArg(connectionId), sync, schedule ?? null),
  }),
);
