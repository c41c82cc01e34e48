// What each kind of flow step does, given its definition and the flow's variables. The caller
// (activities/flows.ts) records the step; these functions do its work and answer its recorded
// input (after templating, secret references unrendered) and output.
import type { Context } from '@temporalio/activity';
import { readSecrets, UnknownSecretError } from '@patchbay/db/secrets';
import { createHttpClient, isPluginError, PermanentError, referencedSecrets, renderTemplate } from '@patchbay/sdk';
import { callConnectionAction } from '../activities/runs.ts';
import { signStandardWebhook } from '../activities/deliveries.ts';
import { networkGuardFor } from '../runtime/network-guard.ts';
import { scrub, scrubString, secretValues } from '../runtime/scrub.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { globalIdOf } from '../shared/ids.ts';
import { delayMs, type FlowStep } from './definition.ts';
import { assignTeamMember } from './team.ts';
import { evaluateCondition, renderStepTemplate, type FlowScope } from './variables.ts';

/** Where the flow goes after a step: on, stop (successfully), or ahead to a step. */
export type Next = 'continue' | 'stop' | { goto: string };

export interface StepResult {
  input: unknown;
  output?: unknown;
  next: Next;
  /** A delay step: the workflow waits this long, then the step is done. */
  waitMs?: number;
}

export interface StepCall {
  deps: ActivityDeps;
  ctx: Context;
  orgId: string;
  runId: string;
  scope: FlowScope;
  /** Called once the step's input is known, before its side effect (so a crash shows what it was doing). */
  recordInput: (input: unknown) => Promise<void>;
}

const RESPONSE_KEPT = 1024;

export async function executeStep(step: FlowStep, call: StepCall): Promise<StepResult> {
  switch (step.type) {
    case 'action':
      return actionStep(step, call);
    case 'condition':
      return conditionStep(step, call);
    case 'delay': {
      const waitMs = delayMs(step);
      return { input: { delayMs: waitMs }, next: 'continue', waitMs };
    }
    case 'send_webhook':
      return sendWebhookStep(step, call);
    case 'assign_team_member':
      return assignStep(step, call);
  }
}

async function actionStep(step: Extract<FlowStep, { type: 'action' }>, call: StepCall): Promise<StepResult> {
  const definition = call.deps.plugins.findAction(await integrationOf(call, step.connectionId), step.action);
  const input = await renderStepTemplate(step.input ?? {}, call.scope, { escapeForRun: definition?.renderInput !== false });
  await call.recordInput(input);
  const output = await callConnectionAction(call.deps, call.ctx, {
    orgId: call.orgId,
    connectionId: step.connectionId,
    action: step.action,
    input,
    bindings: { runId: call.runId, step: step.key },
  });
  return { input, output: output ?? null, next: 'continue' };
}

async function integrationOf(call: StepCall, connectionId: string): Promise<string> {
  const row = await call.deps.db.prisma.connection.findFirst({ where: { id: connectionId, orgId: call.orgId }, select: { integrationKey: true } });
  if (!row) throw new PermanentError('The step\'s connection no longer exists');
  return row.integrationKey;
}

async function conditionStep(step: Extract<FlowStep, { type: 'condition' }>, call: StepCall): Promise<StepResult> {
  const input = { if: step.if };
  await call.recordInput(input);
  const result = await evaluateCondition(step.if, call.scope);
  const branch = result ? step.then : step.else;
  const next: Next = branch === 'continue' || branch === 'stop' ? branch : { goto: branch };
  return { input, output: { result, next: branch }, next };
}

async function assignStep(step: Extract<FlowStep, { type: 'assign_team_member' }>, call: StepCall): Promise<StepResult> {
  const input = step.teamMemberIds ? { teamMemberIds: step.teamMemberIds.map((id) => globalIdOf('TeamMember', id)) } : {};
  await call.recordInput(input);
  const { member } = await assignTeamMember(call.deps.db, { orgId: call.orgId, runId: call.runId, stepKey: step.key, teamMemberIds: step.teamMemberIds });
  const output = {
    team_member_id: globalIdOf('TeamMember', member.id),
    team_member_name: member.name,
    team_member_phone: member.phone ?? '',
    team_member_email: member.email ?? '',
  };
  return { input, output, next: 'continue' };
}

/**
 * An HTTP request to the app (DooneFlow's "Call Webhook"): templated URL, headers and JSON
 * body, signed per Standard Webhooks when the step names a whsec_ secret. The webhook-id is
 * the same for every attempt of the step, so the receiver can drop a retried duplicate.
 */
async function sendWebhookStep(step: Extract<FlowStep, { type: 'send_webhook' }>, call: StepCall): Promise<StepResult> {
  const template = { url: step.url, headers: step.headers ?? {}, ...(hasBody(step.method) ? { body: step.body === undefined ? '{{ trigger }}' : step.body } : {}) };
  const recorded = (await renderStepTemplate(template, call.scope, { escapeForRun: true })) as { url: string; headers: Record<string, string>; body?: unknown };
  await call.recordInput({ method: step.method, ...recorded });

  // The second stage: the org's secrets, decrypted for this request only.
  const names = [...new Set([...referencedSecrets(recorded), ...(step.signingSecret ? [step.signingSecret] : [])])];
  let secrets: Record<string, string> = {};
  try {
    secrets = names.length ? await readSecrets(call.deps.db, call.deps.vault, call.orgId, names) : {};
  } catch (err) {
    if (err instanceof UnknownSecretError) throw new PermanentError(err.message);
    throw err;
  }
  const hidden = secretValues(Object.values(secrets));
  const request = (await renderTemplate(recorded, { secrets })) as typeof recorded;
  let url: URL;
  try {
    url = new URL(request.url);
    if (!/^https?:$/.test(url.protocol)) throw new Error('not http(s)');
  } catch {
    throw new PermanentError(`send_webhook url is not an http(s) URL: ${scrubString(request.url, hidden)}`);
  }
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const messageId = `msg_${call.runId}_${step.key}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'user-agent': 'Patchbay-Flows/1',
    'idempotency-key': messageId,
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...request.headers,
  };
  if (step.signingSecret) {
    Object.assign(headers, {
      'webhook-id': messageId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signStandardWebhook(secrets[step.signingSecret]!, messageId, timestamp, body ?? ''),
    });
  }
  const client = createHttpClient({ ...networkGuardFor(call.deps), timeoutMs: step.timeoutSeconds * 1000, signal: call.ctx.cancellationSignal });
  const started = Date.now();
  try {
    const res = await client.request({ method: step.method, url: url.toString(), headers, ...(body !== undefined ? { body } : {}), responseType: 'auto' });
    const output = {
      status: res.status,
      durationMs: Date.now() - started,
      body: scrub(typeof res.data === 'string' ? res.data.slice(0, RESPONSE_KEPT) : res.text.length <= RESPONSE_KEPT ? res.data : res.text.slice(0, RESPONSE_KEPT), hidden),
    };
    return { input: { method: step.method, ...recorded }, output, next: 'continue' };
  } catch (err) {
    if (err instanceof Error) err.message = scrubString(err.message, hidden);
    if (isPluginError(err) && err.kind === 'AUTH') throw new PermanentError(err.message); // nothing to refresh: the app refused
    throw err;
  }
}

const hasBody = (method: string) => method !== 'GET' && method !== 'DELETE';
