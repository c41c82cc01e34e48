// Activities of a manifest run (workflows/manifest.ts): one activity per request. The Run row
// holds what the requests produce (responses, scrubbed of secret values); workflow payloads carry
// only the run id and small flags. initial_data_form values are decrypted here and nowhere else.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { recordActivity, type Prisma } from '@patchbay/db';
import { isPluginError, PermanentError } from '@patchbay/sdk';
import { credentialScopeExtra, decryptManifestCredentials, manifestSecretValues } from '../manifests/oauth.ts';
import { NOTIFICATION_CHANNELS } from '../manifests/notifications.ts';
import { findManifest, requireManifest } from '../manifests/registry.ts';
import { conditionMet, failureOf, hostOverridesFor, manifestScope, renderValue, sendRequest } from '../manifests/runtime.ts';
import { readDotPath, type Manifest, type ManifestRequest } from '../manifests/schema.ts';
import { runConnectionAction } from '../runtime/actions.ts';
import { scrub, scrubString } from '../runtime/scrub.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { requestRefreshAndWait } from './connection-tokens.ts';

export type { ManifestCredentials } from '../manifests/oauth.ts';

export type ManifestAction = 'execute' | 'exists' | 'revoke';

export interface ManifestRunInput {
  action: ManifestAction;
  subject?: Record<string, unknown>;
  form?: Record<string, unknown>;
}

export interface ManifestPlan {
  steps: Array<{ polling: { intervalMs: number; amount: number } | null }>;
}

export interface StepResult {
  passed: boolean;
  /** exists: whether the subject has an account. */
  exists?: boolean;
}

/** What post_execute_notification did, kept on the run's output as `notification`. */
export interface NotificationOutcome {
  status: 'SENT' | 'SKIPPED' | 'FAILED';
  type: 'email' | 'text';
  to: string;
  subject?: string;
  /** The connection that sent it (email or twilio). */
  connectionId?: string;
  /** The provider's id of the message (SMTP Message-ID, Twilio SID). */
  messageId?: string;
  reason?: string;
  error?: string;
}


const MAX_FILE_BYTES = 10 * 1024 * 1024;
const HEARTBEAT_EVERY_MS = 1_000;
/** Polling without continue_if waits, as ChiefOnboarding's documentation says, for `status` = done. */
const DEFAULT_POLL_CONDITION = { response_notation: 'status', value: 'done' };

