// The live activity feed: what happened in the organization, newest first, and as it happens.
import { CHANNELS, watchChannel, type Prisma } from '@patchbay/db';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import type { Context } from '../context.ts';
import { liveStream } from '../services/live.ts';
import { globalId, localId } from './ids.ts';

const ActivityEvent = builder.prismaNode('ActivityEvent', {
  id: { field: 'id' },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    type: t.exposeString('type'),
    level: t.exposeString('level'),
    message: t.exposeString('message'),
    data: t.expose('data', { type: 'JSON', nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
    connectionId: t.id({ nullable: true, resolve: (e) => globalId('Connection', e.connectionId) }),
    runId: t.id({ nullable: true, resolve: (e) => globalId('Run', e.runId) }),
  }),
});

const ActivityFilter = builder.inputType('ActivityFilter', {
  fields: (t) => ({
    types: t.stringList({ description: 'Event types; a trailing * matches a prefix (e.g. run.*)' }),
    connectionId: t.id(),
    runId: t.id(),
  }),
});

type Filter = typeof ActivityFilter.$inferInput | null | undefined;

function filterWhere(ctx: Context, filter: Filter): Prisma.ActivityEventWhereInput {
  const where: Prisma.ActivityEventWhereInput = { orgId: orgIdOf(ctx) };
  if (filter?.connectionId) where.connectionId = localId(filter.connectionId, 'Connection', 'filter.connectionId');
  if (filter?.runId) where.runId = localId(filter.runId, 'Run', 'filter.runId');
  if (filter?.types?.length) {
    where.OR = filter.types.map((type) =>
      type.endsWith('*') ? { type: { startsWith: type.slice(0, -1) } } : { type },
    );
  }
  return where;
}

/** The same type test as filterWhere, in memory (a trailing * matches a prefix). */
function typeMatcher(types: readonly string[] | null | undefined): (type: string) => boolean {
  if (!types?.length) return () => true;
  return (type) => types.some((t) => (t.endsWith('*') ? type.startsWith(t.slice(0, -1)) : type === t));
}

builder.queryField('activity', (t) =>
  t.prismaConnection({
    type: 'ActivityEvent',
    cursor: 'id',
    args: { filter: t.arg({ type: ActivityFilter }) },
    resolve: (query, _root, { filter }, ctx) =>
      ctx.hub.db.prisma.activityEvent.findMany({
        ...query,
        where: filterWhere(ctx, filter),
        orderBy: [{ at: 'desc' }, { id: 'desc' }],
      }),
  }),
);

builder.subscriptionField('activity', (t) =>
  t.field({
    type: ActivityEvent,
    args: { filter: t.arg({ type: ActivityFilter }) },
    subscribe: async (_root, { filter }, ctx) => {
      const where = filterWhere(ctx, filter);
      const notices = await watchChannel(ctx.hub.db, CHANNELS.activity, orgIdOf(ctx));
      const wanted = typeMatcher(filter?.types);
      return liveStream(notices, {
        load: (notice) =>
          notice.type && !wanted(notice.type)
            ? Promise.resolve(null)
            : ctx.hub.db.prisma.activityEvent.findFirst({ where: { AND: [where, { id: notice.id }] } }),
      });
    },
    resolve: (event) => event,
  }),
);
