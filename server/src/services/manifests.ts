// Declarative integrations: ChiefOnboarding manifests and custom HTTP tools registered per
// organization, their connections (initial_data_form values encrypted), and manifest runs
// (RunKind MANIFEST, executed by manifestWorkflow).
import { randomBytes } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { announceRunChange, Prisma, recordActivity, recordRunEvent, type Connection, type Manifest as ManifestRow, type Run } from '@patchbay/db';
import { vaultContext } from '@patchbay/db/vault';
import { OAuthProviderError } from '@patchbay/workflows/oauth';
import {
  credentialScopeExtra,
  decryptManifestCredentials,
  exchangeManifestCode,
  manifestAuthorizationUrl,
  NOTIFICATION_CHANNELS,
  startConnectionTokens,
  storeManifestGrant,
  describeManifest,
  findManifest,
  hostOverridesFor,
  isSyncManifest,
  MANIFEST_SYNC,
  manifestScope,
  parseDefinition,
  readDotPath,
  renderValue,
  sendRequest,
  startManifestWorkflow,
  upsertSyncSchedule,
  type Manifest,
  type ManifestCredentials,
  type ManifestRunInput,
  type ParsedDefinition,
} from '@patchbay/workflows';
import { z } from 'zod';
import type { Hub } from '../context.ts';
import { badInput, conflict, notFound, unavailable, type InputIssue } from '../errors.ts';
import { callbackUrlOf, hashState, STATE_TTL_MS } from './oauth.ts';
import { ensureSyncState } from './syncs.ts';

const KEY = /^[a-z][a-z0-9_-]*$/;
const GENERATE = 'generate';
export const DEFAULT_MANIFEST_RETRY_SECONDS = 3_600;

