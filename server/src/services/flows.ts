// Flows: a trigger and ordered steps, versioned. A definition is checked in two passes — its
// shape (workflows/flows/definition.ts), then against the organization (its connections,
// actions, endpoints, team members) — and stored with database ids. Enabling a flow arms its
// trigger: a Temporal Schedule for schedule triggers, a poll Schedule for polling plugin
// triggers; webhook, plugin-webhook and event triggers need nothing armed (events find their
// flows by the trigger columns).
import { randomUUID } from 'node:crypto';
import { announceRunChange, Prisma, queueFlowRunsWithEntries, recordActivity, type Flow, type FlowTriggerType, type Run } from '@patchbay/db';
import { checkActionInput, checkTriggerSettings, isPluginError } from '@patchbay/sdk';
import {
  checkUrl,
  DEFAULT_POLL_SECONDS,
  deleteFlowSchedule,
  deleteTriggerPollSchedule,
  describeIssues,
  expandDooneFlowVariables,
  FlowDefinitionSchema,
  normalizeTrigger,
  parseDuration,
  PrivateNetworkError,
  resolvePlugin,
  startFlowWorkflow,
  triggerPollNow,
  upsertFlowSchedule,
  upsertTriggerPollSchedule,
  type FlowDefinition,
  type FlowStep,
  type FlowTrigger,
} from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { badInput, conflict, notFound, unavailable, type InputIssue } from '../errors.ts';
import { globalId, localId } from '../schema/ids.ts';

export interface FlowInput {
  name: string;
  description?: string | null;
  trigger?: unknown;
  steps?: unknown;
  enabled?: boolean | null;
}

export interface FlowChanges {
  name?: string | null;
  description?: string | null;
  trigger?: unknown;
  steps?: unknown;
}

const live = { deletedAt: null };

/** A bad definition: one BAD_USER_INPUT naming every step and field at fault. */
function invalid(issues: InputIssue[]): never {
  throw badInput(`Invalid flow: ${issues.map((i) => i.message).join('; ')}`, issues);
}

/** The definition as stored: checked against the organization, with database ids. */
export async function checkDefinition(hub: Hub, orgId: string, raw: { trigger: unknown; steps: unknown }): Promise<FlowDefinition> {
  const parsed = FlowDefinitionSchema.safeParse(raw);
  if (!parsed.success) invalid(describeIssues(raw, parsed.error.issues));
  const issues: InputIssue[] = [];
  const at = (path: string, message: string) => issues.push({ path, message });
  const trigger = await checkTrigger(hub, orgId, normalizeTrigger(parsed.data.trigger), at);
  const steps: FlowStep[] = [];
  for (const [index, step] of parsed.data.steps.entries()) {
    const where = (field: string, message: string) => at(`steps[${index}].${field}`, `step "${step.key}" (steps[${index}]) ${field}: ${message}`);
    steps.push(await checkStep(hub, orgId, step, where));
  }
  if (issues.length) invalid(issues);
  return { trigger, steps };
}

/** A global id inside a definition → the database id (recorded as an issue when it is not one). */
function idOf(globalIdValue: string, typename: string, field: string, at: (field: string, message: string) => void): string | null {
  try {
    return localId(globalIdValue, typename, field);
  } catch {
    at(field, `not a ${typename} id`);
    return null;
  }
}

