// Where a sync's pages come from: a plugin's defineSync, or a ChiefOnboarding sync-users
// manifest whose pagination style is data (token + next_page, next-URL, page/offset numbers,
// Link header) with the amount_pages_to_fetch cap, data_from and data_structure. A manifest
// with an `oauth` block sends {{ oauth.* }} like its execute requests, and a page answered 401
// is sent once more after the connection-tokens workflow renewed the token (see RenewToken).
import { createHash } from 'node:crypto';
import type { Connection, SyncState } from '@patchbay/db';
import { vaultContext } from '@patchbay/db/vault';
import { createActionContext, PermanentError } from '@patchbay/sdk';
import { credentialScope, decryptManifestCredentials, manifestSecretValues } from '../manifests/oauth.ts';
import { findManifest, MANIFEST_SYNC, requireManifest } from '../manifests/registry.ts';
import { failureOf, hostOverridesFor, renderValue, sendRequest, type OutgoingRequest } from '../manifests/runtime.ts';
import { readDotPath, type Manifest } from '../manifests/schema.ts';
import { connectionStore } from '../runtime/connection-store.ts';
import { networkGuardFor } from '../runtime/network-guard.ts';
import { scrubString, secretValues } from '../runtime/scrub.ts';
import type { ActivityDeps } from '../shared/deps.ts';

export interface FetchedPage {
  records: Array<{ id: string; data: unknown }>;
  nextCursor: string | null;
}

/**
 * Asks for a new token for the connection whose token is stamped `seen` (its row's updatedAt) and
 * waits for it: true once the row holds a new ACTIVE token. Only the activity that fetches a page
 * passes one (a prefetch does not: it may outlive its activity, and its caller fetches again).
 */
export type RenewToken = (seen: string) => Promise<boolean>;

export interface SyncSource {
  model: string;
  /** 'records': upsert into SyncRecord; 'update-subjects': merge fields into existing subjects (match on email). */
  mode: 'records' | 'update-subjects';
  /** Stop after this many pages (the manifest's amount_pages_to_fetch). */
  maxPages: number | null;
  fetchPage(cursor: string | null, pageNo: number, signal: AbortSignal, renew?: RenewToken): Promise<FetchedPage>;
}

export async function syncSourceFor(deps: ActivityDeps, state: SyncState): Promise<SyncSource> {
  const connection = await deps.db.prisma.connection.findFirst({ where: { id: state.connectionId, orgId: state.orgId } });
  if (!connection) throw new PermanentError('Connection not found');
  if (connection.status !== 'ACTIVE') throw new PermanentError(`Connection "${connection.name}" is ${connection.status}`);
  const plugin = deps.plugins.get(connection.integrationKey);
  if (plugin) {
    const credentials = connection.credentials ? deps.vault.decryptJson<unknown>(connection.credentials, vaultContext.connection(connection.id)) : {};
    const config = (connection.config ?? {}) as Record<string, unknown>;
    const sync = plugin.syncs?.find((s) => s.key === state.syncKey);
    if (!sync) throw new PermanentError(`Integration "${plugin.key}" has no sync "${state.syncKey}"`);
    const hidden = secretValues(credentials);
    return {
      model: sync.model,
      mode: 'records',
      maxPages: null,
      async fetchPage(cursor, _pageNo, signal) {
        const ctx = createActionContext(
          {
            plugin,
            mode: connection.authMode,
            credentials,
            config,
            store: connectionStore(deps.db, connection.id),
            signal,
            http: networkGuardFor(deps),
          },
          { cursor, modifiedAfter: null },
        );
        try {
          const page = await sync.fetchPage(ctx);
          return { records: page.records.map((r) => ({ id: String(r.id), data: r.data })), nextCursor: page.nextCursor ?? null };
        } catch (err) {
          if (err instanceof Error) err.message = scrubString(err.message, hidden);
          throw err;
        }
      },
    };
  }
  const found = await findManifest(deps.db, state.orgId, connection.integrationKey);
  if (!found) throw new PermanentError(`Integration "${connection.integrationKey}" is not loaded and is no manifest of this organization`);
  const manifest = requireManifest(found.definition, connection.integrationKey);
  if (!manifest.action || state.syncKey !== MANIFEST_SYNC.key) throw new PermanentError(`Manifest "${connection.integrationKey}" has no sync "${state.syncKey}"`);
  return manifestSource(deps, manifest, connection);
}

/** What a page request is signed with: one stored version of the connection's credentials. */
interface Signing {
  scope: Record<string, unknown>;
  hidden: string[];
  /** The row's updatedAt when these were read: the `seen` of a renewal request. */
  stamp: string;
  headers?: Promise<Record<string, string>>;
}

