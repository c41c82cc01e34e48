// Key rotation: re-encrypts every stored ciphertext that was not made with the vault's active
// key, so the old key can then be removed from PATCHBAY_ENCRYPTION_KEYS.
//
// Safe while the hub runs: each row is rewritten with an optimistic check
// (`UPDATE … WHERE id = ? AND <column> = <the ciphertext we decrypted>`). If the row changed
// in between (a new secret version, refreshed credentials), the row is read again and, if its
// new value is still not under the active key, re-encrypted again; a concurrent write always wins.
// Rotation keeps `updatedAt`: the value did not change, only the key it is sealed with.
// Idempotent: a second run finds nothing to do.
//
// Every vault-encrypted column must be listed in `columns` below.
import type { Database } from './index.ts';
import { vaultContext, VaultError, type Vault } from './vault.ts';

export interface RotateOptions {
  /** Rows read per query (default 200). */
  batchSize?: number;
  /** Progress and problems, one line each (ids and key ids only, never values). */
  log?: (line: string) => void;
}

export interface RotateResult {
  /** Rows re-encrypted, per table. */
  connections: number;
  secrets: number;
  secretVersions: number;
  oauthApps: number;
  oauthStates: number;
  webhookEndpoints: number;
  webhookSubscriptions: number;
  runUsers: number;
  /** Rows that could not be re-encrypted (the ring lacks their key, or they fail authentication). */
  skipped: number;
}

interface Row {
  id: string;
  ciphertext: string | null;
  updatedAt?: Date;
  context: string;
}

interface Column {
  label: string;
  result: Exclude<keyof RotateResult, 'skipped'>;
  /** Up to `take` rows with id > `after` whose ciphertext is not under `activeKid`, by id. */
  page(after: string | undefined, take: number, notUnder: string): Promise<Row[]>;
  reload(id: string): Promise<Row | null>;
  /** Stores `next` only if the row still holds `row.ciphertext`; true when it did. */
  swap(row: Row, next: string): Promise<boolean>;
}

const MAX_ATTEMPTS_PER_ROW = 5;

