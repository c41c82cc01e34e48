// Syncs of a connection: one SyncState (schedule, pause, checkpoint) per connection sync, a
// Temporal Schedule when it has a schedule, and runs (RunKind SYNC) started now by startSync.
import { announceRunChange, recordRunEvent, type Connection, type Run, type SyncState } from '@patchbay/db';
import {
  deleteSyncSchedule,
  findManifest,
  isSyncManifest,
  MANIFEST_SYNC,
  scheduleSpecOf,
  setSyncSchedulePaused,
  startSyncWorkflow,
  upsertSyncSchedule,
} from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { badInput, notFound, unavailable } from '../errors.ts';

const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export interface SyncDescription {
  key: string;
  model: string;
  defaultSchedule: string | null;
}

/** The syncs a connection's integration offers (a plugin's defineSync, or a sync-users manifest). */
export async function syncsOf(hub: Hub, connection: Pick<Connection, 'orgId' | 'integrationKey'>): Promise<SyncDescription[]> {
  const plugin = hub.plugins.get(connection.integrationKey);
  if (plugin) return (plugin.syncs ?? []).map((s) => ({ key: s.key, model: s.model, defaultSchedule: s.defaultSchedule ?? null }));
  const found = await findManifest(hub.db, connection.orgId, connection.integrationKey).catch(() => null);
  if (found?.definition.kind === 'MANIFEST' && isSyncManifest(found.definition.manifest)) {
    return [{ key: MANIFEST_SYNC.key, model: MANIFEST_SYNC.model, defaultSchedule: found.definition.manifest.schedule ?? null }];
  }
  return [];
}

/** The SyncState of a connection sync, created (with its Schedule) on first use. */
export async function ensureSyncState(hub: Hub, connection: Connection, syncKey: string, argName = 'sync'): Promise<SyncState> {
  const { prisma } = hub.db;
  const existing = await prisma.syncState.findUnique({ where: { connectionId_syncKey: { connectionId: connection.id, syncKey } } });
  if (existing) return existing;
  const definition = (await syncsOf(hub, connection)).find((s) => s.key === syncKey);
  if (!definition) throw badInput(`Integration "${connection.integrationKey}" has no sync "${syncKey}"`, [{ path: argName, message: 'no such sync' }]);
  const state = await prisma.syncState.upsert({
    where: { connectionId_syncKey: { connectionId: connection.id, syncKey } },
    create: { orgId: connection.orgId, connectionId: connection.id, syncKey, model: definition.model, schedule: definition.defaultSchedule },
    update: {},
  });
  if (state.schedule) await schedule(hub, state);
  return state;
}

async function schedule(hub: Hub, state: SyncState) {
  try {
    await upsertSyncSchedule(hub.temporal, state.id, state.schedule!, state.paused);
  } catch (err) {
    hub.logger.error({ err, syncStateId: state.id }, 'could not create the sync schedule');
    throw unavailable(`Could not create the Temporal Schedule for sync "${state.syncKey}": ${(err as Error).message}`);
  }
}

async function loadState(hub: Hub, orgId: string, connectionId: string, syncKey: string): Promise<{ connection: Connection; state: SyncState }> {
  const connection = await hub.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!connection) throw notFound('Connection');
  return { connection, state: await ensureSyncState(hub, connection, syncKey) };
}

export interface StartSyncOptions {
  /** Pages per workflow execution before continue-as-new (tests use a small one). */
  pagesPerExecution?: number;
}

/** Runs the sync now; when a run of it is in progress, that run is returned. */
export async function startSync(hub: Hub, orgId: string, connectionId: string, syncKey: string, options: StartSyncOptions = {}): Promise<Run> {
  const { prisma } = hub.db;
  const { connection, state } = await loadState(hub, orgId, connectionId, syncKey);
  if (connection.status !== 'ACTIVE') throw badInput(`Connection "${connection.name}" is ${connection.status}`, [{ path: 'connectionId', message: 'not active' }]);
  if (state.currentRunId) {
    const current = await prisma.run.findUnique({ where: { id: state.currentRunId } });
    if (current && !TERMINAL.includes(current.status)) return current;
  }
  const run = await prisma.run.create({ data: { orgId, kind: 'SYNC', action: syncKey, connectionId, input: { sync: syncKey } } });
  await recordRunEvent(hub.db, run, 'queued');
  try {
    await startSyncWorkflow(hub.temporal, { ...run, integrationKey: connection.integrationKey }, state.id, options);
  } catch (err) {
    hub.logger.error({ err, runId: run.id }, 'could not start the sync workflow');
    await prisma.run.updateMany({ where: { id: run.id, status: 'QUEUED' }, data: { status: 'FAILED', error: 'Could not start: the workflow service is unreachable', finishedAt: new Date() } });
    await announceRunChange(hub.db, { id: run.id, orgId });
    throw unavailable('The workflow service is unreachable; the sync was not started.');
  }
  return run;
}