export function createManifestActivities(deps: ActivityDeps) {
  const { db, vault } = deps;
  const { prisma } = db;

  async function load(runId: string) {
    const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
    if (!run.connectionId) throw new PermanentError('This manifest run has no connection');
    const connection = await prisma.connection.findFirst({ where: { id: run.connectionId, orgId: run.orgId } });
    if (!connection) throw new PermanentError('Connection not found');
    if (connection.status !== 'ACTIVE') throw new PermanentError(`Connection "${connection.name}" is ${connection.status}`);
    const found = await findManifest(db, run.orgId, connection.integrationKey);
    if (!found) throw new PermanentError(`Manifest "${connection.integrationKey}" not found`);
    const manifest = requireManifest(found.definition, connection.integrationKey);
    const credentials = decryptManifestCredentials(vault, connection);
    const initialData = credentials.initialData ?? {};
    const input = (run.input ?? {}) as unknown as ManifestRunInput;
    return { run, connection, manifest, initialData, credentials, input, hidden: manifestSecretValues(credentials) };
  }

  function requestsOf(manifest: Manifest, action: ManifestAction): ManifestRequest[] {
    if (action === 'revoke') {
      if (!manifest.revoke?.length) throw new PermanentError('This manifest has no revoke requests');
      return manifest.revoke as ManifestRequest[];
    }
    if (action === 'exists') {
      if (!manifest.exists) throw new PermanentError('This manifest has no exists check');
      return [{ url: manifest.exists.url, method: manifest.exists.method, headers: manifest.exists.headers } as ManifestRequest];
    }
    return manifest.execute;
  }

  async function subjectData(orgId: string, email: unknown): Promise<Record<string, unknown>> {
    if (typeof email !== 'string' || !email) return {};
    const row = await prisma.manifestSubject.findUnique({ where: { orgId_email: { orgId, email: email.toLowerCase() } } });
    return (row?.data ?? {}) as Record<string, unknown>;
  }

  return {
    /** Resets what an earlier attempt produced and says which steps to run with which timers. */
    async manifestBegin(runId: string): Promise<ManifestPlan> {
      const { manifest, input } = await load(runId);
      const requests = requestsOf(manifest, input.action);
      await prisma.$transaction([
        prisma.manifestFile.deleteMany({ where: { runId } }),
        prisma.run.update({ where: { id: runId }, data: { output: { responses: [] } } }),
      ]);
      return {
        steps: requests.map((r) => ({ polling: r.polling ? { intervalMs: Math.round(r.polling.interval * 1000), amount: r.polling.amount } : null })),
      };
    },

    /** One request: render, send, check continue_if, keep the response, store_data, save_as_file. */
    async manifestStep(runId: string, index: number): Promise<StepResult> {
      const ctx = Context.current();
      const { run, connection, manifest, initialData, credentials, input, hidden } = await load(runId);
      const request = requestsOf(manifest, input.action)[index];
      if (!request) throw new PermanentError(`No request ${index} in this manifest`);
      const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const previous = ((run.output as { responses?: unknown[] } | null)?.responses ?? []).slice(0, index);
        const scope = manifestScope({
          initialData,
          form: input.form,
          subject: input.subject,
          stored: await subjectData(run.orgId, input.subject?.email),
          responses: previous,
          extra: credentialScopeExtra(credentials),
        });
        const headers = await renderValue(request.headers ?? manifest.headers, scope);
        const url = await renderValue(request.url, scope);
        const data = request.data === undefined ? undefined : await renderValue(request.data, scope);
        const files: Record<string, { name: string; contentType: string | null; bytes: Uint8Array }> = {};
        for (const [field, name] of Object.entries(request.files ?? {})) {
          const file = await prisma.manifestFile.findUnique({ where: { runId_name: { runId, name } } });
          if (!file) throw new PermanentError(`File "${name}" was not saved by an earlier request (save_as_file)`);
          files[field] = { name, contentType: file.contentType, bytes: file.bytes };
        }
        const response = await sendRequest(deps, { url, method: request.method, headers, data, files }, { overrides: hostOverridesFor(connection.config as Record<string, unknown>), signal: ctx.cancellationSignal });
        // A 401 on an OAuth manifest connection: the connection-tokens workflow (the only
        // refresher) runs the manifest's `refresh` request; once the row holds the new token
        // this attempt fails retryably and the next one sends it.
        if (response.status === 401 && manifest.oauth?.refresh && connection.authMode === 'OAUTH2') {
          const landed = await requestRefreshAndWait(deps, ctx.client, { orgId: run.orgId, connectionId: connection.id, seen: connection.updatedAt.toISOString() }).catch((err) => {
            deps.logger.warn({ err: { message: scrubString((err as Error).message, hidden) }, runId }, 'could not request a token refresh');
            return false;
          });
          if (landed) throw ApplicationFailure.create({ message: `request ${index} answered 401; retrying with the refreshed token`, type: 'AuthError', nextRetryDelay: '200 milliseconds' });
        }

        if (input.action === 'exists') {
          const exists = manifest.exists!;
          if (response.status >= 400 && (exists.fail_when_4xx_response_code || response.status >= 500)) throw failureOf(response, `exists check (${response.url})`);
          const expected = await renderValue(exists.expected, scope);
          const found = response.text.includes(expected);
          await keepResponse(runId, index, scrub({ status: response.status, exists: found }, hidden));
          return { passed: true, exists: found };
        }
        if (response.status >= 400) throw failureOf(response, `request ${index} (${request.method} ${response.url})`);
        const condition = request.continue_if ?? (request.polling ? DEFAULT_POLL_CONDITION : undefined);
        if (condition && !conditionMet(response.data, condition)) return { passed: false };

        const kept = request.save_as_file ? { file: request.save_as_file, size: response.bytes.byteLength } : response.data;
        await keepResponse(runId, index, scrub(kept, hidden));
        if (request.save_as_file) {
          if (response.bytes.byteLength > MAX_FILE_BYTES) throw new PermanentError(`"${request.save_as_file}" is larger than ${MAX_FILE_BYTES} bytes`);
          const contentType = response.headers['content-type'] ?? null;
          await prisma.manifestFile.upsert({
            where: { runId_name: { runId, name: request.save_as_file } },
            create: { runId, name: request.save_as_file, contentType, size: response.bytes.byteLength, bytes: Buffer.from(response.bytes) },
            update: { contentType, size: response.bytes.byteLength, bytes: Buffer.from(response.bytes) },
          });
        }
        if (request.store_data) {
          const email = input.subject?.email;
          if (typeof email !== 'string' || !email) throw new PermanentError('store_data needs the run subject\'s email');
          const values = Object.fromEntries(Object.entries(request.store_data).map(([key, path]) => [key, readDotPath(response.data, path) ?? null]));
          await storeOnSubject(run.orgId, email, scrub(values, hidden));
        }
        return { passed: true };
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        throw toFailure(err, hidden);
      } finally {
        clearInterval(heartbeat);
      }
    },

    /** The run's output. */
    async manifestFinish(runId: string, result: { exists?: boolean }): Promise<void> {
      const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
      const responses = (run.output as { responses?: unknown[] } | null)?.responses ?? [];
      const output = { responses, ...(result.exists !== undefined ? { exists: result.exists } : {}) } as Prisma.InputJsonValue;
      await prisma.run.update({ where: { id: runId }, data: { output } });
    },

    /**
     * post_execute_notification, after a successful execute: rendered like any request, then sent
     * through the connection named by the manifest connection's `config.notificationConnectionId`
     * (an `email` connection's send_email, a `twilio` connection's send_sms). Without one it is
     * SKIPPED (recorded, with a warning). The outcome goes on the run's output as `notification`
     * and to the feed. Failures throw (retried by the workflow, then manifestNotificationFailed).
     */
    async manifestNotify(runId: string): Promise<{ status: NotificationOutcome['status'] | 'NONE' }> {
      const ctx = Context.current();
      const { run, connection, manifest, initialData, credentials, input, hidden } = await load(runId);
      const note = manifest.post_execute_notification;
      if (!note || input.action !== 'execute') return { status: 'NONE' };
      const done = (run.output as { notification?: NotificationOutcome } | null)?.notification;
      if (done?.status === 'SENT') return { status: 'SENT' }; // an earlier attempt sent it and recorded it
      const responses = (run.output as { responses?: unknown[] } | null)?.responses ?? [];
      const scope = manifestScope({ initialData, form: input.form, subject: input.subject, stored: await subjectData(run.orgId, input.subject?.email), responses, extra: credentialScopeExtra(credentials) });
      let rendered: typeof note;
      try {
        rendered = scrub(await renderValue(note, scope), hidden);
      } catch (err) {
        throw toFailure(err, hidden);
      }
      const base = { type: rendered.type, to: rendered.to.trim(), ...(rendered.subject ? { subject: rendered.subject } : {}) };
      const config = (connection.config ?? {}) as { notificationConnectionId?: unknown; notificationFrom?: unknown };
      const senderId = typeof config.notificationConnectionId === 'string' ? config.notificationConnectionId : null;
      if (!senderId) {
        const outcome: NotificationOutcome = { status: 'SKIPPED', ...base, reason: 'No notification connection: set config.notificationConnectionId on the manifest connection' };
        await keepNotification(runId, outcome);
        await recordActivity(db, {
          orgId: run.orgId,
          type: 'manifest.notification_skipped',
          level: 'warn',
          message: `${rendered.type === 'email' ? 'Email' : 'Text message'} to ${base.to} not sent: no notification connection is set on "${connection.name}"`,
          data: { ...base, message: rendered.message } as Prisma.InputJsonValue,
          connectionId: run.connectionId,
          runId,
        });
        return { status: 'SKIPPED' };
      }
      const channel = NOTIFICATION_CHANNELS[rendered.type];
      const sender = await prisma.connection.findFirst({ where: { id: senderId, orgId: run.orgId }, select: { id: true, integrationKey: true, name: true } });
      try {
        if (!sender) throw new PermanentError('The notification connection no longer exists');
        if (sender.integrationKey !== channel.integrationKey) throw new PermanentError(`A ${rendered.type} notification is sent through an "${channel.integrationKey}" connection; "${sender.name}" is ${sender.integrationKey}`);
        const from = typeof config.notificationFrom === 'string' ? config.notificationFrom : undefined;
        const actionInput =
          rendered.type === 'email'
            ? { from, to: base.to, subject: rendered.subject || 'Notification', text: rendered.message }
            : { to: base.to, body: rendered.message, ...(from?.startsWith('MG') ? { messagingServiceSid: from } : { from }) };
        const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
        let output: unknown;
        try {
          output = await runConnectionAction(deps, { orgId: run.orgId, connectionId: sender.id, action: channel.action, input: actionInput, signal: ctx.cancellationSignal, bindings: { runId } });
        } finally {
          clearInterval(heartbeat);
        }
        const sent = output as { messageId?: unknown; sid?: unknown } | null;
        const messageId = typeof sent?.messageId === 'string' ? sent.messageId : typeof sent?.sid === 'string' ? sent.sid : undefined;
        await keepNotification(runId, { status: 'SENT', ...base, connectionId: sender.id, ...(messageId ? { messageId } : {}) });
        await recordActivity(db, {
          orgId: run.orgId,
          type: 'manifest.notification_sent',
          message: `${rendered.type === 'email' ? 'Email' : 'Text message'} to ${base.to} sent through "${sender.name}"${base.subject ? `: ${base.subject}` : ''}`,
          data: { ...base, connectionId: sender.id, ...(messageId ? { messageId } : {}) } as Prisma.InputJsonValue,
          connectionId: run.connectionId,
          runId,
        });
        return { status: 'SENT' };
      } catch (err) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        throw toFailure(err, hidden);
      }
    },

    /** The notification's retries ran out: recorded as FAILED; the integration run itself still succeeds. */
    async manifestNotificationFailed(runId: string, error: string): Promise<void> {
      const { run, manifest, initialData, credentials, input, hidden } = await load(runId);
      const note = manifest.post_execute_notification;
      if (!note) return;
      const responses = (run.output as { responses?: unknown[] } | null)?.responses ?? [];
      const scope = manifestScope({ initialData, form: input.form, subject: input.subject, stored: await subjectData(run.orgId, input.subject?.email), responses, extra: credentialScopeExtra(credentials) });
      const rendered = await renderValue(note, scope).then((r) => scrub(r, hidden)).catch(() => note);
      const message = scrubString(error, hidden);
      const base = { type: rendered.type, to: rendered.to.trim(), ...(rendered.subject ? { subject: rendered.subject } : {}) };
      await keepNotification(runId, { status: 'FAILED', ...base, error: message });
      await recordActivity(db, {
        orgId: run.orgId,
        type: 'manifest.notification_failed',
        level: 'warn',
        message: `${rendered.type === 'email' ? 'Email' : 'Text message'} to ${base.to} could not be sent: ${message}`,
        data: { ...base, error: message } as Prisma.InputJsonValue,
        connectionId: run.connectionId,
        runId,
      });
    },

    async manifestRetryScheduled(runId: string, error: string, retryAfterMs: number): Promise<void> {
      const run = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
      await recordActivity(db, {
        orgId: run.orgId,
        type: 'manifest.retry_scheduled',
        level: 'warn',
        message: `Manifest run failed (${error}); retrying once in ${Math.round(retryAfterMs / 1000)} s`,
        data: { retryAfterMs },
        connectionId: run.connectionId,
        runId,
      });
    },
  };

  async function keepResponse(runId: string, index: number, value: unknown) {
    const run = await prisma.run.findUniqueOrThrow({ where: { id: runId }, select: { output: true } });
    const responses = [...((run.output as { responses?: unknown[] } | null)?.responses ?? [])];
    responses[index] = value ?? null;
    await prisma.run.update({ where: { id: runId }, data: { output: { responses } as Prisma.InputJsonValue } });
  }

  async function keepNotification(runId: string, outcome: NotificationOutcome) {
    const run = await prisma.run.findUniqueOrThrow({ where: { id: runId }, select: { output: true } });
    const output = { ...((run.output ?? {}) as Record<string, unknown>), notification: outcome };
    await prisma.run.update({ where: { id: runId }, data: { output: output as unknown as Prisma.InputJsonValue } });
  }

  async function storeOnSubject(orgId: string, email: string, values: Record<string, unknown>) {
    const key = email.toLowerCase();
    await prisma.$transaction(async (tx) => {
      const existing = await tx.manifestSubject.findUnique({ where: { orgId_email: { orgId, email: key } } });
      const data = { ...((existing?.data ?? {}) as Record<string, unknown>), ...values } as Prisma.InputJsonValue;
      if (existing) await tx.manifestSubject.update({ where: { id: existing.id }, data: { data } });
      else await tx.manifestSubject.create({ data: { orgId, email: key, data } });
    });
  }
}

export type ManifestActivities = ReturnType<typeof createManifestActivities>;

function toFailure(err: unknown, hidden: string[]): unknown {
  if (!(err instanceof Error)) return err;
  const message = scrubString(err.message, hidden);
  if (!isPluginError(err)) return ApplicationFailure.retryable(message, 'TransientError');
  switch (err.kind) {
    case 'PERMANENT':
      return ApplicationFailure.nonRetryable(message, 'PermanentError');
    case 'RATE_LIMIT':
      return ApplicationFailure.create({ message, type: 'RateLimitError', nextRetryDelay: 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : undefined });
    case 'AUTH':
      return ApplicationFailure.nonRetryable(message, 'PermanentError');
    default:
      return ApplicationFailure.retryable(message, 'TransientError');
  }
}