function fail(message: string, issues: InputIssue[]): never {
  throw badInput(`${message}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, issues);
}

const zodIssues = (error: z.ZodError, prefix: string): InputIssue[] =>
  error.issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'), message: i.message }));

export function parseStored(row: ManifestRow): ParsedDefinition {
  const parsed = parseDefinition(row.definition);
  if (!parsed.ok) throw unavailable(`The stored manifest "${row.key}" no longer validates`);
  return parsed.value;
}

export function integrationOfManifest(row: ManifestRow) {
  return { ...describeManifest(row, parseStored(row)), packageName: null, version: String(row.version) };
}

const RegisterInput = z.object({
  key: z.string().min(1, 'is required').max(64, 'at most 64 characters').regex(KEY, 'lower case letters, digits, - and _, starting with a letter'),
  displayName: z.string().trim().min(1, 'is required').max(200, 'at most 200 characters'),
  manifest: z.unknown(),
});

export async function registerManifest(hub: Hub, orgId: string, input: { key: string; displayName: string; manifest: unknown }) {
  const base = RegisterInput.safeParse(input);
  if (!base.success) fail('Invalid manifest registration', zodIssues(base.error, 'input'));
  const { key, displayName } = base.data;
  if (hub.plugins.get(key)) fail('Invalid manifest registration', [{ path: 'input.key', message: `"${key}" is a built-in integration` }]);
  const parsed = parseDefinition(input.manifest);
  if (!parsed.ok) fail('Invalid manifest', parsed.issues.map((i) => ({ path: ['input.manifest', i.path].filter(Boolean).join('.'), message: i.message })));
  // The stored definition is the validated one (defaults applied): a run reads what was checked.
  const definition = (parsed.value.kind === 'MANIFEST' ? parsed.value.manifest : { tools: parsed.value.tools }) as Prisma.InputJsonValue;
  const { prisma } = hub.db;
  const existing = await prisma.manifest.findUnique({ where: { orgId_key: { orgId, key } } });
  if (existing && existing.kind !== parsed.value.kind) {
    fail('Invalid manifest registration', [{ path: 'input.manifest', message: `"${key}" holds ${existing.kind === 'MANIFEST' ? 'a manifest' : 'custom tools'}; delete it first to change its kind` }]);
  }
  const row = existing
    ? await prisma.manifest.update({ where: { id: existing.id }, data: { displayName, definition, version: { increment: 1 } } })
    : await prisma.manifest.create({ data: { orgId, key, displayName, kind: parsed.value.kind, definition } });
  await recordActivity(hub.db, {
    orgId,
    type: existing ? 'manifest.updated' : 'manifest.registered',
    message: `${parsed.value.kind === 'MANIFEST' ? 'Manifest' : 'Custom tools'} "${key}" ${existing ? `updated (version ${row.version})` : 'registered'}`,
    data: { key, kind: row.kind, version: row.version },
  });
  // A changed schedule reaches the Schedules of existing connections.
  if (existing && parsed.value.kind === 'MANIFEST' && isSyncManifest(parsed.value.manifest)) {
    const schedule = parsed.value.manifest.schedule ?? null;
    const states = await prisma.syncState.findMany({ where: { orgId, connection: { integrationKey: key } } });
    for (const state of states) {
      await prisma.syncState.update({ where: { id: state.id }, data: { schedule } });
      if (schedule) await upsertSyncSchedule(hub.temporal, state.id, schedule, state.paused);
    }
  }
  return integrationOfManifest(row);
}

export async function deleteManifest(hub: Hub, orgId: string, key: string): Promise<boolean> {
  const { prisma } = hub.db;
  const row = await prisma.manifest.findUnique({ where: { orgId_key: { orgId, key } } });
  if (!row) throw notFound('Manifest');
  const used = await prisma.connection.count({ where: { orgId, integrationKey: key } });
  if (used) throw conflict(`Manifest "${key}" is used by ${used} connection(s); delete them first`);
  await prisma.manifest.delete({ where: { id: row.id } });
  await recordActivity(hub.db, { orgId, type: 'manifest.deleted', message: `Manifest "${key}" deleted`, data: { key } });
  return true;
}

const ConnectConfig = z
  .object({
    hostOverrides: z.record(z.string().min(1), z.url({ message: 'must be a URL' })).optional(),
    notificationConnectionId: z.string().min(1, 'is required').max(200).optional(),
    notificationFrom: z.string().trim().min(1, 'is required').max(320).optional(),
  })
  .loose();

export interface ConnectManifestInput {
  integrationKey: string;
  name: string;
  initialData?: unknown;
  config?: unknown;
}

const E164 = /^\+[1-9]\d{1,14}$/;
const MESSAGING_SERVICE = /^MG[0-9a-fA-F]{32}$/;
const EMAIL_SENDER = /^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;

/**
 * post_execute_notification settings in a manifest connection's config: the connection that
 * sends (an `email` connection for type email, a `twilio` one for text; a global or local id,
 * stored as the local id) and the sender (`notificationFrom`: an email address, or a Twilio
 * number / Messaging Service SID). Checked here so a run never finds out at the end.
 */
async function checkNotificationConfig(hub: Hub, orgId: string, manifest: Manifest | null, config: Record<string, unknown>, issues: InputIssue[]): Promise<Record<string, unknown>> {
  const raw = config.notificationConnectionId;
  if (typeof raw !== 'string') {
    if (config.notificationFrom !== undefined) issues.push({ path: 'input.config.notificationFrom', message: 'set notificationConnectionId too' });
    return config;
  }
  let id = raw;
  try {
    const decoded = decodeGlobalID(raw);
    if (decoded.typename === 'Connection') id = decoded.id;
  } catch {
    // a local id
  }
  const sender = await hub.db.prisma.connection.findFirst({ where: { id, orgId }, select: { id: true, integrationKey: true, status: true } });
  const path = 'input.config.notificationConnectionId';
  if (!sender) {
    issues.push({ path, message: 'no such connection in this organization' });
    return config;
  }
  const type = manifest?.post_execute_notification?.type;
  const expected = type ? NOTIFICATION_CHANNELS[type].integrationKey : null;
  if (expected && sender.integrationKey !== expected) issues.push({ path, message: `a ${type} notification is sent through an "${expected}" connection, not ${sender.integrationKey}` });
  else if (!expected && !Object.values(NOTIFICATION_CHANNELS).some((c) => c.integrationKey === sender.integrationKey)) issues.push({ path, message: 'must be an "email" or a "twilio" connection' });
  const from = config.notificationFrom;
  const channel = expected ?? sender.integrationKey;
  if (typeof from !== 'string') issues.push({ path: 'input.config.notificationFrom', message: channel === 'email' ? 'the sender address is required (e.g. "HR <hr@example.com>")' : 'the sending Twilio number (E.164) or Messaging Service SID is required' });
  else if (channel === 'email' && !EMAIL_SENDER.test(from)) issues.push({ path: 'input.config.notificationFrom', message: 'must be an email address like hr@example.com or "HR <hr@example.com>"' });
  else if (channel === 'twilio' && !E164.test(from) && !MESSAGING_SERVICE.test(from)) issues.push({ path: 'input.config.notificationFrom', message: 'must be a phone number in E.164 format (+14155550123) or a Messaging Service SID (MG…)' });
  return { ...config, notificationConnectionId: sender.id };
}

interface CheckedConnectInput {
  found: { row: ManifestRow; definition: ParsedDefinition };
  name: string;
  initialData: Record<string, string>;
  config: Record<string, unknown>;
}

/** Validates a connect request (name, initial data, config); every problem is reported at its path. */
async function checkConnectInput(hub: Hub, orgId: string, input: ConnectManifestInput): Promise<CheckedConnectInput> {
  const found = await findManifest(hub.db, orgId, input.integrationKey);
  if (!found) fail('Invalid connection', [{ path: 'input.integrationKey', message: `no manifest "${input.integrationKey}" in this organization` }]);
  const issues: InputIssue[] = [];
  if (!input.name?.trim()) issues.push({ path: 'input.name', message: 'is required' });
  const parsedConfig = ConnectConfig.safeParse(input.config ?? {});
  if (!parsedConfig.success) issues.push(...zodIssues(parsedConfig.error, 'input.config'));
  const config = parsedConfig.success
    ? await checkNotificationConfig(hub, orgId, found.definition.kind === 'MANIFEST' ? found.definition.manifest : null, parsedConfig.data, issues)
    : {};
  const initialData = checkInitialData(found.definition, input.initialData ?? {}, issues);
  if (issues.length || !parsedConfig.success) fail('Invalid connection', issues);
  return { found, name: input.name.trim(), initialData, config };
}

/**
 * initial_data_form values, problems reported at `input.initialData.<id>`. With `stored` (an
 * update) the fields left out keep their stored value; otherwise every field is required and
 * `generate` ones are created.
 */
function checkInitialData(definition: ParsedDefinition, given: unknown, issues: InputIssue[], stored?: Record<string, string>): Record<string, string> {
  const initialData: Record<string, string> = { ...stored };
  if (!given || typeof given !== 'object' || Array.isArray(given)) {
    issues.push({ path: 'input.initialData', message: 'an object of the initial_data_form values' });
    return initialData;
  }
  const values = given as Record<string, unknown>;
  if (definition.kind !== 'MANIFEST') {
    if (Object.keys(values).length) issues.push({ path: 'input.initialData', message: 'custom tools take no initial data (use secrets)' });
    return initialData;
  }
  const form = definition.manifest.initial_data_form;
  for (const field of form) {
    const value = values[field.id];
    if (stored && value === undefined) continue;
    if (field.name === GENERATE && !stored) initialData[field.id] = typeof value === 'string' && value ? value : randomBytes(24).toString('base64url');
    else if (typeof value !== 'string' || !value) issues.push({ path: `input.initialData.${field.id}`, message: `${field.name}: a non-empty string is required` });
    else initialData[field.id] = value;
  }
  for (const extra of Object.keys(values).filter((k) => !form.some((f) => f.id === k))) issues.push({ path: `input.initialData.${extra}`, message: 'not in the manifest\'s initial_data_form' });
  return initialData;
}

/** A connection to a manifest: initial_data_form values encrypted (`generate` ones created here). */
export async function connectManifest(hub: Hub, orgId: string, input: ConnectManifestInput): Promise<Connection> {
  const { found, name, initialData, config } = await checkConnectInput(hub, orgId, input);
  if (found.definition.kind === 'MANIFEST' && found.definition.manifest.oauth) {
    fail('Invalid connection', [{ path: 'input.integrationKey', message: `"${found.row.key}" signs in with OAuth (its manifest has an oauth block): connect it with startManifestOAuth` }]);
  }
  const { prisma } = hub.db;
  const connection = await prisma.$transaction(async (tx) => {
    const created = await tx.connection.create({
      data: { orgId, integrationKey: found.row.key, name, authMode: 'NONE', status: 'ACTIVE', config: config as Prisma.InputJsonValue },
    });
    return tx.connection.update({
      where: { id: created.id },
      data: { credentials: hub.vault.encryptJson({ initialData } satisfies ManifestCredentials, vaultContext.connection(created.id)) },
    });
  });
  await recordActivity(hub.db, {
    orgId,
    type: 'connection.created',
    message: `Connection "${connection.name}" to ${found.row.displayName} created`,
    connectionId: connection.id,
    data: { integrationKey: found.row.key, authMode: 'NONE', manifest: true },
  });
  if (found.definition.kind === 'MANIFEST' && isSyncManifest(found.definition.manifest)) await ensureSyncState(hub, connection, MANIFEST_SYNC.key);
  return connection;
}

export interface UpdateManifestConnectionInput {
  connectionId: string;
  name?: string | null;
  /** initial_data_form values to change; the others keep their stored value. */
  initialData?: unknown;
  /** Settings merged into the stored config; a key set to null is removed. */
  config?: unknown;
  /** Shorthands for config.notificationConnectionId / notificationFrom (null removes). */
  notificationConnectionId?: string | null;
  notificationFrom?: string | null;
}

const NOTIFICATION_KEYS = ['notificationConnectionId', 'notificationFrom'] as const;
const UPDATE_ATTEMPTS = 3;

/**
 * Edits a manifest (or custom tools) connection: its name, initial_data_form values (re-encrypted
 * with the stored OAuth tokens kept) and config, checked as connectManifest checks them. The
 * write only lands on the row as it was read: a token refresh stores the credentials in between,
 * and overwriting it with the ciphertext read before would lose the new token.
 */
export async function updateManifestConnection(hub: Hub, orgId: string, input: UpdateManifestConnectionInput): Promise<Connection> {
  const { prisma } = hub.db;
  for (let attempt = 1; ; attempt++) {
    const row = await prisma.connection.findFirst({ where: { id: input.connectionId, orgId } });
    if (!row) throw notFound('Connection');
    const found = await findManifest(hub.db, orgId, row.integrationKey);
    if (!found) fail('Invalid connection update', [{ path: 'input.connectionId', message: 'not a connection to a manifest or custom tools' }]);
    const issues: InputIssue[] = [];
    const name = input.name?.trim();
    if (input.name != null && !name) issues.push({ path: 'input.name', message: 'is required' });
    const config = mergedConfig((row.config ?? {}) as Record<string, unknown>, input, issues);
    const parsedConfig = ConnectConfig.safeParse(config);
    if (!parsedConfig.success) issues.push(...zodIssues(parsedConfig.error, 'input.config'));
    const checkedConfig = parsedConfig.success ? await checkNotificationConfig(hub, orgId, found.definition.kind === 'MANIFEST' ? found.definition.manifest : null, parsedConfig.data, issues) : {};
    const credentials = decryptManifestCredentials(hub.vault, row);
    const initialData = input.initialData == null ? null : checkInitialData(found.definition, input.initialData, issues, credentials.initialData ?? {});
    if (issues.length) {
      // A shorthand's problems are reported where it was given.
      const at = (path: string) => NOTIFICATION_KEYS.find((k) => path === `input.config.${k}` && input[k] !== undefined);
      fail('Invalid connection update', issues.map((i) => (at(i.path) ? { ...i, path: `input.${at(i.path)}` } : i)));
    }
    const { count } = await prisma.connection.updateMany({
      where: { id: row.id, orgId, updatedAt: row.updatedAt },
      data: {
        ...(name ? { name } : {}),
        config: checkedConfig as Prisma.InputJsonValue,
        ...(initialData ? { credentials: hub.vault.encryptJson({ ...credentials, initialData } satisfies ManifestCredentials, vaultContext.connection(row.id)) } : {}),
      },
    });
    if (!count) {
      if (attempt < UPDATE_ATTEMPTS) continue;
      throw conflict('The connection kept changing while it was being edited; try again');
    }
    const changed = [
      ...(name && name !== row.name ? ['name'] : []),
      ...changedKeys((row.config ?? {}) as Record<string, unknown>, checkedConfig).map((k) => `config.${k}`),
      ...Object.keys(initialData ?? {}).filter((k) => initialData![k] !== credentials.initialData?.[k]).map((k) => `initialData.${k}`),
    ];
    await recordActivity(hub.db, {
      orgId,
      type: 'connection.updated',
      message: `Connection "${name ?? row.name}" updated${changed.length ? `: ${changed.join(', ')}` : ' (no change)'}`,
      connectionId: row.id,
      data: { integrationKey: row.integrationKey, changed },
    });
    return prisma.connection.findUniqueOrThrow({ where: { id: row.id } });
  }
}

function mergedConfig(stored: Record<string, unknown>, input: UpdateManifestConnectionInput, issues: InputIssue[]): Record<string, unknown> {
  const merged = { ...stored };
  const given = input.config ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) issues.push({ path: 'input.config', message: 'an object of settings' });
  else {
    for (const [key, value] of Object.entries(given)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
  }
  for (const key of NOTIFICATION_KEYS) {
    if (input[key] === null) delete merged[key];
    else if (input[key] !== undefined) merged[key] = input[key];
  }
  return merged;
}

/** The top-level keys whose values differ (names only: config holds no secrets, but stays out of the feed anyway). */
function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

export interface StartManifestOAuthInput extends ConnectManifestInput {
  /** Where the browser goes after the callback (with connection_id and status). */
  redirectUrl?: string | null;
}

/**
 * startManifestOAuth: the OAuth flow of a manifest with an `oauth` block, on the same machinery as
 * startOAuth — a PENDING connection (authMode OAUTH2; initial data encrypted), a single-use state
 * that expires in 10 minutes (only its hash is stored, bound to the org and the connection), and
 * the rendered `authenticate_url` to send the user to. /oauth/callback completes it.
 */
export async function startManifestOAuth(hub: Hub, orgId: string, input: StartManifestOAuthInput): Promise<{ authorizationUrl: string; connection: Connection }> {
  const { found, name, initialData, config } = await checkConnectInput(hub, orgId, input);
  const manifest = found.definition.kind === 'MANIFEST' ? found.definition.manifest : null;
  if (!manifest?.oauth) fail('Invalid connection', [{ path: 'input.integrationKey', message: `"${found.row.key}" has no oauth block: connect it with connectManifest` }]);
  const redirectUrl = callbackUrlOf(hub);
  const state = randomBytes(32).toString('base64url');
  let authorizationUrl: string;
  try {
    authorizationUrl = await manifestAuthorizationUrl(manifest.oauth, { initialData, redirectUrl, state, config });
  } catch (err) {
    fail('Invalid manifest', [{ path: 'input.integrationKey', message: `oauth.authenticate_url: ${(err as Error).message}` }]);
  }
  const credentials: ManifestCredentials = { initialData, redirectUrl };
  const connection = await hub.db.prisma.$transaction(async (tx) => {
    const created = await tx.connection.create({
      data: { orgId, integrationKey: found.row.key, name, authMode: 'OAUTH2', status: 'PENDING', config: config as Prisma.InputJsonValue },
    });
    await tx.oAuthState.create({
      data: { stateHash: hashState(state), orgId, connectionId: created.id, codeVerifier: '', redirectUrl: input.redirectUrl ?? null, scopes: [], expiresAt: new Date(Date.now() + STATE_TTL_MS) },
    });
    return tx.connection.update({ where: { id: created.id }, data: { credentials: hub.vault.encryptJson(credentials, vaultContext.connection(created.id)) } });
  });
  return { authorizationUrl, connection };
}

/**
 * The callback of a manifest's OAuth flow, after services/oauth.ts checked and claimed the state:
 * the `access_token` request with the `code` (none needed with `without_code`), its answer stored
 * encrypted as `{{ oauth }}`, the connection ACTIVE, and — when the manifest has a `refresh`
 * request — the connection-tokens workflow started, which runs it before `expires_in` runs out
 * and when a request gets a 401. null: not a manifest connection.
 */
export async function completeManifestOAuth(
  hub: Hub,
  state: { orgId: string; connectionId: string; connection: Connection },
  params: URLSearchParams,
): Promise<{ ok: true } | { ok: false; message: string } | null> {
  const found = await findManifest(hub.db, state.orgId, state.connection.integrationKey).catch(() => null);
  if (!found || found.definition.kind !== 'MANIFEST' || !found.definition.manifest.oauth) return null;
  const manifest = found.definition.manifest;
  const oauth = manifest.oauth!;
  const error = params.get('error');
  if (error) {
    const clean = error.replace(/[^\w.-]/g, '').slice(0, 64);
    return { ok: false, message: clean === 'access_denied' ? 'Access was denied at the provider' : `The provider refused the authorization: ${clean}` };
  }
  const code = params.get('code');
  if (!code && !oauth.without_code) return { ok: false, message: 'The provider sent no code back. Start connecting again from the app.' };
  const row = await hub.db.prisma.connection.findUniqueOrThrow({ where: { id: state.connectionId } });
  const credentials = decryptManifestCredentials(hub.vault, row);
  try {
    const grant = await exchangeManifestCode(hub, { manifest, credentials, config: row.config as Record<string, unknown>, code: oauth.without_code ? code : code! });
    await storeManifestGrant(hub, row, credentials, grant);
  } catch (err) {
    if (err instanceof OAuthProviderError) return { ok: false, message: err.message };
    throw err;
  }
  if (oauth.refresh) {
    try {
      await startConnectionTokens(hub.temporal, { id: row.id, orgId: row.orgId });
    } catch (err) {
      hub.logger.warn({ err, connectionId: row.id }, 'could not start the token workflow; the next 401 starts it');
    }
  }
  await recordActivity(hub.db, {
    orgId: row.orgId,
    type: 'connection.created',
    message: `Connection "${row.name}" to ${found.row.displayName} connected`,
    connectionId: row.id,
    data: { integrationKey: row.integrationKey, authMode: 'OAUTH2', manifest: true },
  });
  if (isSyncManifest(manifest)) {
    // The connection works already; a sync state missing here is created on the sync's first use.
    await ensureSyncState(hub, row, MANIFEST_SYNC.key).catch((err) => hub.logger.warn({ err, connectionId: row.id }, 'could not set up the users sync'));
  }
  return { ok: true };
}

const ACTIONS = ['execute', 'exists', 'revoke'] as const;

const Subject = z
  .object({ email: z.email({ message: 'a valid email is required' }) })
  .catchall(z.union([z.string(), z.number(), z.boolean(), z.null()], { message: 'subject fields are strings, numbers or booleans' }));

export interface RunManifestRequest {
  connectionId: string;
  action: (typeof ACTIONS)[number];
  subject?: unknown;
  form?: unknown;
  idempotencyKey?: string | null;
  retryAfterSeconds?: number | null;
}

/** Checks the subject and the form, then starts a durable manifest run. */
export async function runManifest(hub: Hub, orgId: string, request: RunManifestRequest): Promise<Run> {
  const { prisma } = hub.db;
  const connection = await prisma.connection.findFirst({ where: { id: request.connectionId, orgId } });
  if (!connection) throw notFound('Connection');
  const found = await findManifest(hub.db, orgId, connection.integrationKey);
  if (!found || found.definition.kind !== 'MANIFEST') fail('Invalid manifest run', [{ path: 'input.connectionId', message: 'not a connection to a manifest (custom tools run with runAction)' }]);
  const manifest = found.definition.manifest;
  const issues: InputIssue[] = [];
  if (request.action === 'execute' && isSyncManifest(manifest)) issues.push({ path: 'input.action', message: 'a sync users manifest runs with startSync' });
  if (request.action === 'exists' && !manifest.exists) issues.push({ path: 'input.action', message: 'this manifest has no exists check' });
  if (request.action === 'revoke' && !manifest.revoke) issues.push({ path: 'input.action', message: 'this manifest has no revoke requests' });
  const subject = Subject.safeParse(request.subject ?? {});
  if (!subject.success) issues.push(...zodIssues(subject.error, 'input.subject'));
  const form: Record<string, unknown> = {};
  const given = (request.form ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given)) issues.push({ path: 'input.form', message: 'an object of form values' });
  else if (request.action === 'execute') {
    for (const field of manifest.form) {
      const value = given[field.id];
      const ok = field.type === 'multiple_choice' ? Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number') : typeof value === 'string' || typeof value === 'number';
      if (!ok) issues.push({ path: `input.form.${field.id}`, message: field.type === 'multiple_choice' ? 'a list of choices is required' : `${field.name}: a value is required` });
      else form[field.id] = value;
    }
    for (const extra of Object.keys(given).filter((k) => !manifest.form.some((f) => f.id === k))) issues.push({ path: `input.form.${extra}`, message: 'not in the manifest\'s form' });
  }
  const retry = request.retryAfterSeconds ?? DEFAULT_MANIFEST_RETRY_SECONDS;
  if (!Number.isInteger(retry) || retry < 0 || retry > 7 * 86_400) issues.push({ path: 'input.retryAfterSeconds', message: 'whole seconds between 0 and 604800' });
  if (issues.length || !subject.success) fail('Invalid manifest run', issues);

  const email = subject.data.email.toLowerCase();
  await prisma.manifestSubject.upsert({ where: { orgId_email: { orgId, email } }, create: { orgId, email }, update: {} });
  const input: ManifestRunInput = { action: request.action, subject: { ...subject.data }, form };
  let run: Run;
  try {
    run = await prisma.run.create({
      data: { orgId, kind: 'MANIFEST', action: request.action, connectionId: connection.id, input: input as unknown as Prisma.InputJsonValue, idempotencyKey: request.idempotencyKey ?? null },
    });
  } catch (err) {
    if (request.idempotencyKey && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      const existing = await prisma.run.findFirstOrThrow({ where: { orgId, idempotencyKey: request.idempotencyKey } });
      if (existing.status === 'QUEUED') await dispatchManifest(hub, existing, connection.integrationKey, retry);
      return existing;
    }
    throw err;
  }
  await recordRunEvent(hub.db, run, 'queued');
  await dispatchManifest(hub, run, connection.integrationKey, retry);
  return run;
}

async function dispatchManifest(hub: Hub, run: Run, integrationKey: string, retryAfterSeconds: number) {
  try {
    await startManifestWorkflow(hub.temporal, { ...run, integrationKey }, { retryAfterMs: retryAfterSeconds * 1000 });
  } catch (err) {
    hub.logger.error({ err, runId: run.id }, 'could not start the manifest workflow');
    await hub.db.prisma.run.updateMany({ where: { id: run.id, status: 'QUEUED' }, data: { status: 'FAILED', error: 'Could not start: the workflow service is unreachable', finishedAt: new Date() } });
    await announceRunChange(hub.db, { id: run.id, orgId: run.orgId });
    throw unavailable('The workflow service is unreachable; the run was not started. Retry with the same idempotencyKey.');
  }
}

export interface FormField {
  id: string;
  name: string;
  type: string;
  options: Array<{ value: string; name: string }> | null;
}

const FORM_TIMEOUT_MS = 15_000;

/** The manifest's form for a connection, with `choice` options fetched from the API (`data_from`, `choice_value`, `choice_name`). */
export async function manifestForm(hub: Hub, orgId: string, connectionId: string): Promise<FormField[]> {
  const connection = await hub.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!connection) throw notFound('Connection');
  const found = await findManifest(hub.db, orgId, connection.integrationKey);
  if (!found || found.definition.kind !== 'MANIFEST') fail('Invalid form request', [{ path: 'connectionId', message: 'not a connection to a manifest' }]);
  const manifest = found.definition.manifest;
  const credentials = decryptManifestCredentials(hub.vault, connection);
  const scope = manifestScope({ initialData: credentials.initialData ?? {}, extra: credentialScopeExtra(credentials) });
  const fields: FormField[] = [];
  for (const field of manifest.form) {
    if (field.type === 'input') {
      fields.push({ id: field.id, name: field.name, type: field.type, options: null });
      continue;
    }
    let items: unknown[] = field.items ?? [];
    if (field.url) {
      try {
        const response = await sendRequest(
          hub,
          { url: await renderValue(field.url, scope), method: field.method, headers: await renderValue(field.headers ?? manifest.headers, scope) },
          { overrides: hostOverridesFor(connection.config as Record<string, unknown>), signal: AbortSignal.timeout(FORM_TIMEOUT_MS) },
        );
        if (response.status >= 400) throw new Error(`the provider answered ${response.status}`);
        const list = readDotPath(response.data, field.data_from);
        if (!Array.isArray(list)) throw new Error(`data_from "${field.data_from ?? ''}" is not a list`);
        items = list;
      } catch (err) {
        // Never echo the provider's body or the rendered URL: they may hold initial data.
        throw unavailable(`Could not fetch the options of form field "${field.id}": ${(err as Error).message.split(':')[0]}`);
      }
    }
    const valueKey = field.items ? 'id' : field.choice_value;
    const nameKey = field.items ? 'name' : field.choice_name;
    fields.push({
      id: field.id,
      name: field.name,
      type: field.type,
      options: items.map((item) => ({ value: String(readDotPath(item, valueKey) ?? ''), name: String(readDotPath(item, nameKey) ?? '') })),
    });
  }
  return fields;
}