export async function setSyncPaused(hub: Hub, orgId: string, connectionId: string, syncKey: string, paused: boolean): Promise<SyncState> {
  const { state } = await loadState(hub, orgId, connectionId, syncKey);
  const updated = await hub.db.prisma.syncState.update({ where: { id: state.id }, data: { paused } });
  if (updated.schedule) await setSyncSchedulePaused(hub.temporal, state.id, paused, paused ? 'paused through the API' : 'resumed through the API');
  return updated;
}

/** Sets (cron or "@every 1h") or removes (null) the sync's schedule. */
export async function setSyncSchedule(hub: Hub, orgId: string, connectionId: string, syncKey: string, value: string | null): Promise<SyncState> {
  const { state } = await loadState(hub, orgId, connectionId, syncKey);
  const trimmed = value?.trim() || null;
  if (trimmed) {
    const spec = scheduleSpecOf(trimmed);
    const valid = 'intervals' in spec ? /^\d+(ms|s|m|h|d)$/.test(spec.intervals[0]!.every) : /^(\S+\s+){4,6}\S+$|^@(hourly|daily|weekly|monthly|yearly)$/.test(trimmed);
    if (!valid) throw badInput('Invalid schedule', [{ path: 'schedule', message: 'a cron expression ("0 * * * *") or an interval ("@every 1h")' }]);
  }
  const updated = await hub.db.prisma.syncState.update({ where: { id: state.id }, data: { schedule: trimmed } });
  if (trimmed) await schedule(hub, updated);
  else await deleteSyncSchedule(hub.temporal, state.id);
  return updated;
}

/** Every sync the connection's integration offers, with its state (created on first use). */
export async function connectionSyncs(hub: Hub, orgId: string, connectionId: string): Promise<SyncState[]> {
  const connection = await hub.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!connection) throw notFound('Connection');
  const states: SyncState[] = [];
  for (const sync of await syncsOf(hub, connection)) states.push(await ensureSyncState(hub, connection, sync.key));
  return states;
}

export interface RecordPageArgs {
  connectionId: string;
  model: string;
  first?: number | null;
  after?: string | null;
  modifiedAfter?: Date | null;
}

const MAX_PAGE = 500;

/** Synced records by (updatedAt, externalId): a stable order in which later changes come last. */
export async function recordPage(hub: Hub, orgId: string, args: RecordPageArgs) {
  const connection = await hub.db.prisma.connection.findFirst({ where: { id: args.connectionId, orgId }, select: { id: true } });
  if (!connection) throw notFound('Connection');
  const first = args.first ?? 100;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw badInput(`first must be between 1 and ${MAX_PAGE}`, [{ path: 'first', message: `between 1 and ${MAX_PAGE}` }]);
  let after: { at: Date; id: string } | null = null;
  if (args.after) {
    try {
      const [at, ...rest] = Buffer.from(args.after, 'base64url').toString('utf8').split('|');
      const date = new Date(at!);
      if (Number.isNaN(date.getTime()) || rest.length === 0) throw new Error('bad cursor');
      after = { at: date, id: rest.join('|') };
    } catch {
      throw badInput('after is not a cursor of this connection', [{ path: 'after', message: 'not a valid cursor' }]);
    }
  }
  const rows = await hub.db.prisma.syncRecord.findMany({
    where: {
      connectionId: connection.id,
      model: args.model,
      ...(args.modifiedAfter ? { updatedAt: { gt: args.modifiedAfter } } : {}),
      ...(after ? { OR: [{ updatedAt: { gt: after.at } }, { updatedAt: after.at, externalId: { gt: after.id } }] } : {}),
    },
    orderBy: [{ updatedAt: 'asc' }, { externalId: 'asc' }],
    take: first + 1,
  });
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: Buffer.from(`${node.updatedAt.toISOString()}|${node.externalId}`).toString('base64url'), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, hasPreviousPage: !!after, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