function columns(db: Database): Column[] {
  const { prisma } = db;
  return [
    {
      label: 'Connection.credentials',
      result: 'connections',
      async page(after, take, notUnder) {
        const rows = await prisma.connection.findMany({
          where: { credentials: { not: null }, NOT: { credentials: { startsWith: notUnder } }, ...(after ? { id: { gt: after } } : {}) },
          select: { id: true, credentials: true, updatedAt: true },
          orderBy: { id: 'asc' },
          take,
        });
        return rows.map((r) => ({ id: r.id, ciphertext: r.credentials, updatedAt: r.updatedAt, context: vaultContext.connection(r.id) }));
      },
      async reload(id) {
        const r = await prisma.connection.findUnique({ where: { id }, select: { id: true, credentials: true, updatedAt: true } });
        return r && { id: r.id, ciphertext: r.credentials, updatedAt: r.updatedAt, context: vaultContext.connection(r.id) };
      },
      async swap(row, next) {
        const { count } = await prisma.connection.updateMany({
          where: { id: row.id, credentials: row.ciphertext },
          data: { credentials: next, updatedAt: row.updatedAt },
        });
        return count === 1;
      },
    },
    {
      label: 'Secret.ciphertext',
      result: 'secrets',
      async page(after, take, notUnder) {
        const rows = await prisma.secret.findMany({
          where: { NOT: { ciphertext: { startsWith: notUnder } }, ...(after ? { id: { gt: after } } : {}) },
          select: { id: true, orgId: true, name: true, version: true, ciphertext: true, updatedAt: true },
          orderBy: { id: 'asc' },
          take,
        });
        return rows.map(secretRow);
      },
      async reload(id) {
        const r = await prisma.secret.findUnique({
          where: { id },
          select: { id: true, orgId: true, name: true, version: true, ciphertext: true, updatedAt: true },
        });
        return r && secretRow(r);
      },
      async swap(row, next) {
        // The ciphertext is unique per write (random IV), so matching it also pins the version
        // the context was computed for.
        const { count } = await prisma.secret.updateMany({
          where: { id: row.id, ciphertext: row.ciphertext! },
          data: { ciphertext: next, updatedAt: row.updatedAt },
        });
        return count === 1;
      },
    },
    {
      label: 'SecretVersion.ciphertext',
      result: 'secretVersions',
      async page(after, take, notUnder) {
        const rows = await prisma.secretVersion.findMany({
          where: { NOT: { ciphertext: { startsWith: notUnder } }, ...(after ? { id: { gt: after } } : {}) },
          select: { id: true, version: true, ciphertext: true, secret: { select: { orgId: true, name: true } } },
          orderBy: { id: 'asc' },
          take,
        });
        return rows.map(versionRow);
      },
      async reload(id) {
        const r = await prisma.secretVersion.findUnique({
          where: { id },
          select: { id: true, version: true, ciphertext: true, secret: { select: { orgId: true, name: true } } },
        });
        return r && versionRow(r);
      },
      async swap(row, next) {
        const { count } = await prisma.secretVersion.updateMany({ where: { id: row.id, ciphertext: row.ciphertext! }, data: { ciphertext: next } });
        return count === 1;
      },
    },
    {
      label: 'OAuthApp.clientSecret',
      result: 'oauthApps',
      async page(after, take, notUnder) {
        const rows = await prisma.oAuthApp.findMany({
          where: { NOT: { clientSecret: { startsWith: notUnder } }, ...(after ? { id: { gt: after } } : {}) },
          select: { id: true, clientSecret: true, updatedAt: true },
          orderBy: { id: 'asc' },
          take,
        });
        return rows.map(oauthAppRow);
      },
      async reload(id) {
        const r = await prisma.oAuthApp.findUnique({ where: { id }, select: { id: true, clientSecret: true, updatedAt: true } });
        return r && oauthAppRow(r);
      },
      async swap(row, next) {
        const { count } = await prisma.oAuthApp.updateMany({
          where: { id: row.id, clientSecret: row.ciphertext! },
          data: { clientSecret: next, updatedAt: row.updatedAt },
        });
        return count === 1;
      },
    },
    {
      label: 'OAuthState.codeVerifier',
      result: 'oauthStates',
      async page(after, take, notUnder) {
        const rows = await prisma.oAuthState.findMany({
          where: { NOT: { codeVerifier: { startsWith: notUnder } }, ...(after ? { id: { gt: after } } : {}) },
          select: { id: true, codeVerifier: true },
          orderBy: { id: 'asc' },
          take,
        });
        return rows.map(oauthStateRow);
      },
      async reload(id) {
        const r = await prisma.oAuthState.findUnique({ where: { id }, select: { id: true, codeVerifier: true } });
        return r && oauthStateRow(r);
      },
      async swap(row, next) {
        const { count } = await prisma.oAuthState.updateMany({ where: { id: row.id, codeVerifier: row.ciphertext! }, data: { codeVerifier: next } });
        return count === 1;
      },
    },
    {
      label: 'WebhookEndpoint.secret',
      result: 'webhookEndpoints',
      async page(after, take, notUnder) {
        const rows = await prisma.webhookEndpoint.findMany({
          where: { secret: { not: null }, NOT: { secret: { startsWith: notUnder } }, ...(after ? { id: { gt: after } } : {}) },
          select: { id: true, secret: true, updatedAt: true },
          orderBy: { id: 'asc' },
          take,
        });
        return rows.map(webhookEndpointRow);
      },
      async reload(id) {
        const r = await prisma.webhookEndpoint.findUnique({ where: { id }, select: { id: true, secret: true, updatedAt: true } });
        return r && webhookEndpointRow(r);
      },
      async swap(row, next) {
        const { count } = await prisma.webhookEndpoint.updateMany({
          where: { id: row.id, secret: row.ciphertext },
          data: { secret: next, updatedAt: row.updatedAt },
        });
        return count === 1;
      },
    },
    subscriptionColumn('secret'),
    subscriptionColumn('previousSecret'),
    {
      label: 'Run.userMetadata',
      result: 'runUsers',
      async page(after, take, notUnder) {
        const rows = await prisma.run.findMany({
          where: { userMetadata: { not: null }, NOT: { userMetadata: { startsWith: notUnder } }, ...(after ? { id: { gt: after } } : {}) },
          select: { id: true, userMetadata: true, updatedAt: true },
          orderBy: { id: 'asc' },
          take,
        });
        return rows.map((r) => ({ id: r.id, ciphertext: r.userMetadata, updatedAt: r.updatedAt, context: vaultContext.runUser(r.id) }));
      },
      async reload(id) {
        const r = await prisma.run.findUnique({ where: { id }, select: { id: true, userMetadata: true, updatedAt: true } });
        return r && { id: r.id, ciphertext: r.userMetadata, updatedAt: r.updatedAt, context: vaultContext.runUser(r.id) };
      },
      async swap(row, next) {
        const { count } = await prisma.run.updateMany({ where: { id: row.id, userMetadata: row.ciphertext }, data: { userMetadata: next, updatedAt: row.updatedAt } });
        return count === 1;
      },
    },
  ];

  /** WebhookSubscription.secret / .previousSecret: both sealed with the same context. */
  function subscriptionColumn(field: 'secret' | 'previousSecret'): Column {
    const select = { id: true, [field]: true, updatedAt: true } as const;
    const toRow = (r: { id: string; updatedAt: Date } & Record<string, unknown>): Row => ({
      id: r.id,
      ciphertext: (r[field] as string | null) ?? null,
      updatedAt: r.updatedAt,
      context: webhookSubscriptionContext(r.id),
    });
    return {
      label: `WebhookSubscription.${field}`,
      result: 'webhookSubscriptions',
      async page(after, take, notUnder) {
        const rows = await prisma.webhookSubscription.findMany({
          where: { ...(field === 'previousSecret' ? { previousSecret: { not: null } } : {}), NOT: { [field]: { startsWith: notUnder } }, ...(after ? { id: { gt: after } } : {}) },
          select,
          orderBy: { id: 'asc' },
          take,
        });
        return rows.map((r) => toRow(r as never));
      },
      async reload(id) {
        const r = await prisma.webhookSubscription.findUnique({ where: { id }, select });
        return r && toRow(r as never);
      },
      async swap(row, next) {
        const { count } = await prisma.webhookSubscription.updateMany({
          where: { id: row.id, [field]: row.ciphertext },
          data: { [field]: next, updatedAt: row.updatedAt },
        });
        return count === 1;
      },
    };
  }
}

