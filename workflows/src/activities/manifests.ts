// Activities of a manifest run (workflows/manifest.ts): one activity per request. The Run row
// holds what the requests produce (responses, scrubbed of secret values); workflow payloads carry
// only the run id and small flags. initial_data_form values are decrypted here and nowhere else.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { recordActivity, type Prisma } from '@patchbay/db';
import { vaultContext } from '@patchbay/db/vault';
import { isPluginError, PermanentError } from '@patchbay/sdk';
import { findManifest, requireManifest } from '../manifests/registry.ts';
import { conditionMet, failureOf, hostOverridesFor, manifestScope, renderValue, sendRequest } from '../manifests/runtime.ts';
import { readDotPath, type Manifest, type ManifestRequest } from '../manifests/schema.ts';
import { scrub, scrubString, secretValues } from '../runtime/scrub.ts';
import type { ActivityDeps } from '../shared/deps.ts';

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

/** What a run's connection stores (vault ciphertext): the initial_data_form values. */
export interface ManifestCredentials {
  initialData?: Record<string, string>;
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
    const credentials = connection.credentials ? vault.decryptJson<ManifestCredentials>(connection.credentials, vaultContext.connection(connection.id)) : {};
    const initialData = credentials.initialData ?? {};
    const input = (run.input ?? {}) as unknown as ManifestRunInput;
    return { run, connection, manifest, initialData, input, hidden: secretValues(initialData) };
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
      const { run, connection, manifest, initialData, input, hidden } = await load(runId);
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

    /** The run's output, and the post_execute_notification (as an activity event, fanned out to webhooks). */
    async manifestFinish(runId: string, result: { exists?: boolean }): Promise<void> {
      const { run, manifest, initialData, input, hidden } = await load(runId);
      const responses = (run.output as { responses?: unknown[] } | null)?.responses ?? [];
      const output = { responses, ...(result.exists !== undefined ? { exists: result.exists } : {}) } as Prisma.InputJsonValue;
      await prisma.run.update({ where: { id: runId }, data: { output } });
      const note = manifest.post_execute_notification;
      if (note && input.action === 'execute') {
        const scope = manifestScope({ initialData, form: input.form, subject: input.subject, stored: await subjectData(run.orgId, input.subject?.email), responses });
        const rendered = scrub(await renderValue(note, scope), hidden);
        await recordActivity(db, {
          orgId: run.orgId,
          type: 'manifest.notification',
          message: `${rendered.type === 'email' ? 'Email' : 'Text message'} to ${rendered.to}${rendered.subject ? `: ${rendered.subject}` : ''}`,
          data: rendered as Prisma.InputJsonValue,
          connectionId: run.connectionId,
          runId,
        });
      }
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