async function checkTrigger(hub: Hub, orgId: string, trigger: FlowTrigger, at: (path: string, message: string) => void): Promise<FlowTrigger> {
  const field = (name: string, message: string) => at(`trigger.${name}`, `trigger ${name}: ${message}`);
  const { prisma } = hub.db;
  switch (trigger.type) {
    case 'webhook': {
      const endpointId = idOf(trigger.endpointId, 'WebhookEndpoint', 'endpointId', field);
      if (endpointId && !(await prisma.webhookEndpoint.findFirst({ where: { id: endpointId, orgId }, select: { id: true } }))) field('endpointId', 'no such webhook endpoint');
      return { ...trigger, endpointId: endpointId ?? trigger.endpointId };
    }
    case 'plugin': {
      const plugin = hub.plugins.get(trigger.integrationKey);
      const definition = plugin?.triggers?.find((t) => t.key === trigger.trigger);
      if (!plugin) return field('integrationKey', `no integration "${trigger.integrationKey}" in this hub`), trigger;
      if (!definition) {
        field('trigger', `${plugin.displayName} has no trigger "${trigger.trigger}" (it has: ${(plugin.triggers ?? []).map((t) => t.key).join(', ') || 'none'})`);
        return trigger;
      }
      let settings: unknown = trigger.settings;
      try {
        settings = checkTriggerSettings(definition, trigger.settings);
      } catch (err) {
        field('settings', (err as Error).message);
      }
      const out: FlowTrigger = { ...trigger, ...(trigger.settings !== undefined ? { settings } : {}) };
      if (trigger.connectionId) {
        const connectionId = idOf(trigger.connectionId, 'Connection', 'connectionId', field);
        const connection = connectionId ? await prisma.connection.findFirst({ where: { id: connectionId, orgId }, select: { integrationKey: true } }) : null;
        if (connectionId && !connection) field('connectionId', 'no such connection');
        else if (connection && connection.integrationKey !== plugin.key) field('connectionId', `the connection is to "${connection.integrationKey}", not "${plugin.key}"`);
        out.connectionId = connectionId ?? trigger.connectionId;
      }
      if (definition.poll) {
        if (!trigger.connectionId) field('connectionId', `"${definition.key}" polls an account: name the connection`);
        if (trigger.endpointId) field('endpointId', `"${definition.key}" is polled, not received through an endpoint`);
        const minimum = Math.max(definition.minIntervalSeconds ?? 0, 10);
        if (trigger.intervalSeconds !== undefined && trigger.intervalSeconds < minimum) field('intervalSeconds', `at least ${minimum} for ${definition.key}`);
        out.intervalSeconds = trigger.intervalSeconds ?? Math.max(DEFAULT_POLL_SECONDS, minimum);
      } else {
        if (trigger.intervalSeconds !== undefined) field('intervalSeconds', `"${definition.key}" is not polled`);
        if (trigger.endpointId) {
          const endpointId = idOf(trigger.endpointId, 'WebhookEndpoint', 'endpointId', field);
          if (endpointId && !(await prisma.webhookEndpoint.findFirst({ where: { id: endpointId, orgId }, select: { id: true } }))) field('endpointId', 'no such webhook endpoint');
          out.endpointId = endpointId ?? trigger.endpointId;
        }
      }
      return out;
    }
    default:
      return trigger;
  }
}

async function checkStep(hub: Hub, orgId: string, step: FlowStep, at: (field: string, message: string) => void): Promise<FlowStep> {
  const { prisma } = hub.db;
  switch (step.type) {
    case 'action': {
      const connectionId = idOf(step.connectionId, 'Connection', 'connectionId', at);
      if (!connectionId) return step;
      const connection = await prisma.connection.findFirst({ where: { id: connectionId, orgId } });
      if (!connection) return at('connectionId', 'no such connection'), step;
      if (connection.tokenStrategy !== 'SERVICE_ACCOUNT') at('connectionId', `"${connection.name}" is ${connection.tokenStrategy}: flows act with the organization's own (SERVICE_ACCOUNT) connections`);
      const plugin = await resolvePlugin(hub, orgId, connection.integrationKey);
      if (!plugin) return at('connectionId', `integration "${connection.integrationKey}" is not loaded in this hub`), step;
      if (!plugin.actions.some((a) => a.key === step.action)) {
        at('action', `${plugin.displayName} has no action "${step.action}" (it has: ${plugin.actions.map((a) => a.key).join(', ')})`);
        return step;
      }
      // Templated values (also DooneFlow's {name}) are only known at run time.
      const issues = checkActionInput(plugin, step.action, expandDooneFlowVariables(step.input ?? {}, null));
      for (const issue of issues ?? []) at(issue.path ? `input.${issue.path}` : 'input', issue.message);
      return { ...step, connectionId };
    }
    case 'send_webhook': {
      if (!step.url.includes('{')) {
        try {
          const url = new URL(step.url);
          if (!/^https?:$/.test(url.protocol)) at('url', 'an http(s) URL');
          else await checkUrl(url, { allowPrivateNetwork: hub.config.PATCHBAY_ALLOW_PRIVATE_NETWORK });
        } catch (err) {
          if (err instanceof PrivateNetworkError) at('url', err.message);
          else if (!(isPluginError(err) && err.kind === 'TRANSIENT')) at('url', 'an http(s) URL');
        }
      }
      if (step.signingSecret && !(await prisma.secret.findFirst({ where: { orgId, name: step.signingSecret }, select: { id: true } }))) {
        at('signingSecret', `no secret named "${step.signingSecret}" (create it with setSecret)`);
      }
      return step;
    }
    case 'assign_team_member': {
      if (!step.teamMemberIds) return step;
      const ids = step.teamMemberIds.map((id, i) => idOf(id, 'TeamMember', `teamMemberIds[${i}]`, at)).filter((id): id is string => id !== null);
      const found = await prisma.teamMember.count({ where: { orgId, id: { in: ids } } });
      if (found !== new Set(ids).size) at('teamMemberIds', 'not every id is a team member of this organization');
      return { ...step, teamMemberIds: ids };
    }
    default:
      return step;
  }
}