// The same label as subscriptionSecretContext in server/src/schema/webhook-subscriptions.ts
// and workflows/src/activities/deliveries.ts, where these columns are written and read.
const webhookSubscriptionContext = (id: string) => `webhook-subscription:${id}`;

// The same labels as oauthVaultContext in workflows/src/runtime/oauth.ts, where these columns
// are written (this package cannot import that one); the OAuth integration test rotates both.
const oauthAppContext = (id: string) => `oauth-app:${id}`;
const oauthStateContext = (id: string) => `oauth-state:${id}`;

function oauthAppRow(r: { id: string; clientSecret: string; updatedAt: Date }): Row {
  return { id: r.id, ciphertext: r.clientSecret, updatedAt: r.updatedAt, context: oauthAppContext(r.id) };
}

function oauthStateRow(r: { id: string; codeVerifier: string }): Row {
  return { id: r.id, ciphertext: r.codeVerifier, context: oauthStateContext(r.id) };
}

// The same label as webhookEndpointContext in server/src/services/webhooks.ts, where this column is written.
const webhookEndpointContext = (id: string) => `webhook-endpoint:${id}`;

function webhookEndpointRow(r: { id: string; secret: string | null; updatedAt: Date }): Row {
  return { id: r.id, ciphertext: r.secret, updatedAt: r.updatedAt, context: webhookEndpointContext(r.id) };
}

function secretRow(r: { id: string; orgId: string; name: string; version: number; ciphertext: string; updatedAt: Date }): Row {
  return { id: r.id, ciphertext: r.ciphertext, updatedAt: r.updatedAt, context: vaultContext.secret(r.orgId, r.name, r.version) };
}

function versionRow(r: { id: string; version: number; ciphertext: string; secret: { orgId: string; name: string } }): Row {
  return { id: r.id, ciphertext: r.ciphertext, context: vaultContext.secret(r.secret.orgId, r.secret.name, r.version) };
}

export async function rotateKeys(db: Database, vault: Vault, options: RotateOptions = {}): Promise<RotateResult> {
  const batchSize = Math.max(1, options.batchSize ?? 200);
  const log = options.log ?? (() => {});
  const result: RotateResult = { connections: 0, secrets: 0, secretVersions: 0, oauthApps: 0, oauthStates: 0, webhookEndpoints: 0, webhookSubscriptions: 0, runUsers: 0, skipped: 0 };
  const notUnder = `pbv1.${vault.activeKid}.`;

  /** Re-encrypts one row; "current" when its value is (now) under the active key without our write. */
  const rotateRow = async (column: Column, first: Row): Promise<'rotated' | 'current' | 'skipped'> => {
    let row: Row | null = first;
    for (let attempt = 0; attempt < MAX_ATTEMPTS_PER_ROW; attempt++) {
      if (!row?.ciphertext) return 'current'; // deleted or cleared meanwhile
      let kid: string;
      let plaintext: string;
      try {
        kid = vault.keyIdOf(row.ciphertext);
        if (kid === vault.activeKid) return 'current';
        plaintext = vault.decrypt(row.ciphertext, row.context);
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        log(`skipped ${column.label} ${row.id}: ${err.message}`);
        return 'skipped';
      }
      if (await column.swap(row, vault.encrypt(plaintext, row.context))) return 'rotated';
      row = await column.reload(row.id); // changed concurrently: look again
    }
    log(`skipped ${column.label} ${first.id}: it kept changing while being rotated; run the rotation again`);
    return 'skipped';
  };

  for (const column of columns(db)) {
    let after: string | undefined;
    for (;;) {
      const page = await column.page(after, batchSize, notUnder);
      if (page.length === 0) break;
      for (const row of page) {
        const outcome = await rotateRow(column, row);
        if (outcome === 'rotated') result[column.result] += 1;
        else if (outcome === 'skipped') result.skipped += 1;
      }
      after = page[page.length - 1]!.id;
      if (page.length < batchSize) break;
    }
    log(`${column.label}: ${result[column.result]} re-encrypted with key "${vault.activeKid}"`);
  }
  return result;
}