function manifestSource(deps: ActivityDeps, manifest: Manifest, connection: Connection): SyncSource {
  const request = manifest.execute[0]!;
  const pagination = manifest.pagination;
  const overrides = hostOverridesFor(connection.config as Record<string, unknown> | null);
  const renewable = Boolean(manifest.oauth?.refresh) && connection.authMode === 'OAUTH2';
  const signingOf = (row: Connection): Signing => {
    const credentials = decryptManifestCredentials(deps.vault, row);
    return { scope: credentialScope(credentials), hidden: manifestSecretValues(credentials), stamp: row.updatedAt.toISOString() };
  };
  let signing = signingOf(connection);

  async function pageRequest(sign: Signing, cursor: string | null): Promise<OutgoingRequest> {
    const { scope } = sign;
    sign.headers ??= renderValue(request.headers ?? manifest.headers, scope);
    const headers = await sign.headers;
    let method = request.method;
    let data = request.data === undefined ? undefined : await renderValue(request.data, scope);
    let url: string;
    if (cursor === null || pagination?.type === 'page' || pagination?.type === 'offset') {
      url = await renderValue(request.url, scope);
      if (pagination?.type === 'page' || pagination?.type === 'offset') {
        const value = cursor ?? String(pagination.type === 'page' ? pagination.start : 0);
        const u = new URL(url);
        u.searchParams.set(pagination.param, value);
        if (pagination.type === 'offset') u.searchParams.set('limit', String(pagination.limit));
        url = u.toString();
      }
    } else if (manifest.next_page_token_from) {
      url = await renderValue(manifest.next_page!, { ...scope, NEXT_PAGE_TOKEN: cursor });
    } else {
      url = cursor; // next_page_from or Link header: the provider's own URL
      method = 'GET';
      data = undefined;
    }
    return { url, method, headers, data };
  }

  /** A new token from the connection-tokens workflow (the only refresher); null when none came. */
  async function renewed(renew: RenewToken, seen: Signing): Promise<Signing | null> {
    const landed = await renew(seen.stamp).catch((err) => {
      deps.logger.warn({ err: { message: scrubString((err as Error).message, seen.hidden) }, connectionId: connection.id }, 'could not request a token refresh');
      return false;
    });
    if (!landed) return null;
    const row = await deps.db.prisma.connection.findFirst({ where: { id: connection.id, orgId: connection.orgId } });
    return row?.status === 'ACTIVE' ? signingOf(row) : null;
  }

  return {
    model: MANIFEST_SYNC.model,
    mode: manifest.action === 'update' ? 'update-subjects' : 'records',
    maxPages: manifest.amount_pages_to_fetch,
    async fetchPage(cursor, pageNo, signal, renew) {
      const first = signing;
      let sign = first;
      let outgoing = await pageRequest(sign, cursor);
      let response = await sendRequest(deps, outgoing, { overrides, signal });
      let unrenewed = false;
      if (response.status === 401 && renewable && renew) {
        const next = await renewed(renew, sign);
        if (next) {
          signing = sign = next;
          outgoing = await pageRequest(sign, cursor);
          response = await sendRequest(deps, outgoing, { overrides, signal });
        } else unrenewed = true;
      }
      if (response.status >= 400) {
        const err = failureOf(response, `page ${pageNo} (${outgoing.method} ${response.url})`);
        err.message = scrubString(err.message, sign === first ? first.hidden : [...first.hidden, ...sign.hidden]) + (unrenewed ? '; the token could not be renewed (see the connection\'s lastError)' : '');
        throw err;
      }
      const items = readDotPath(response.data, manifest.data_from);
      if (!Array.isArray(items)) throw new PermanentError(`data_from "${manifest.data_from ?? ''}" is not a list in the response of page ${pageNo}`);
      const records = items.map((item) => recordOf(item, manifest.data_structure ?? {}));
      let nextCursor: string | null = null;
      if (items.length > 0) {
        if (manifest.next_page_token_from) nextCursor = stringOrNull(readDotPath(response.data, manifest.next_page_token_from));
        else if (manifest.next_page_from) nextCursor = stringOrNull(readDotPath(response.data, manifest.next_page_from));
        else if (pagination?.type === 'page') nextCursor = String(Number(cursor ?? pagination.start) + 1);
        else if (pagination?.type === 'offset') nextCursor = items.length >= pagination.limit ? String(Number(cursor ?? 0) + pagination.limit) : null;
        else if (pagination?.type === 'link_header') nextCursor = nextLink(response.headers.link, response.url);
      }
      return { records, nextCursor };
    },
  };
}

function recordOf(item: unknown, structure: Record<string, string>): { id: string; data: Record<string, unknown> } {
  const data: Record<string, unknown> = {};
  for (const [field, path] of Object.entries(structure)) data[field] = readDotPath(item, path) ?? null;
  // Users are matched on email: the mapped one, else the item's own (`email`, BambooHR's
  // `workEmail`, Google's `primaryEmail`): the published update example maps no email.
  const email = [data.email, readDotPath(item, 'email'), readDotPath(item, 'workEmail'), readDotPath(item, 'primaryEmail')].find((v) => typeof v === 'string' && v);
  if (typeof email === 'string') {
    return { id: email.toLowerCase(), data };
  }
  const own = readDotPath(item, 'id');
  if (typeof own === 'string' || typeof own === 'number') return { id: String(own), data };
  return { id: createHash('sha256').update(JSON.stringify(item)).digest('hex').slice(0, 32), data };
}

function stringOrNull(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value ? value : null;
}

/** RFC 8288: the rel="next" target of a Link header. */
export function nextLink(header: string | undefined, base: string): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2]!)) return new URL(m[1]!, base).toString();
  }
  return null;
}