/** The columns incoming events find flows by (see Flow in schema.prisma). */
function triggerColumns(trigger: FlowTrigger): { triggerType: FlowTriggerType; triggerRef: string | null; triggerEvents: string[] } {
  switch (trigger.type) {
    case 'webhook':
      return { triggerType: 'WEBHOOK', triggerRef: trigger.endpointId, triggerEvents: [] };
    case 'plugin':
      return { triggerType: 'PLUGIN', triggerRef: `${trigger.integrationKey}:${trigger.trigger}`, triggerEvents: [] };
    case 'schedule':
      return { triggerType: 'SCHEDULE', triggerRef: null, triggerEvents: [] };
    case 'event':
      return { triggerType: 'EVENT', triggerRef: null, triggerEvents: trigger.eventTypes };
    default:
      return { triggerType: 'MANUAL', triggerRef: null, triggerEvents: [] };
  }
}

/** A stored definition as the API shows it: global ids. */
export function publicDefinition(definition: { trigger: unknown; steps: unknown }): { trigger: unknown; steps: unknown } {
  const trigger = { ...(definition.trigger as Record<string, unknown>) };
  if (typeof trigger.endpointId === 'string') trigger.endpointId = globalId('WebhookEndpoint', trigger.endpointId);
  if (typeof trigger.connectionId === 'string') trigger.connectionId = globalId('Connection', trigger.connectionId);
  const steps = (definition.steps as Array<Record<string, unknown>>).map((step) => ({
    ...step,
    ...(typeof step.connectionId === 'string' ? { connectionId: globalId('Connection', step.connectionId) } : {}),
    ...(Array.isArray(step.teamMemberIds) ? { teamMemberIds: step.teamMemberIds.map((id) => globalId('TeamMember', String(id))) } : {}),
  }));
  return { trigger, steps };
}

async function findFlow(hub: Hub, orgId: string, id: string): Promise<Flow> {
  const flow = await hub.db.prisma.flow.findFirst({ where: { id, orgId, ...live } });
  if (!flow) throw notFound('Flow');
  return flow;
}

async function currentDefinition(hub: Hub, flow: Flow): Promise<FlowDefinition> {
  const version = await hub.db.prisma.flowVersion.findUniqueOrThrow({ where: { flowId_version: { flowId: flow.id, version: flow.version } } });
  return { trigger: version.trigger as FlowTrigger, steps: version.steps as FlowStep[] };
}

export async function createFlow(hub: Hub, orgId: string, input: FlowInput): Promise<Flow> {
  const definition = await checkDefinition(hub, orgId, { trigger: input.trigger, steps: input.steps });
  const flow = await hub.db.prisma.flow.create({
    data: {
      orgId,
      name: input.name,
      description: input.description ?? null,
      ...triggerColumns(definition.trigger),
      versions: { create: { version: 1, trigger: definition.trigger as Prisma.InputJsonValue, steps: definition.steps as Prisma.InputJsonValue } },
    },
  });
  await recordActivity(hub.db, { orgId, type: 'flow.created', message: `Flow "${flow.name}" created`, data: { flowId: flow.id, version: 1 } });
  return input.enabled ? setFlowEnabled(hub, orgId, flow.id, true) : flow;
}

