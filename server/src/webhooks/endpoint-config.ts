// What an endpoint may be configured with, checked before it is stored: the secret's shape per
// scheme, the header name, scheme options, the transform (a JSONPath mapping) and the target
// (an action on one of the organization's own connections, a URL to forward to, or a plugin's
// webhook trigger).
import { randomBytes } from 'node:crypto';
import type { VerificationScheme } from '@patchbay/db';
import { checkActionInput, checkTriggerSettings, isPluginError } from '@patchbay/sdk';
import { checkUrl, PrivateNetworkError } from '@patchbay/workflows';
import { z } from 'zod';
import type { Hub } from '../context.ts';
import { badInput, notFound } from '../errors.ts';
import { localId } from '../schema/ids.ts';

/** The vault's associated data for an endpoint's secret (prisma/src/rotate.ts uses the same). */
export const webhookEndpointContext = (id: string) => `webhook-endpoint:${id}`;

export const MAX_BODY_LIMIT = 10 * 1024 * 1024;
const HEADER_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/** The provider issues these secrets; the hub cannot make one up. */
const PROVIDER_ISSUED: VerificationScheme[] = ['SLACK', 'TWILIO', 'DISCORD'];
const ISSUED_SECRET: Partial<Record<VerificationScheme, string>> = {
  SLACK: "the app's signing secret",
  TWILIO: 'the account auth token',
  DISCORD: "the application's public key, 64 hex digits",
};
const HEADER_SCHEMES: VerificationScheme[] = ['HEADER_KEY', 'HMAC_SHA256'];

/** A fresh secret for the scheme, or null when the provider issues it (or NONE). */
export function generateSecret(scheme: VerificationScheme): string | null {
  if (scheme === 'NONE' || PROVIDER_ISSUED.includes(scheme)) return null;
  // Standard Webhooks: whsec_ + base64 of the key bytes (what svix and the spec's libraries expect).
  if (scheme === 'STANDARD_WEBHOOKS') return `whsec_${randomBytes(24).toString('base64')}`;
  return randomBytes(32).toString('base64url');
}

export function checkSecret(scheme: VerificationScheme, secret: string | null | undefined): string | null {
  const fail = (message: string) => badInput(`Invalid secret: ${message}`, [{ path: 'secret', message }]);
  if (scheme === 'NONE') {
    if (secret) throw fail('a NONE endpoint has no secret');
    return null;
  }
  if (secret === null || secret === undefined) {
    if (PROVIDER_ISSUED.includes(scheme)) throw fail(`${scheme} endpoints need the secret the provider issued (${ISSUED_SECRET[scheme]})`);
    return null;
  }
  if (secret.length < 8 || secret.length > 1024) throw fail('between 8 and 1024 characters');
  if (scheme === 'STANDARD_WEBHOOKS') {
    const base64 = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, 'base64').length : 0;
    if (bytes < 16 || bytes > 64) throw fail('a Standard Webhooks secret is whsec_ followed by base64 of 16 to 64 bytes');
  }
  return secret;
}

export function checkHeaderName(scheme: VerificationScheme, headerName: string | null | undefined): string | null {
  if (headerName === null || headerName === undefined) return null;
  if (!HEADER_SCHEMES.includes(scheme)) throw badInput('headerName applies to HEADER_KEY and HMAC_SHA256 endpoints only', [{ path: 'headerName', message: 'not used by this scheme' }]);
  if (!HEADER_TOKEN.test(headerName)) throw badInput('headerName must be an HTTP header name', [{ path: 'headerName', message: 'letters, digits and -' }]);
  return headerName;
}

const OptionsSchema = z.strictObject({
  ordered: z.boolean({ message: 'true or false' }).optional(),
  encoding: z.enum(['hex', 'base64'], { message: 'hex or base64' }).optional(),
  prefix: z.string().max(32, 'at most 32 characters').optional(),
});

export type EndpointOptions = z.infer<typeof OptionsSchema>;

export function checkOptions(scheme: VerificationScheme, options: unknown): EndpointOptions {
  if (options === null || options === undefined) return {};
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: ['options', ...i.path.map(String)].join('.'), message: i.message }));
    throw badInput(`Invalid options: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')} (known: ordered, and for HMAC_SHA256 encoding and prefix)`, issues);
  }
  if (scheme !== 'HMAC_SHA256' && (parsed.data.encoding !== undefined || parsed.data.prefix !== undefined)) {
    throw badInput('options.encoding and options.prefix apply to HMAC_SHA256 endpoints only', [{ path: 'options', message: 'not used by this scheme' }]);
  }
  return parsed.data;
}

