// Connected accounts. Credentials are never a field here: only status and non-secret config.
import { AuthMode, ConnectionStatus } from '@patchbay/db';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { localId } from './ids.ts';

export const AuthModeEnum = builder.enumType(AuthMode, { name: 'AuthMode' });
export const ConnectionStatusEnum = builder.enumType(ConnectionStatus, { name: 'ConnectionStatus' });

builder.prismaNode('Connection', {
  id: { field: 'id' },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    integrationKey: t.exposeString('integrationKey'),
    authMode: t.expose('authMode', { type: AuthModeEnum }),
    status: t.expose('status', { type: ConnectionStatusEnum }),
    config: t.expose('config', { type: 'JSON', nullable: true, description: 'Non-secret settings only' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    runs: t.relatedConnection('runs', { cursor: 'id', query: { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] } }),
  }),
});

builder.queryField('connections', (t) =>
  t.prismaConnection({
    type: 'Connection',
    cursor: 'id',
    args: {
      integrationKey: t.arg.string(),
      status: t.arg({ type: ConnectionStatusEnum }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.hub.db.prisma.connection.findMany({
        ...query,
        where: {
          orgId: orgIdOf(ctx),
          ...(args.integrationKey ? { integrationKey: args.integrationKey } : {}),
          ...(args.status ? { status: args.status } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
  }),
);

builder.queryField('connection', (t) =>
  t.prismaField({
    type: 'Connection',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.hub.db.prisma.connection.findFirst({ ...query, where: { id: localId(id, 'Connection'), orgId: orgIdOf(ctx) } }),
  }),
);