/** A new name or description changes the flow; a new trigger or steps add a version (runs in progress keep theirs). */
export async function updateFlow(hub: Hub, orgId: string, id: string, changes: FlowChanges): Promise<Flow> {
  const flow = await findFlow(hub, orgId, id);
  const data: Prisma.FlowUpdateManyMutationInput = {};
  if (changes.name) data.name = changes.name;
  if (changes.description !== undefined) data.description = changes.description;
  let definition: FlowDefinition | undefined;
  if (changes.trigger !== undefined || changes.steps !== undefined) {
    const stored = publicDefinition(await currentDefinition(hub, flow));
    definition = await checkDefinition(hub, orgId, { trigger: changes.trigger ?? stored.trigger, steps: changes.steps ?? stored.steps });
    Object.assign(data, triggerColumns(definition.trigger), { version: flow.version + 1 });
  }
  await hub.db.prisma.$transaction(async (tx) => {
    // Only one edit becomes the next version: a concurrent one finds the version moved.
    const { count } = await tx.flow.updateMany({ where: { id, version: flow.version }, data });
    if (count === 0) throw conflict('The flow was changed meanwhile; read it again and retry');
    if (definition) {
      await tx.flowVersion.create({ data: { flowId: id, version: flow.version + 1, trigger: definition.trigger as Prisma.InputJsonValue, steps: definition.steps as Prisma.InputJsonValue } });
    }
  });
  const updated = await findFlow(hub, orgId, id);
  await recordActivity(hub.db, { orgId, type: 'flow.updated', message: `Flow "${updated.name}" updated${definition ? ` (version ${updated.version})` : ''}`, data: { flowId: id, version: updated.version } });
  if (definition && updated.enabled) await arm(hub, updated, definition.trigger, flow);
  return updated;
}

export async function setFlowEnabled(hub: Hub, orgId: string, id: string, enabled: boolean): Promise<Flow> {
  const flow = await findFlow(hub, orgId, id);
  const definition = await currentDefinition(hub, flow);
  if (enabled) await arm(hub, flow, definition.trigger);
  else await disarm(hub, flow);
  const updated = await hub.db.prisma.flow.update({ where: { id }, data: { enabled } });
  if (flow.enabled !== enabled) {
    await recordActivity(hub.db, { orgId, type: enabled ? 'flow.enabled' : 'flow.disabled', message: `Flow "${flow.name}" ${enabled ? 'enabled' : 'disabled'}`, data: { flowId: id } });
  }
  return updated;
}

/** Deleted flows are hidden, disarmed and never run again; their runs keep their history. */
export async function deleteFlow(hub: Hub, orgId: string, id: string): Promise<Flow> {
  const flow = await findFlow(hub, orgId, id);
  await disarm(hub, flow);
  const deleted = await hub.db.prisma.flow.update({ where: { id }, data: { enabled: false, deletedAt: new Date() } });
  await hub.db.prisma.webhookEndpoint.updateMany({ where: { orgId, target: { path: ['flow', 'flowId'], equals: id } }, data: { target: Prisma.DbNull } });
  await recordActivity(hub.db, { orgId, type: 'flow.deleted', message: `Flow "${flow.name}" deleted`, data: { flowId: id } });
  return deleted;
}