function isMapping(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return true;
  if (depth > 20 || !value || typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.values(value).every((v) => isMapping(v, depth + 1));
}

export function checkTransform(transform: unknown): unknown {
  if (transform === null || transform === undefined) return null;
  if (!isMapping(transform)) {
    throw badInput('transform must be a JSONPath string or an object of them, e.g. { "message": "$.data.description" }', [{ path: 'transform', message: 'not a mapping' }]);
  }
  return transform;
}

const TargetSchema = z.union([
  z.strictObject({
    action: z.strictObject({
      connectionId: z.string().min(1, 'connectionId is required'),
      action: z.string().min(1, 'action is required').max(200),
      input: z.unknown().optional(),
    }),
  }),
  z.strictObject({
    trigger: z.strictObject({
      integrationKey: z.string().min(1, 'integrationKey is required').max(200),
      trigger: z.string().min(1, 'trigger is required').max(200),
      connectionId: z.string().min(1).optional(),
      settings: z.unknown().optional(),
    }),
  }),
  z.strictObject({
    flow: z.strictObject({ flowId: z.string().min(1, 'flowId is required') }),
  }),
  z.strictObject({
    forward: z.strictObject({
      url: z.url({ protocol: /^https?$/, message: 'an http(s) URL' }),
      headers: z.record(z.string().regex(HEADER_TOKEN, 'a header name'), z.string().max(4096)).optional(),
    }),
  }),
]);

/** The stored form of a target (the connection's database id), checked against the organization. */
export async function checkTarget(hub: Hub, orgId: string, target: unknown, scheme: VerificationScheme): Promise<unknown> {
  if (target === null || target === undefined) return null;
  const parsed = TargetSchema.safeParse(target);
  if (!parsed.success) {
    throw badInput(
      'target must be { "action": { "connectionId", "action", "input"? } }, { "forward": { "url", "headers"? } }, { "trigger": { "integrationKey", "trigger", "connectionId"?, "settings"? } } or { "flow": { "flowId" } }',
      parsed.error.issues.map((i) => ({ path: ['target', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  if ('forward' in parsed.data) {
    try {
      await checkUrl(new URL(parsed.data.forward.url), { allowPrivateNetwork: hub.config.PATCHBAY_ALLOW_PRIVATE_NETWORK });
    } catch (err) {
      if (err instanceof PrivateNetworkError) throw badInput(err.message, [{ path: 'target.forward.url', message: 'private address' }]);
      // A name that does not resolve now may later: the worker checks again before every forward.
      if (!isPluginError(err) || err.kind !== 'TRANSIENT') throw err;
    }
    return parsed.data;
  }
  if ('trigger' in parsed.data) return checkTriggerTarget(hub, orgId, parsed.data.trigger, scheme);
  if ('flow' in parsed.data) {
    const flowId = localId(parsed.data.flow.flowId, 'Flow', 'target.flow.flowId');
    const flow = await hub.db.prisma.flow.findFirst({ where: { id: flowId, orgId, deletedAt: null }, select: { id: true } });
    if (!flow) throw notFound('Flow');
    return { flow: { flowId } };
  }
  const { action } = parsed.data;
  const connectionId = localId(action.connectionId, 'Connection', 'target.action.connectionId');
  const connection = await hub.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
  if (!connection) throw notFound('Connection');
  const plugin = hub.plugins.get(connection.integrationKey);
  if (!plugin) throw badInput(`Integration "${connection.integrationKey}" is not loaded in this hub`, [{ path: 'target.action.connectionId', message: 'integration not loaded' }]);
  if (!plugin.actions.some((a) => a.key === action.action)) {
    throw badInput(`Integration "${plugin.key}" has no action "${action.action}"`, [{ path: 'target.action.action', message: 'no such action' }]);
  }
  // Without an input the mapped payload itself is the input: it can only be checked per event.
  const issues = action.input === undefined ? null : checkActionInput(plugin, action.action, action.input);
  if (issues) {
    const scoped = issues.map((i) => ({ path: i.path ? `target.action.input.${i.path}` : 'target.action.input', message: i.message }));
    throw badInput(`Invalid target action input: ${scoped.map((i) => `${i.path}: ${i.message}`).join('; ')}`, scoped);
  }
  return { action: { connectionId, action: action.action, ...(action.input !== undefined ? { input: action.input } : {}) } };
}

/**
 * A plugin's webhook trigger: it must exist and take requests, its settings must be valid, the
 * endpoint must check the signature scheme the trigger's provider uses, and a named connection
 * must be the organization's own, to the same integration.
 */
async function checkTriggerTarget(
  hub: Hub,
  orgId: string,
  target: { integrationKey: string; trigger: string; connectionId?: string; settings?: unknown },
  scheme: VerificationScheme,
): Promise<unknown> {
  const plugin = hub.plugins.get(target.integrationKey);
  if (!plugin) throw badInput(`Unknown integration "${target.integrationKey}"`, [{ path: 'target.trigger.integrationKey', message: 'no such integration' }]);
  const trigger = plugin.triggers?.find((t) => t.key === target.trigger);
  if (!trigger || !trigger.handle) {
    const known = (plugin.triggers ?? []).filter((t) => t.handle).map((t) => t.key);
    throw badInput(`Integration "${plugin.key}" has no webhook trigger "${target.trigger}"${known.length ? ` (it has: ${known.join(', ')})` : ''}`, [{ path: 'target.trigger.trigger', message: 'no such webhook trigger' }]);
  }
  if (trigger.verification && trigger.verification !== scheme) {
    throw badInput(`${plugin.displayName}'s "${trigger.key}" requests are signed with ${trigger.verification}: create the endpoint with verification ${trigger.verification}`, [{ path: 'verification', message: `must be ${trigger.verification}` }]);
  }
  let settings: unknown;
  try {
    settings = checkTriggerSettings(trigger, target.settings);
  } catch (err) {
    throw badInput((err as Error).message, [{ path: 'target.trigger.settings', message: (err as Error).message }]);
  }
  let connectionId: string | undefined;
  if (target.connectionId) {
    connectionId = localId(target.connectionId, 'Connection', 'target.trigger.connectionId');
    const connection = await hub.db.prisma.connection.findFirst({ where: { id: connectionId, orgId } });
    if (!connection) throw notFound('Connection');
    if (connection.integrationKey !== plugin.key) {
      throw badInput(`The connection is to "${connection.integrationKey}", not "${plugin.key}"`, [{ path: 'target.trigger.connectionId', message: 'another integration' }]);
    }
  }
  return { trigger: { integrationKey: plugin.key, trigger: trigger.key, ...(connectionId ? { connectionId } : {}), ...(target.settings !== undefined ? { settings } : {}) } };
}