/** Arms the trigger of an enabled flow (`previous`: the flow before an edit, to disarm what it had). */
async function arm(hub: Hub, flow: Flow, trigger: FlowTrigger, previous?: Flow): Promise<void> {
  try {
    if (previous && previous.triggerType !== flow.triggerType) await disarm(hub, previous);
    if (trigger.type === 'schedule') {
      await upsertFlowSchedule(hub.temporal, flow.id, trigger.cron ?? `@every ${Math.round((parseDuration(trigger.every!) ?? 60_000) / 1000)}s`);
    } else if (trigger.type === 'plugin' && trigger.intervalSeconds !== undefined && trigger.connectionId) {
      const { prisma } = hub.db;
      const settings = (trigger.settings ?? null) as Prisma.InputJsonValue | null;
      const existing = await prisma.triggerPoll.findUnique({ where: { flowId: flow.id } });
      // Another account, trigger or settings: a new starting point (the old cursor means nothing there).
      const same = existing && existing.connectionId === trigger.connectionId && existing.trigger === trigger.trigger && JSON.stringify(existing.settings) === JSON.stringify(settings);
      const fields = { connectionId: trigger.connectionId, integrationKey: trigger.integrationKey, trigger: trigger.trigger, settings: settings ?? Prisma.DbNull, intervalSeconds: trigger.intervalSeconds };
      const poll = existing
        ? await prisma.triggerPoll.update({ where: { id: existing.id }, data: { ...fields, ...(same ? {} : { cursor: Prisma.DbNull, lastError: null }) } })
        : await prisma.triggerPoll.create({ data: { orgId: flow.orgId, flowId: flow.id, ...fields } });
      await upsertTriggerPollSchedule(hub.temporal, poll.id, poll.intervalSeconds);
      // The first poll now: it sets the starting point, so what arrives from here on fires.
      if (poll.cursor === null) await triggerPollNow(hub.temporal, poll.id);
    } else if (previous) {
      await disarm(hub, previous);
    }
  } catch (err) {
    hub.logger.error({ err, flowId: flow.id }, 'could not arm the flow trigger');
    throw unavailable('The workflow service is unreachable; the flow trigger could not be armed. Retry.');
  }
}

async function disarm(hub: Hub, flow: Flow): Promise<void> {
  if (flow.triggerType === 'SCHEDULE') await deleteFlowSchedule(hub.temporal, flow.id);
  const poll = await hub.db.prisma.triggerPoll.findUnique({ where: { flowId: flow.id }, select: { id: true } });
  if (poll) await deleteTriggerPollSchedule(hub.temporal, poll.id);
}

/** Polls the flow's polling trigger now (besides its interval). */
export async function pollFlowTrigger(hub: Hub, orgId: string, id: string): Promise<Flow> {
  const flow = await findFlow(hub, orgId, id);
  const poll = await hub.db.prisma.triggerPoll.findUnique({ where: { flowId: id } });
  if (!poll) throw badInput('This flow has no polling trigger', [{ path: 'id', message: 'not a polling flow' }]);
  if (!flow.enabled) throw conflict('The flow is disabled: enable it to poll');
  await triggerPollNow(hub.temporal, poll.id);
  return flow;
}

/**
 * A manual run with test data (disabled flows too: that is how one tries a flow out). The run
 * row is the outbox: if Temporal cannot take it now, the dispatcher starts it when it can.
 */
export async function runFlow(hub: Hub, orgId: string, id: string, request: { payload?: unknown; idempotencyKey?: string | null }): Promise<Run> {
  const flow = await findFlow(hub, orgId, id);
  const idempotencyKey = `flow:${flow.id}:${request.idempotencyKey ?? randomUUID()}`;
  const payload = request.payload ?? {};
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw badInput('payload must be a JSON object', [{ path: 'payload', message: 'not an object' }]);
  await hub.db.prisma.$transaction((tx) => queueFlowRunsWithEntries(tx, [{ orgId, flowId: flow.id, version: flow.version, payload, idempotencyKey, dispatched: true }]));
  const run = await hub.db.prisma.run.findFirstOrThrow({ where: { orgId, idempotencyKey } });
  if (run.status !== 'QUEUED') return run;
  try {
    await startFlowWorkflow(hub.temporal, run);
  } catch (err) {
    hub.logger.warn({ err, runId: run.id }, 'could not start the flow run now; the dispatcher will');
    await hub.db.prisma.run.update({ where: { id: run.id }, data: { dispatchedAt: null } });
    await announceRunChange(hub.db, { id: run.id, orgId });
  }
  return run;
}
